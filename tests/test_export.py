"""The regulator's package: files, manifest with versions and hashes, masking of personal numbers."""

import csv
import json

import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from audit.auditor import Auditor
from audit.cli import app
from audit.export import mask_personal_numbers
from audit.models import CallMetadata, Transcript, Turn
from audit.scan import audit_to_line
from audit.storage import Store

PHONE_TURN = "你这个老赖，你老婆的电话13812345678我都有，再不还我就找人收拾你。"


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("手机号13812345678", "手机号*******5678"),
        ("身份证11010519900307123X", "身份证**************123X"),
        ("卡号 6222 0212 3456 7890 123", "卡号 **** **** **** ***0 123"),
        ("号码是一三八一二三四五六七八", "号码是*******五六七八"),  # ASR writes spoken digits as characters
        ("工号8721，欠款12350元", "工号8721，欠款12350元"),  # short numbers are not personal numbers
    ],
)
def test_personal_numbers_are_masked_keeping_the_last_four_digits(text, masked):
    assert mask_personal_numbers(text) == masked


@pytest.fixture
def db(tmp_path):
    store = Store(tmp_path / "audit.db")
    auditor = Auditor()
    for call_id, day in (("c1", "2026-11-03"), ("c2", "2026-11-20")):
        turns = (Turn("agent", "您好，我是长河银行的王芳，工号八七二一，本次通话将被录音。请问是张伟本人吗？"),
                 Turn("customer", "是我。"), Turn("agent", PHONE_TURN, 10.0, 16.0))
        metadata = CallMetadata(call_id, agent_id="A1", agent_name="王芳", team="一组", started_at=f"{day}T10:00:00+08:00")
        transcript = Transcript(call_id, call_id * 32, 60.0, "zh", "whisper-base-ct2@905e5bf8336b", {}, (),
                                audio_path=f"/calls/{call_id}.opus", metadata=metadata)
        audit = auditor.audit(call_id, turns, metadata.started_at)
        store.save(transcript, audit, audit_to_line(audit))
    store.add_review(store.findings("c1")[0].id, "质检-李", "upheld", "客户电话13987654321已核实")
    return tmp_path / "audit.db"


def test_export_writes_the_package_for_the_period_with_numbers_masked(db, tmp_path):
    out = tmp_path / "package"
    result = CliRunner().invoke(app, ["export", "--db", str(db), "--out", str(out), "--since", "2026-11-01",
                                      "--until", "2026-11-10", "--by", "合规-张"])
    assert result.exit_code == 0, result.output
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["calls"] == 1 and manifest["personal_numbers_masked"] and manifest["exported_by"] == "合规-张"
    assert manifest["audio"] == {"c1": {"file": "/calls/c1.opus", "sha256": "c1" * 32}}
    assert manifest["rule_packs"][0].startswith("cn@") and manifest["scorecards"][0].startswith("default@")
    assert manifest["models"] == ["whisper-base-ct2@905e5bf8336b"] and manifest["review_trail"]["ok"]
    assert "rule_pack/cn/conduct.yaml" in manifest["files"]
    with open(out / "findings.csv", encoding="utf-8-sig") as handle:
        findings = list(csv.DictReader(handle))
    assert {f["category"] for f in findings} >= {"insult", "violence_threat"}
    assert all(10.0 <= float(f["start_s"]) <= 16.0 for f in findings)  # audio times, interpolated in the turn
    assert "13812345678" not in "".join(p.read_text(encoding="utf-8-sig") for p in out.glob("*.csv"))
    with open(out / "reviews.csv", encoding="utf-8-sig") as handle:
        assert next(csv.DictReader(handle))["note"] == "客户电话*******4321已核实"
    workbook = load_workbook(out / "audit_package.xlsx", read_only=True)
    assert workbook.sheetnames == ["calls", "findings", "call_items", "disclosures", "reviews", "agents"]
    assert [row[0] for row in workbook["calls"].iter_rows(min_row=2, values_only=True)] == ["c1"]


def test_no_mask_keeps_numbers_and_says_so_in_the_manifest(db, tmp_path):
    out = tmp_path / "package"
    result = CliRunner().invoke(app, ["export", "--db", str(db), "--out", str(out), "--no-mask"])
    assert result.exit_code == 0 and "NOT masked" in result.output
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["calls"] == 2 and manifest["personal_numbers_masked"] is False
    assert "13987654321" in (out / "reviews.csv").read_text(encoding="utf-8-sig")
