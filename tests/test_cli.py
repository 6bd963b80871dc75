"""The ``audit`` command as a user runs it: a batch with bad files in it, and the main job on the samples."""

import json

import pytest
from typer.testing import CliRunner

from audio_files import write_audio
from audit.cli import app
from audit.models import Transcript
from conftest import SAMPLES, load_script

runner = CliRunner()


def test_batch_with_bad_files_finishes_the_good_ones_and_names_the_bad(tmp_path, model_cache, sample_metadata,
                                                                      sample_transcripts):
    good = next(iter(sample_metadata.by_call_id.values()))
    empty = tmp_path / "empty.wav"
    empty.write_bytes(b"")
    text = tmp_path / "notes.wav"
    text.write_text("不是音频" * 100, encoding="utf-8")
    silent = write_audio(tmp_path / "silent.wav", [[0.0] * 8_000], 16_000)
    truncated = tmp_path / "truncated.mp3"
    truncated.write_bytes((SAMPLES / "c11_privacy_harassment_mono.mp3").read_bytes()[:20_000])
    out = tmp_path / "out"
    result = runner.invoke(app, ["transcribe", good.file, str(empty), str(text), str(silent), str(truncated),
                                 "--out", str(out), "--cache-dir", str(model_cache)])
    assert result.exit_code == 1, result.output
    report = json.loads((out / "batch_report.json").read_text(encoding="utf-8"))
    by_file = {outcome["audio_path"]: outcome for outcome in report["outcomes"]}
    assert by_file[str(empty)]["error"].endswith("file is empty (0 bytes)")
    assert "not a readable audio file" in by_file[str(text)]["error"]
    assert by_file[str(silent)]["ok"] and by_file[str(silent)]["segments"] == 0
    assert by_file[str(truncated)]["ok"] and 0 < by_file[str(truncated)]["duration_s"] < 30
    assert by_file[good.file]["ok"]
    written = Transcript.from_dict(json.loads((out / f"{good.call_id}.json").read_text(encoding="utf-8")))
    assert written == sample_transcripts[good.call_id]
    assert sorted(p.name for p in out.glob("*.json")) == sorted(
        ["batch_report.json", f"{good.call_id}.json", "silent.json", "truncated.json"])


CRITICAL = {"violence_threat", "intimidation", "impersonation", "false_legal_threat", "third_party_disclosure",
            "privacy_exposure", "unofficial_channel"}


def test_main_job_transcribes_and_audits_the_samples(tmp_path, model_cache, sample_metadata, sample_transcripts):
    out = tmp_path / "results"
    result = runner.invoke(app, ["run", str(SAMPLES), "--out", str(out), "--cache-dir", str(model_cache)])
    assert result.exit_code == 0, result.output
    written = {p.stem for p in (out / "transcripts").glob("*.json")} - {"batch_report"}
    assert written == set(sample_metadata.by_call_id)
    transcript = Transcript.from_dict(json.loads((out / "transcripts" / f"{min(written)}.json").read_text("utf-8")))
    assert transcript.metadata == sample_metadata.by_call_id[min(written)]

    audits = {a["call_id"]: a for a in map(json.loads, (out / "audits.jsonl").read_text("utf-8").splitlines())}
    assert set(audits) == written
    for call_id, audit in audits.items():
        script = load_script(call_id)
        expected = {v["category"] for v in script["expected"]["violations"]}
        found = {f["category"] for f in audit["findings"]}
        assert bool(found) == bool(expected), (call_id, found)  # compliant calls and hard negatives stay clean
        # the rules find what the script says; the learned reader may suggest more on a violating call, for review
        # (c06's 「拿不出就去想办法，找亲戚朋友凑」 reads as pressure to borrow), never on a clean one
        by_rules = {f["category"] for f in audit["findings"] if f["match_kind"] != "model"}
        assert by_rules <= expected | CRITICAL, (call_id, by_rules)
        assert all(f["needs_review"] for f in audit["findings"] if f["category"] not in expected | CRITICAL), call_id
        critical_speakers = {f["speaker"] for f in audit["findings"] if f["category"] in CRITICAL}
        if critical_speakers == {"unknown"}:  # a mono call whose voices were not told apart: a person decides
            assert audit["verdict"] == "review", call_id
        assert audit["critical"] == bool(expected & CRITICAL) or script["expected"]["call_time_violation"], call_id
        assert audit["call_time_violation"] == script["expected"]["call_time_violation"], call_id
        segments = sample_transcripts[call_id].segments
        for finding in audit["findings"]:  # evidence points at the words, in the text and in the audio
            segment = segments[finding["turn"]]
            assert finding["quote"] == segment.text[finding["char_start"]:finding["char_end"]]
            assert segment.start_s - 0.5 <= finding["start_s"] <= finding["end_s"] <= segment.end_s + 0.5
    assert "vulnerability" in {s["signal"] for s in audits["c13_vulnerable_promise"]["signals"]}


def test_unknown_channel_layout_is_a_usage_error(tmp_path):
    result = runner.invoke(app, ["transcribe", str(tmp_path), "--out", str(tmp_path), "--channel-layout", "quad"])
    assert result.exit_code == 2


def test_folder_without_audio_is_a_usage_error(tmp_path):
    result = runner.invoke(app, ["transcribe", str(tmp_path), "--out", str(tmp_path / "out")])
    assert result.exit_code == 2
    assert "no audio files found" in result.output


@pytest.mark.parametrize(
    ("options", "expected_rows", "absent"),
    [
        (["--by", "agent"], ["A2002", "刘洋"], []),
        (["--by", "team"], ["委外二组", "一组"], ["A2002"]),
        (["--by", "week"], ["2026-11-02", "A2002"], []),
        (["--by", "agent", "--team", "一组"], ["一组"], ["委外二组"]),
        (["--by", "agent", "--since", "2099-01-01"], ["no audited calls match"], ["A2002"]),
    ],
)
def test_agents_command_shows_the_table_asked_for(seeded_db, options, expected_rows, absent):
    result = CliRunner(env={"COLUMNS": "250"}).invoke(app, ["agents", "--db", str(seeded_db), *options])
    assert result.exit_code == 0, result.output
    for text in expected_rows:
        assert text in result.output
    for text in absent:
        assert text not in result.output


@pytest.mark.parametrize(("lang", "headers"), [("en_US.UTF-8", ["agent", "mean", "pass", "crit.", "vuln."]),
                                              ("zh_CN.UTF-8", ["坐席", "平均分", "通过率", "严重", "弱势"])])
@pytest.mark.parametrize("by", ["agent", "team", "week"])
def test_agents_table_fits_80_columns_with_whole_headers_in_the_users_language(seeded_db, by, lang, headers):
    result = CliRunner(env={"COLUMNS": "80", "LC_ALL": None, "LC_MESSAGES": None, "LANG": lang}).invoke(
        app, ["agents", "--db", str(seeded_db), "--by", by])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert max(len(line) for line in lines) <= 80, result.output
    assert "…" not in result.output, result.output
    head = "\n".join(lines[:6])
    wanted = headers if by == "agent" else headers[1:2] + headers[2:3]
    assert all(word in head for word in wanted), result.output


def test_the_run_summary_fits_80_columns_whatever_the_findings():
    from rich.console import Console

    from audit.terminal import fitted_table

    table = fitted_table("audit (cn rules 1a2b3c4d5e6f, scorecard default 0123456789ab)",
                         ["call", "verdict", "score", "critical", "findings", "missing_disclosures", "signals"])
    table.add_row("c12_impersonation_false_legal", "fail", "12", "yes",
                  "false_legal_threat, impersonation, intimidation, third_party_disclosure",
                  "agent_identity, recording_notice, official_channel", "complaint_intent, vulnerability")
    console = Console(width=80, record=True, file=open("/dev/null", "w"))
    console.print(table)
    text = console.export_text()
    assert max(len(line) for line in text.splitlines()) <= 80 and "…" not in text, text
    assert all(word in text for word in ("verdict", "score", "critical", "findings", "missing", "signals")), text


def test_agents_command_refuses_an_unknown_grouping(seeded_db):
    assert runner.invoke(app, ["agents", "--db", str(seeded_db), "--by", "month"]).exit_code == 2
