"""``audit eval``: figures against labelled calls; the locked split's run shows figures and never its text."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from audit.cli import app

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
