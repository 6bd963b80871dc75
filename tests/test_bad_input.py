"""Bad input, tried for real: each is a clear error or warning naming the file (and the row or line) and the
problem; the batch goes on; nothing already audited is lost.

One table per family: recordings (through `audit run`, twice, so that the second batch meets a database that
already holds a call), metadata CSV rows, lexicon files, transcript JSONL lines.
"""

from __future__ import annotations

import json
import re
import shutil
import sqlite3
from pathlib import Path

import av
import numpy as np
import pytest
from typer.testing import CliRunner

from audio_files import write_audio
from audit.asr import NO_SPEECH_WARNING
from audit.audio import decode_audio
from audit.cli import app
from audit.lexicons import lexicon_dir
from audit.metadata import load_metadata
from audit.pipeline import collect_inputs, transcribe_batch
from conftest import SAMPLES

SR = 16_000
runner = CliRunner()


def flat(text: str) -> str:
    """Terminal output without the line breaks and spaces rich inserts when it wraps long lines."""
    return "".join(text.split())


@pytest.fixture(scope="module")
def speech() -> np.ndarray:
    """The first 30 s of the agent's channel of c04: a real call opening (「喂，是孙丽娟吧？」「我是鑫诚资产的…」)."""
    return decode_audio(SAMPLES / "c04_violence_threat.opus").samples[1][:30 * SR].copy()


# -- recordings ---------------------------------------------------------------------------------------------------------

def _surround(path: Path, speech: np.ndarray) -> Path:
    with av.open(str(path), "w", format="wav") as container:
        stream = container.add_stream("pcm_s16le", rate=SR, layout="5.1")
        frame = av.AudioFrame.from_ndarray((np.tile(speech, (6, 1)).T * 32767).astype(np.int16).reshape(1, -1),
                                           format="s16", layout="5.1")
        frame.sample_rate = SR
        for packet in list(stream.encode(frame)) + list(stream.encode(None)):
            container.mux(packet)
    return path


def _upsampled(speech: np.ndarray, rate_hz: int) -> np.ndarray:
    t = np.arange(int(len(speech) * rate_hz / SR)) / rate_hz
    return np.interp(t, np.arange(len(speech)) / SR, speech).astype(np.float32)


# name -> (make the file in a folder, outcome: "error" or "ok", a regex for what the error / a warning must say,
#          whether speech is transcribed from it)
RECORDINGS = {
    "empty.wav": (lambda f, s: (f / "empty.wav").write_bytes(b""), "error", re.escape("file is empty (0 bytes)"), None),
    "text.wav": (lambda f, s: (f / "text.wav").write_text("这不是音频，是一段文字。\n" * 50, encoding="utf-8"),
                 "error", "not a readable audio file", None),
    "image.wav": (lambda f, s: (f / "image.wav").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 40),
                  "error", "not a readable audio file|contains no audio stream", None),
    "notes.xyz": (lambda f, s: (f / "notes.xyz").write_bytes(b"RIFF....WAVE"), "error",
                  "unsupported file type '.xyz'", None),
    "truncated.mp3": (lambda f, s: (f / "truncated.mp3").write_bytes(
        (SAMPLES / "c11_privacy_harassment_mono.mp3").read_bytes()[:20_000]), "ok",
        r"decoded \d+\.\d s of the 60\.8 s its header declares: the file is cut off", True),
    "half_second_silence.wav": (lambda f, s: write_audio(f / "half_second_silence.wav", np.zeros((1, SR // 2)), SR),
                                "ok", re.escape(NO_SPEECH_WARNING), False),
    "surround_5_1.wav": (lambda f, s: _surround(f / "surround_5_1.wav", s), "ok",
                         "6 channels: mixed down to mono", True),
    "hires_96khz.flac": (lambda f, s: write_audio(f / "hires_96khz.flac", _upsampled(s, 96_000)[None], 96_000),
                         "ok", None, True),
}


@pytest.fixture(scope="module")
def audio_batch(tmp_path_factory, model_cache, speech):
    """`audit run` on a good call; then on the same call plus every bad recording and a second file whose call id
    (its name) is taken. Returns the second run's CLI result, batch report, audits and database."""
    folder = tmp_path_factory.mktemp("recordings")
    out = folder / "results"
    good = write_audio(folder / "good.wav", speech[None], SR)
    first = runner.invoke(app, ["run", str(good), "--out", str(out), "--cache-dir", str(model_cache)])
    assert first.exit_code == 0, first.output
    for make, *_ in RECORDINGS.values():
        make(folder, speech)
    (folder / "again").mkdir()
    shutil.copy(good, folder / "again" / "good.wav")  # a different file with the call id 'good'
    files = [good, *(folder / name for name in RECORDINGS), folder / "again" / "good.wav"]
    second = CliRunner(env={"COLUMNS": "400"}).invoke(
        app, ["run", *map(str, files), "--out", str(out), "--cache-dir", str(model_cache)])
    report = json.loads((out / "transcripts" / "batch_report.json").read_text(encoding="utf-8"))
    audits = [json.loads(line) for line in (out / "audits.jsonl").read_text(encoding="utf-8").splitlines()]
    return {"folder": folder, "result": second, "outcomes": {Path(o["audio_path"]).name if "again" not in
            o["audio_path"] else "again/good.wav": o for o in report["outcomes"]}, "audits": audits,
            "db": out / "audit.db"}


@pytest.mark.parametrize("name", RECORDINGS, ids=list(RECORDINGS))
def test_bad_recording_is_named_with_its_problem_and_the_batch_goes_on(audio_batch, name):
    _, outcome_kind, message, has_speech = RECORDINGS[name]
    outcome = audio_batch["outcomes"][name]
    path = str(audio_batch["folder"] / name)
    printed = flat(audio_batch["result"].output)
    if outcome_kind == "error":
        assert not outcome["ok"]
        assert outcome["error"].startswith(f"{path}: ")  # the file, then the problem
        assert re.search(message, outcome["error"]), outcome["error"]
        assert flat(outcome["error"]) in printed  # and the user sees it on screen
    else:
        assert outcome["ok"], outcome
        if message:
            assert any(re.search(message, w) for w in outcome["warnings"]), outcome
            assert flat(path) in printed
        assert (outcome["segments"] > 0) == has_speech, outcome


def test_batch_with_bad_recordings_keeps_what_was_audited_and_finishes_the_good(audio_batch):
    result = audio_batch["result"]
    assert result.exit_code == 1, result.output  # the batch finished, some calls failed
    good = audio_batch["outcomes"]["good.wav"]
    assert good["ok"] and good["resumed"]  # audited by the first run: kept, not redone
    duplicate = audio_batch["outcomes"]["again/good.wav"]
    assert not duplicate["ok"] and "call id 'good' is already used by" in duplicate["error"]
    assert str(audio_batch["folder"] / "good.wav") in duplicate["error"]
    audited = {line["call_id"] for line in audio_batch["audits"]}
    assert audited == {"good", "truncated", "half_second_silence", "surround_5_1", "hires_96khz"}
    with sqlite3.connect(audio_batch["db"]) as db:
        stored = {row[0] for row in db.execute("select call_id from calls")}
        assert db.execute("select count(*) from audits join calls on calls.id = audits.call_pk "
                          "where calls.call_id = 'good'").fetchone()[0] == 1
    assert stored == audited  # nothing lost, nothing stored twice, nothing stored for a failed file


# -- metadata CSV rows ---------------------------------------------------------------------------------------------------

HEADER = "call_id,file,agent_id,agent_name,team,started_at,debtor_tz,channel_layout\n"
GOOD_ROW = "good-1,good.wav,A1,王芳,一组,2026-11-03T10:15:00+08:00,Asia/Shanghai,mono\n"

# id -> (row, what the problem must say, row kept?)
ROWS = {
    "impossible_date": ("c9,undated.wav,A1,王芳,一组,2026-02-30T10:00:00+08:00,,\n",
                        "field started_at: '2026-02-30T10:00:00+08:00' is not an ISO 8601 date-time", "field"),
    "parent_path": ("c2,../../etc/passwd,A1,王芳,一组,,,\n", "file '../../etc/passwd' is outside the CSV's folder",
                    False),
    "absolute_path_elsewhere": ("c2,/etc/passwd,A1,王芳,一组,,,\n", "file '/etc/passwd' is outside the CSV's folder",
                                False),
    "symlink_out": ("c2,link.wav,A1,王芳,一组,,,\n", "file 'link.wav' is outside the CSV's folder", False),
    "duplicate_call_id": ("good-1,other.wav,A1,王芳,一组,,,\n", "call_id 'good-1' already used by an earlier row",
                          False),
    "missing_agent": ("c3,other.wav,,,一组,,,\n", "row(s) without agent_id", True),
}


def _csv(folder: Path, rows: str, encoding: str = "utf-8") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "link.wav").unlink(missing_ok=True)
    (folder / "link.wav").symlink_to("/etc/passwd")
    path = folder / "metadata.csv"
    path.write_bytes((HEADER + rows).encode(encoding))
    return path


@pytest.mark.parametrize("case", ROWS, ids=list(ROWS))
def test_bad_metadata_row_is_named_by_row_number_and_problem(tmp_path, case):
    row, message, kept = ROWS[case]
    path = _csv(tmp_path / "data", GOOD_ROW + row)
    table = load_metadata(path)
    assert "good-1" in table.by_call_id  # the good row is unaffected
    [problem] = table.problems
    assert message in problem and str(path) in problem
    if kept == "field":  # one bad value: dropped, the row kept
        assert f"{path}, row 3, field " in problem and problem.endswith("value dropped, rest of the row kept")
        assert table.by_call_id["c9"].agent_id == "A1" and table.by_call_id["c9"].started_at is None
    elif kept:
        assert "c3" in table.by_call_id
        assert problem == (f"{path}: 1 row(s) without agent_id (row 3): those calls are audited but count under "
                           "no agent in the scorecards")
    else:
        assert f"{path}, row 3: " in problem and problem.endswith("row skipped")
        assert "c2" not in table.by_call_id
        assert all(Path(p).resolve().is_relative_to((tmp_path / "data").resolve()) for p in table.by_path)


def test_gbk_metadata_from_chinese_excel_is_read_with_a_note(tmp_path):
    path = _csv(tmp_path, GOOD_ROW, encoding="gbk")
    table = load_metadata(path)
    assert table.by_call_id["good-1"].agent_name == "王芳"
    assert table.problems == [f"{path}: not UTF-8; read as GB18030 (Chinese Excel). Save as UTF-8 to be sure."]


def test_batch_from_metadata_with_bad_rows_reads_only_recordings_inside_its_folder(tmp_path, transcriber, speech):
    folder = tmp_path / "data"
    path = _csv(folder, GOOD_ROW + "".join(row for row, _, _ in ROWS.values()), encoding="gbk")
    write_audio(folder / "good.wav", speech[None], SR)
    inputs = collect_inputs([], path)  # no files given: the batch is what the metadata lists
    # a bad date or a missing agent: kept, their files absent
    assert [p.name for p in inputs.audio_paths] == ["good.wav", "undated.wav", "other.wav"]
    assert not any("passwd" in str(p) or p.name == "link.wav" for p in inputs.audio_paths)
    for row_number, (_, message, kept) in enumerate(ROWS.values(), start=3):
        where = f"{path}, row {row_number}, field " if kept == "field" else f"{path}: " if kept \
            else f"{path}, row {row_number}: "
        assert any(problem.startswith(where) and message in problem for problem in inputs.problems), message
    report = transcribe_batch(transcriber, inputs, tmp_path / "out")
    outcomes = {Path(o.audio_path).name: o for o in report.outcomes}
    assert outcomes["good.wav"].ok and outcomes["good.wav"].call_id == "good-1"
    assert not outcomes["other.wav"].ok and "file not found" in outcomes["other.wav"].error
    saved = json.loads((tmp_path / "out" / "batch_report.json").read_text(encoding="utf-8"))
    assert any("GB18030" in problem for problem in saved["problems"])


# -- lexicon files -------------------------------------------------------------------------------------------------------

BOMB = 'a: &a ["lol","lol","lol"]\nb: &b [*a,*a,*a]\nc: &c [*b,*b,*b]\nd: [*c,*c,*c]\n'

# id -> (file, how to break it, what the error must say)
LEXICONS = {
    "yaml_bomb_in_rule_file": ("cn/signals.yaml", lambda text: BOMB + text, "YAML aliases (*name) are not allowed"),
    "invalid_regex": ("cn/conduct.yaml", lambda text: text.replace('- "放(?:你)?(?:点|些)?血', '- "放((?:你)?(?:点|些)?血',
                                                                   1),
                      "field 'rules.patterns': invalid regular expression"),
    "oversized_file": ("cn/scope.yaml", lambda text: text + "#" * (3 * 1024 * 1024) + "\n",
                       "lexicon files are limited to"),
    "yaml_bomb_in_asr_lexicon": ("asr_zh.yaml", lambda text: text + BOMB, "YAML aliases (*name) are not allowed"),
    "not_utf8": ("cn/profile.yaml", lambda text: text.encode("gbk", errors="replace").decode("latin-1"),
                 "not UTF-8 text"),
}


@pytest.mark.parametrize("case", LEXICONS, ids=list(LEXICONS))
def test_broken_lexicon_stops_the_command_naming_the_file_and_writes_nothing(tmp_path, monkeypatch, model_cache,
                                                                              case):
    name, breaking, message = LEXICONS[case]
    lexicons = tmp_path / "lexicons"
    shutil.copytree(lexicon_dir(), lexicons)
    target = lexicons / name
    broken = breaking(target.read_text(encoding="utf-8"))
    target.write_bytes(broken.encode("latin-1") if case == "not_utf8" else broken.encode("utf-8"))
    monkeypatch.setenv("AUDIT_LEXICON_DIR", str(lexicons))
    calls = tmp_path / "calls.jsonl"
    calls.write_text(json.dumps({"call_id": "c1", "turns": [{"speaker": "agent", "text": "您好"}]}) + "\n",
                     encoding="utf-8")
    if name == "asr_zh.yaml":  # read by the recogniser
        command = ["transcribe", str(SAMPLES / "c11_privacy_harassment_mono.mp3"), "--out", str(tmp_path / "out"),
                   "--cache-dir", str(model_cache)]
    else:  # read by the auditor
        command = ["scan", str(calls), "--out", str(tmp_path / "out" / "audits.jsonl")]
    result = CliRunner(env={"COLUMNS": "400"}).invoke(app, command)
    assert result.exit_code == 2, result.output  # a usage error, not a crash (no traceback)
    assert result.exception is None or isinstance(result.exception, SystemExit)
    printed = flat(result.output)
    assert flat(str(target)) in printed and flat(message) in printed, result.output
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


# -- transcript JSONL lines (audit scan) ----------------------------------------------------------------------------------

GOOD_CALL = {"call_id": "ok", "turns": [{"speaker": "agent", "text": "你这个老赖，再不还我就找人收拾你"}]}

# id -> (the bad line as bytes, what the problem must say)
LINES = {
    "ten_megabyte_line": (b'{"call_id": "huge", "turns": [{"text": "' + b"a" * (10 * 1024 * 1024 + 10) + b'"}]}',
                          "longer than 10485760 bytes"),
    "not_json": (b"{call_id: ok", "not valid JSON"),
    "gbk_bytes": (json.dumps({"call_id": "gbk", "turns": [{"text": "逾期"}]}, ensure_ascii=False).encode("gbk"),
                  "not UTF-8"),
    "nested_too_deep": (b"[" * 100_000 + b"]" * 100_000, "JSON nested too deeply"),
    "turns_not_a_list": (b'{"call_id": "x", "turns": "hello"}', "'turns' missing or not a list"),
    "unknown_speaker": (b'{"call_id": "x", "turns": [{"speaker": "robot", "text": "hi"}]}', "turn 0: speaker 'robot' is not one of agent, customer, unknown"),
    "duplicate_call_id": (json.dumps(GOOD_CALL, ensure_ascii=False).encode(), "call_id 'ok' already used on line 1"),
}


@pytest.mark.parametrize("case", LINES, ids=list(LINES))
def test_bad_transcript_line_is_named_by_line_number_and_the_rest_audited(tmp_path, case):
    bad, message = LINES[case]
    source = tmp_path / "in.jsonl"
    good = json.dumps(GOOD_CALL, ensure_ascii=False).encode()
    last = json.dumps({**GOOD_CALL, "call_id": "ok-after"}, ensure_ascii=False).encode()
    source.write_bytes(good + b"\n" + bad + b"\n" + last + b"\n")
    out = tmp_path / "out.jsonl"
    result = CliRunner(env={"COLUMNS": "400"}).invoke(app, ["scan", str(source), "--out", str(out)])
    assert result.exit_code == 1, result.output
    assert flat(f"{source}, line 2: {message}") in flat(result.output), result.output
    audits = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [a["call_id"] for a in audits] == ["ok", "ok-after"]
    assert {f["category"] for f in audits[1]["findings"]} == {"insult", "violence_threat"}


def test_non_finite_times_in_a_transcript_do_not_break_the_output(tmp_path):
    """JSON from other tools may carry NaN / Infinity (Python's json reads them); the audit written back must still
    be valid JSON, so such times are dropped rather than copied into the evidence."""
    source = tmp_path / "in.jsonl"
    source.write_text('{"call_id": "nan", "turns": [{"speaker": "agent", "text": "我找人收拾你", "start_s": NaN, '
                      '"end_s": Infinity}]}\n', encoding="utf-8")
    out = tmp_path / "out.jsonl"
    result = runner.invoke(app, ["scan", str(source), "--out", str(out)])
    assert result.exit_code == 0, result.output
    line = out.read_text(encoding="utf-8")
    audit = json.loads(line, parse_constant=lambda name: pytest.fail(f"{name} in the output"))
    assert audit["findings"] and audit["findings"][0]["start_s"] is None
