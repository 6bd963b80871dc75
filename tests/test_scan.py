"""``audit scan`` and ``audit eval``: the JSONL interfaces other tools depend on, and the accuracy targets."""

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from audit.auditor import Auditor
from audit.cli import app
from audit.evaluate import evaluate

DATA = Path(__file__).parent / "data"
runner = CliRunner()

GOOD = {"call_id": "ok-1", "agent_id": "A1", "started_at": "2026-11-05T22:40:00+08:00", "debtor_tz": "Asia/Shanghai",
        "turns": [{"speaker": "agent", "text": "你这个老賴，再不还我就找人收拾你", "start_s": 1.0, "end_s": 4.0},
                  {"speaker": "customer", "text": "我真的不想活了"}], "extra_key": "ignored"}


def test_scan_audits_good_lines_and_names_each_bad_line(tmp_path):
    source = tmp_path / "in.jsonl"
    lines = [
        json.dumps(GOOD, ensure_ascii=False),
        "{not json",
        json.dumps({"turns": []}),
        json.dumps({"call_id": "bad-speaker", "turns": [{"speaker": "robot", "text": "x"}]}),
        "",
        json.dumps({**GOOD, "call_id": "ok-2"}, ensure_ascii=False),
    ]
    source.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with open(source, "ab") as handle:  # a 10 MB+ line is reported without being held in memory
        handle.write(b'{"call_id": "huge", "turns": [{"text": "' + b"a" * (10 * 1024 * 1024 + 10) + b'"}]}\n')
    out = tmp_path / "out.jsonl"
    result = runner.invoke(app, ["scan", str(source), "--out", str(out)])
    assert result.exit_code == 1
    printed = "".join(result.output.split())  # the terminal wraps long lines anywhere
    for line_number, problem in [(2, "not valid JSON"), (3, "'call_id' missing"), (4, "turn 0: speaker 'robot'"),
                                 (7, "longer than")]:
        assert "".join(f"line {line_number}: {problem}".split()) in printed
    audits = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [a["call_id"] for a in audits] == ["ok-1", "ok-2"]
    first = audits[0]
    assert {"call_id", "findings", "disclosures", "signals", "call_time_violation", "critical", "score",
            "verdict"} <= first.keys()
    assert first["call_time_violation"] and first["critical"] and first["verdict"] == "fail"
    assert {f["category"] for f in first["findings"]} == {"insult", "violence_threat"}
    text = GOOD["turns"][0]["text"]
    for finding in first["findings"]:
        assert finding["quote"] == text[finding["char_start"]:finding["char_end"]]
        assert 1.0 <= finding["start_s"] <= finding["end_s"] <= 4.0  # interpolated inside the turn
        assert finding["legal_basis"] and finding["rule_id"].startswith("CN-") and finding["explanation"]
    assert first["disclosures"]["greeting"] == "missing"
    assert first["scorecard"]["name"] == "default" and first["deductions"]
    assert [s["signal"] for s in first["signals"]] == ["vulnerability"]


@pytest.fixture(scope="module")
def auditor():
    return Auditor()


def test_clean_dev_set_meets_the_targets(auditor):
    report = evaluate(auditor, DATA / "dev_clean.jsonl")
    assert report.calls >= 150 and not report.problems
    assert all(counts.f1 >= 0.90 for counts in report.categories.values()), {
        name: round(counts.f1, 3) for name, counts in report.categories.items()}
    assert report.critical.recall >= 0.97
    assert report.negative_calls_flagged / report.negative_calls <= 0.03


def test_noisy_dev_set_keeps_critical_recall(auditor):
    report = evaluate(auditor, DATA / "dev_noisy.jsonl")
    assert report.critical.recall >= 0.90


def test_eval_command_prints_metrics_and_lists_errors(tmp_path):
    labeled = tmp_path / "labeled.jsonl"
    call = {**GOOD, "labels": {"violations": [{"category": "insult", "turn": 0, "quote": "老賴"},
                                              {"category": "harassment", "turn": 0, "quote": "x"}],
                               "disclosures": {"greeting": True}, "customer_signals": ["vulnerability"],
                               "call_time_violation": True, "critical": True}}
    labeled.write_text(json.dumps(call, ensure_ascii=False) + "\n", encoding="utf-8")
    result = runner.invoke(app, ["eval", str(labeled)])
    assert result.exit_code == 0, result.output
    assert "critical calls: precision 1.000 recall 1.000" in result.output
    assert "misses (1)" in result.output and "harassment" in result.output  # the gold harassment was not found
    assert "false alarms (1)" in result.output  # violence_threat was not labelled
    assert "ok-1 greeting: expected present, got missing" in result.output
