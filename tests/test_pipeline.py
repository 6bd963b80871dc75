"""The main job as a batch: each call stored as it finishes, and a run killed half-way resumed into exactly the
database an uninterrupted run makes."""

from __future__ import annotations

import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import SAMPLES

CALLS = ("c03_missing_disclosures", "c04_violence_threat", "c11_privacy_harassment_mono")
WALL_CLOCK_COLUMNS = {"created_at"}  # when a row was written: the only thing two runs may differ in


@pytest.fixture(scope="module")
def batch_folder(tmp_path_factory, sample_metadata):
    folder = tmp_path_factory.mktemp("batch")
    lines = (SAMPLES / "metadata.csv").read_text(encoding="utf-8").splitlines()
    kept = [lines[0]]
    for line in lines[1:]:
        if line.split(",")[0] in CALLS:
            record = sample_metadata.by_call_id[line.split(",")[0]]
            shutil.copy(record.file, folder)
            kept.append(line.replace(line.split(",")[1], Path(record.file).name))
    (folder / "metadata.csv").write_text("\n".join(kept) + "\n", encoding="utf-8")
    return folder


def _cache_with_model(tmp_path: Path, model_cache: Path, transcriber) -> Path:
    """A fresh transcript cache (so the run really transcribes) that reuses the assembled model."""
    transcriber.source  # noqa: B018 - assembles the bundled model into model_cache once
    cache = tmp_path / "cache"
    cache.mkdir()
    (cache / "models").symlink_to(model_cache / "models")
    return cache


def _command(folder: Path, out: Path, cache: Path, *options: str) -> list[str]:
    return [sys.executable, "-m", "audit", "run", str(folder), "--out", str(out), "--cache-dir", str(cache),
            "--jsonl", str(out / "calls.jsonl"), *options]


def _dump(db: Path) -> dict[str, list[tuple]]:
    """Every row of every table, minus wall-clock columns, in id order."""
    with sqlite3.connect(db) as raw:
        tables = [row[0] for row in raw.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        dump = {}
        for table in tables:
            columns = [row[1] for row in raw.execute(f"PRAGMA table_info({table})")
                       if row[1] not in WALL_CLOCK_COLUMNS]
            dump[table] = raw.execute(f"SELECT {', '.join(columns)} FROM {table} ORDER BY 1").fetchall()
    return dump


def _audits_stored(db: Path) -> int:
    try:
        with sqlite3.connect(db, timeout=1) as raw:
            return raw.execute("SELECT count(*) FROM audits").fetchone()[0]
    except sqlite3.Error:
        return 0  # not created yet, or mid-migration


def test_a_run_killed_after_its_first_call_resumes_into_the_same_database(tmp_path, batch_folder, model_cache,
                                                                          transcriber):
    # One worker: calls are then stored in input order, so the two databases compare row for row, ids included
    # (with several workers the order calls finish in, and so their ids, may differ from run to run).
    whole = tmp_path / "whole"
    whole.mkdir()
    cache = _cache_with_model(whole, model_cache, transcriber)
    uninterrupted = subprocess.run(_command(batch_folder, whole / "out", cache, "--workers", "1"),
                                   capture_output=True, text=True, env=os.environ | {"COLUMNS": "200"})
    assert uninterrupted.returncode == 0, uninterrupted.stderr

    killed = tmp_path / "killed"
    killed.mkdir()
    cache = _cache_with_model(killed, model_cache, transcriber)
    command = _command(batch_folder, killed / "out", cache, "--workers", "1")
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 300
    while _audits_stored(killed / "out" / "audit.db") < 1 and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.2)
    process.send_signal(signal.SIGKILL)  # no chance to clean up: as if the machine lost power
    process.wait()
    stored_at_kill = _audits_stored(killed / "out" / "audit.db")
    assert 1 <= stored_at_kill < len(CALLS), "the kill must land mid-batch for this test to mean anything"

    resumed = subprocess.run(command, capture_output=True, text=True, env=os.environ | {"COLUMNS": "200"})
    assert resumed.returncode == 0, resumed.stderr
    assert f"({stored_at_kill} already in the database)" in " ".join(resumed.stderr.split())
    assert _dump(killed / "out" / "audit.db") == _dump(whole / "out" / "audit.db")
    assert (killed / "out" / "calls.jsonl").read_text("utf-8") == (whole / "out" / "calls.jsonl").read_text("utf-8")
    lines = [json.loads(line) for line in (whole / "out" / "calls.jsonl").read_text("utf-8").splitlines()]
    assert [line["call_id"] for line in lines] == sorted(CALLS)  # input order, every call, the `audit scan` shape
    assert all({"findings", "disclosures", "verdict", "score", "rule_pack"} <= set(line) for line in lines)


def _audited_lines(sample_transcripts, call_ids):
    from audit.auditor import Auditor
    from audit.scan import audit_to_line

    auditor = Auditor()
    return [audit_to_line(auditor.audit_transcript(sample_transcripts[call_id])) for call_id in sorted(call_ids)]


@pytest.mark.parametrize("engine", ["workers", "ray"])
def test_parallel_engines_store_what_the_sequential_run_finds(engine, tmp_path, batch_folder, model_cache,
                                                               transcriber, sample_transcripts):
    """Two local worker processes, or a local Ray instance, give exactly the audits of the one-process run; a call
    that fails on a worker is recorded as failed with its error and the rest go on."""
    from audit.asr import Transcriber
    from audit.auditor import Auditor
    from audit.pipeline import collect_inputs, run_batch
    from audit.storage import Store

    folder = tmp_path / "batch"
    shutil.copytree(batch_folder, folder)
    (folder / "broken.wav").write_text("这不是录音" * 50, encoding="utf-8")

    if engine == "ray":
        ray = pytest.importorskip("ray")
        ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    try:
        store = Store(tmp_path / "audit.db")
        parallel = Transcriber(cache_dir=_cache_with_model(tmp_path, model_cache, transcriber))
        report = run_batch(collect_inputs([folder]), parallel, Auditor(), store, tmp_path / "transcripts",
                           workers=2, engine="ray" if engine == "ray" else "local")
    finally:
        if engine == "ray":
            ray.shutdown()
    [failed] = report.failed
    assert failed.call_id == "broken" and "broken.wav" in failed.error and "not a readable audio file" in failed.error
    assert not any(outcome.from_cache for outcome in report.outcomes)
    assert report.audit_lines == _audited_lines(sample_transcripts, CALLS)
    assert store.counts()["audits"] == len(CALLS)
    stored = {outcome.call_id: Path(outcome.output_path).read_text("utf-8") for outcome in report.outcomes
              if outcome.ok}
    assert set(stored) == set(CALLS) and all(str(folder) in text for text in stored.values())


def test_rescan_adds_one_audit_per_call_for_a_new_scorecard_and_nothing_when_repeated(tmp_path, seeded_db,
                                                                                    sample_transcripts):
    from audit.auditor import Auditor
    from audit.pipeline import rescan_stored
    from audit.storage import Store

    shutil.copy(seeded_db, tmp_path / "audit.db")  # every sample call audited once with the default scorecard
    store, auditor = Store(tmp_path / "audit.db"), Auditor()
    assert store.counts()["audits"] == len(sample_transcripts)
    assert rescan_stored(auditor, store).added == 0  # same rule pack and scorecard: already there

    outsourced = Auditor(scorecard="outsourced")
    report = rescan_stored(outsourced, store, since="2026-11-10", until="2026-11-19")
    in_range = [t for t in sample_transcripts.values() if "2026-11-10" <= t.metadata.started_at[:10] <= "2026-11-19"]
    assert report.audited == report.added == len(in_range) and 0 < len(in_range) < len(sample_transcripts)
    assert store.counts()["audits"] == len(sample_transcripts) + len(in_range)
    assert store.counts()["transcripts"] == len(sample_transcripts)  # no new transcription
    assert rescan_stored(outsourced, store, since="2026-11-10", until="2026-11-19").added == 0


def test_repeated_kills_at_random_moments_lose_nothing_and_duplicate_nothing(tmp_path, batch_folder, model_cache,
                                                                              transcriber):
    """SIGKILL `audit run` again and again at random moments (start-up, migration, recognition, saving); then one run
    to the end must leave every call exactly once, a sound database and only whole files."""
    import random

    rng = random.Random(20261130)  # fixed: a failure can be replayed
    out = tmp_path / "out"
    command = _command(batch_folder, out, _cache_with_model(tmp_path, model_cache, transcriber))
    moments = []
    for _ in range(6):
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        moments.append(rng.uniform(0.5, 15.0))
        time.sleep(moments[-1])
        process.send_signal(signal.SIGKILL)
        process.wait()
    final = subprocess.run(command, capture_output=True, text=True, env=os.environ | {"COLUMNS": "200"})
    assert final.returncode == 0, (moments, final.stderr)
    with sqlite3.connect(out / "audit.db") as raw:
        assert raw.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert raw.execute("PRAGMA foreign_key_check").fetchall() == []
        calls = [row[0] for row in raw.execute("SELECT call_id FROM calls ORDER BY call_id")]
        audits_per_call = raw.execute("SELECT call_pk, count(*) FROM audits GROUP BY call_pk").fetchall()
        transcripts = raw.execute("SELECT count(*) FROM transcripts").fetchone()[0]
    assert calls == sorted(CALLS), moments
    assert [count for _, count in audits_per_call] == [1] * len(CALLS) and transcripts == len(CALLS), moments
    for path in (out / "transcripts").glob("*.json"):  # atomic writes: no half-written file anywhere
        json.loads(path.read_text("utf-8"))
    assert len((out / "calls.jsonl").read_text("utf-8").splitlines()) == len(CALLS)


def _children(pid: int) -> set[int]:
    children = set()
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1]) == pid:
                children.add(int(entry.name))
        except (OSError, IndexError, ValueError):
            continue
    return children


def _alive(pid: int) -> bool:
    try:
        return (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads the process table from /proc")
def test_a_killed_run_leaves_no_worker_process_behind(tmp_path, batch_folder, model_cache, transcriber):
    """SIGKILL gives the driver no chance to stop its pool: the workers must notice and leave by themselves, not
    wait forever with a model in memory each."""
    command = _command(batch_folder, tmp_path / "out", _cache_with_model(tmp_path, model_cache, transcriber),
                       "--workers", "2")
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    workers: set[int] = set()
    deadline = time.monotonic() + 120
    while len(workers) < 2 and process.poll() is None and time.monotonic() < deadline:
        # spawn'd workers plus the resource tracker: the workers are those that load the model
        workers = {pid for pid in _children(process.pid)
                   if "spawn_main" in (Path("/proc") / str(pid) / "cmdline").read_text(errors="replace")}
        time.sleep(0.2)
    assert len(workers) == 2, "the pool never started"
    time.sleep(3)  # into recognition
    process.send_signal(signal.SIGKILL)
    process.wait()
    deadline = time.monotonic() + 30
    while any(_alive(pid) for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not any(_alive(pid) for pid in workers)


@pytest.mark.parametrize("files, expected", [
    # (recordings of a batch, the order parallel workers take them)
    (["c11_privacy_harassment_mono.mp3", "c13_vulnerable_promise.opus", "c03_missing_disclosures.opus"],
     ["c13_vulnerable_promise.opus", "c03_missing_disclosures.opus", "c11_privacy_harassment_mono.mp3"]),
    (["missing.wav", "c05_insults.opus", "c10_lawful_notice.opus"],
     ["c10_lawful_notice.opus", "c05_insults.opus", "missing.wav"]),  # a length nobody can read goes last
])
def test_parallel_workers_take_the_longest_recordings_first(files, expected):
    from audit.engines import Job, longest_first

    jobs = [Job(index, SAMPLES / name, name, None) for index, name in enumerate(files)]
    assert [job.audio_path.name for job in longest_first(jobs)] == expected
