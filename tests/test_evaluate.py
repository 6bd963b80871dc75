"""``audit eval``: figures against labelled calls; the locked split's run shows figures and never its text."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from audit.auditor import Auditor
from audit.cli import app
from audit.evaluate import evaluate
from audit.models import Turn

DEV = Path(__file__).parent / "data" / "dev_clean.jsonl"


def test_scores_only_prints_the_figures_of_every_file_and_no_call_text(tmp_path):
    lines = DEV.read_text(encoding="utf-8").splitlines()
    first, second = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    first.write_text("\n".join(lines[:20]) + "\n", encoding="utf-8")
    second.write_text("\n".join(lines[20:40]) + "\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["eval", "--scores-only", str(first), str(second)])
    assert result.exit_code == 0, result.output
    assert "40 calls" in result.output and "macro-F1" in result.output and "learned reader" in result.output
    texts = [turn["text"] for line in lines[:40] for turn in json.loads(line)["turns"]]
    assert not [text for text in texts if len(text) > 6 and text[:6] in result.output]
    assert "misses" not in result.output and "false alarms (" not in result.output


def test_rules_only_leaves_the_reader_out():
    result = CliRunner().invoke(app, ["eval", "--rules-only", "--max-listed", "0", str(DEV)])
    assert result.exit_code == 0, result.output
    assert "rules only" in result.output and "learned reader" not in result.output


def test_not_applicable_agrees_with_the_labels_convention(tmp_path):
    # only a third party answered: the official channel was neither owed nor given
    call = {"call_id": "tp1", "agent_id": "A1", "started_at": "2026-11-03T10:00:00+08:00",
            "debtor_tz": "Asia/Shanghai",
            "turns": [{"speaker": "agent", "text": "您好，我是恒信银行的客服小王，本次通话录音。请问是张伟先生吗？"},
                      {"speaker": "customer", "text": "不是，我是他同事，他出差了。"},
                      {"speaker": "agent", "text": "好的，麻烦您转告他回个电话，谢谢，再见。"}],
            "labels": {"violations": [], "disclosures": {"official_channel": False},
                       "customer_signals": [], "call_time_violation": False, "critical": False}}
    path = tmp_path / "third_party.jsonl"
    path.write_text(json.dumps(call, ensure_ascii=False) + "\n", encoding="utf-8")
    auditor = Auditor(reader=None)
    audit = auditor.audit("tp1", tuple(Turn(t["speaker"], t["text"]) for t in call["turns"]))
    assert {d.disclosure: d.status for d in audit.disclosures}["official_channel"] == "not_applicable"
    owed, done = (evaluate(auditor, path, disclosure_labels=labels) for labels in ("owed", "done"))
    assert owed.disclosure_correct["official_channel"] == 0 and done.disclosure_correct["official_channel"] == 1
    wrong = CliRunner().invoke(app, ["eval", "--disclosure-labels", "given", str(path)])
    assert wrong.exit_code != 0 and "--disclosure-labels" in wrong.output
