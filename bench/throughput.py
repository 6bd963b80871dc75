"""Throughput on this machine: raw faster-whisper against our whole pipeline, on the same audio, in one run.

    .venv/bin/python bench/throughput.py [--minutes 20] [--calls-for-rescan 1000] [--skip-raw] [--rescan-only] [--quick [--rounds N]]

The sample calls are decoded and written as 16 kHz WAV copies until there are at least ``--minutes`` of audio (each
copy a few samples longer than the last, so no copy is served from another's cache). Then, each with a fresh cache:

1. raw faster-whisper, sequential (``WhisperModel.transcribe``), and batched (``BatchedInferencePipeline``);
2. ``audit run`` end to end (transcribe, audit, store): as a user runs it (one worker per core), with one worker,
   and with one worker decoding batched, each as a subprocess whose process tree's resident memory is sampled;
3. scan-only calls per second (audit of stored transcripts, no ASR);
4. re-audit (``audit rescan`` path) of ``--calls-for-rescan`` cached calls under a new scorecard, three times.

Raw faster-whisper decodes each file as it is (stereo down-mixed, one pass); the pipeline decodes each channel of a
stereo call on its own (speakers from channels), so it does more work per audio second. Prints one table.

``--quick`` measures only what the ≥ 90% target compares, raw batched faster-whisper and ``audit run`` as a user runs
it (plus scan-only), back to back (``--rounds N``: N times, interleaved): on a shared machine the whole table drifts
too much to compare its ends. Each figure comes with the CPU seconds it took per audio second (the process and its
workers: what other processes' load does not change) and the mean load average while it ran.

``--rescan-only`` measures step 4 alone, on transcripts made from the labelled dev-set calls (no audio, no ASR).
"""

from __future__ import annotations

import argparse
import csv
import dataclasses
import gc
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import wave
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from audit.asr import Transcriber, default_workers, resolve_model  # noqa: E402
from audit.audio import decode_audio  # noqa: E402
from audit.metadata import load_metadata  # noqa: E402


def make_audio(folder: Path, minutes: float) -> tuple[list[Path], float]:
    """WAV copies of the samples until ``minutes`` of audio, with a metadata.csv that keeps each call's layout."""
    records = list(load_metadata(REPO / "samples" / "metadata.csv").by_call_id.values())
    decoded = {record.call_id: decode_audio(record.file) for record in records}
    rows, paths, total_s, copy = [], [], 0.0, 0
    while total_s < minutes * 60:
        for record in records:
            audio = decoded[record.call_id]
            call_id = f"{record.call_id}_copy{copy}"
            path = folder / f"{call_id}.wav"
            padded = np.pad(audio.samples, ((0, 0), (0, copy + 1)))  # a distinct file, the same speech
            pcm = (np.clip(padded, -1, 1) * 32767).astype("<i2").T.copy()
            with wave.open(str(path), "wb") as handle:
                handle.setnchannels(audio.channels)
                handle.setsampwidth(2)
                handle.setframerate(16_000)
                handle.writeframes(pcm.tobytes())
            rows.append({**dataclasses.asdict(record), "call_id": call_id, "file": path.name})
            paths.append(path)
            total_s += padded.shape[1] / 16_000
            if total_s >= minutes * 60:
                break
        copy += 1
    with open(folder / "metadata.csv", "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return paths, total_s


def raw_whisper(paths: list[Path], batch_size: int) -> tuple[float, float]:
    """Wall and CPU seconds for plain faster-whisper over every file (model load excluded), options as close to ours
    as the API allows: Chinese, beam 5, VAD, word timestamps."""
    from faster_whisper import BatchedInferencePipeline, WhisperModel

    model = WhisperModel(resolve_model("base").location, device="cpu", compute_type="int8",
                         cpu_threads=os.cpu_count() or 1)
    engine = BatchedInferencePipeline(model) if batch_size > 1 else model
    extra = {"batch_size": batch_size} if batch_size > 1 else {}
    started, cpu = time.perf_counter(), time.process_time()
    for path in paths:
        segments, _ = engine.transcribe(str(path), language="zh", beam_size=5, vad_filter=True, word_timestamps=True,
                                        condition_on_previous_text=False, **extra)
        for _ in segments:  # segments are produced lazily: consume them
            pass
    return time.perf_counter() - started, time.process_time() - cpu


def tree_rss_bytes(pid: int) -> int:
    """Resident memory of a process and all its descendants, from /proc."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            children.setdefault(int(fields[1]), []).append(int(entry.name))
            rss[int(entry.name)] = int(fields[21]) * os.sysconf("SC_PAGE_SIZE")
        except (OSError, IndexError, ValueError):
            continue
    total, stack = 0, [pid]
    while stack:
        current = stack.pop()
        total += rss.get(current, 0)
        stack.extend(children.get(current, []))
    return total


def pipeline_run(folder: Path, out: Path, options: list[str], model_cache: Path) -> tuple[float, int, float]:
    """Wall seconds, peak tree memory and CPU seconds (the process and its workers) of `audit run` as a user runs it
    (fresh transcript cache)."""
    cache = out / "cache"
    cache.mkdir(parents=True)
    (cache / "models").symlink_to(model_cache / "models")
    command = [sys.executable, "-m", "audit", "run", str(folder), "--out", str(out), "--cache-dir", str(cache),
               *options]
    started, children = time.perf_counter(), resource.getrusage(resource.RUSAGE_CHILDREN)
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    peak = 0
    while process.poll() is None:
        peak = max(peak, tree_rss_bytes(process.pid))
        time.sleep(0.25)
    wall = time.perf_counter() - started
    if process.returncode != 0:
        raise SystemExit(f"audit run failed: {process.stderr.read()[-2000:]}")
    after = resource.getrusage(resource.RUSAGE_CHILDREN)  # the pool's workers were waited for by `audit run`
    return wall, peak, (after.ru_utime + after.ru_stime) - (children.ru_utime + children.ru_stime)


class LoadAverage:
    """The machine's 1-minute load average sampled every few seconds while a measurement runs (in a thread)."""

    def __enter__(self) -> LoadAverage:
        self.samples, self._stop = [], threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def _sample(self) -> None:
        while not self._stop.wait(5.0):
            self.samples.append(os.getloadavg()[0])

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()

    def __str__(self) -> str:
        return f"load {statistics.mean(self.samples or [os.getloadavg()[0]]):.1f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=20)
    parser.add_argument("--calls-for-rescan", type=int, default=1000)
    parser.add_argument("--skip-raw", action="store_true", help="only the pipeline figures")
    parser.add_argument("--rescan-only", action="store_true", help="only the re-audit, on dev-set transcripts")
    parser.add_argument("--quick", action="store_true", help="only raw batched and the default `audit run`")
    parser.add_argument("--rounds", type=int, default=1, help="--quick: measure raw and ours this many times, "
                        "interleaved (raw, ours, raw, ours, ...), so a machine whose load drifts weighs on both")
    args = parser.parse_args()
    from audit.auditor import Auditor
    from audit.models import Transcript
    from audit.storage import Store

    rows: list[tuple[str, str]] = []
    with tempfile.TemporaryDirectory() as scratch:
        scratch = Path(scratch)
        if args.rescan_only:
            rows.append(rescan_figures(scratch, devset_transcripts(), Auditor(), args.calls_for_rescan))
            print_table(rows)
            return
        audio_dir = scratch / "audio"
        audio_dir.mkdir()
        paths, audio_s = make_audio(audio_dir, args.minutes)
        model_cache = Path(Transcriber().cache_dir)
        resolve_model("base")
        print(f"{len(paths)} calls, {audio_s / 60:.1f} min of audio, {os.cpu_count()} cores", flush=True)
        raws = (("raw faster-whisper, sequential", 0), ("raw faster-whisper, batched (8)", 8))
        workers, first_run = default_workers(Transcriber()), None
        runs = ((f"default ({workers} workers here)", []), ("--workers 1", ["--workers", "1"]),
                ("--workers 1 --batch-size 8", ["--workers", "1", "--batch-size", "8"]))
        if args.quick:
            measures = [("raw", raws[1]), ("ours", runs[0])] * max(1, args.rounds)
        else:
            measures = [("raw", raw) for raw in raws] + [("ours", run) for run in runs]
        for kind, (label, setting) in measures:
            if kind == "raw" and args.skip_raw:
                continue
            with LoadAverage() as load:
                if kind == "raw":
                    wall, cpu = raw_whisper(paths, setting)
                    memory = ""
                else:
                    wall, peak, cpu = pipeline_run(audio_dir, scratch / f"run{len(rows)}", setting, model_cache)
                    first_run = first_run or scratch / f"run{len(rows)}"
                    memory = f"; peak memory {peak / 2**30:.2f} GB"
            name = label if kind == "raw" else f"audit run end to end, {label}"
            rows.append((name, f"{audio_s / wall:.1f} audio s per wall s ({wall:.0f} s); {cpu / audio_s:.3f} CPU s "
                               f"per audio s{memory}; {load}"))
            print(rows[-1], flush=True)

        store = Store(first_run / "audit.db")
        transcripts = [Transcript.from_dict(body) for body in store.stored_transcripts()]
        auditor = Auditor()
        started = time.perf_counter()
        for transcript in transcripts:
            auditor.audit_transcript(transcript)
        scan_wall = time.perf_counter() - started
        rows.append(("scan only (audit of a stored transcript)", f"{len(transcripts) / scan_wall:.0f} calls per s"))

        if not args.quick:
            rows.append(rescan_figures(scratch, transcripts, auditor, args.calls_for_rescan))
    print_table(rows)


def devset_transcripts() -> list:
    """The labelled dev calls as transcripts (turns become segments, 4 s each): what a re-audit reads."""
    from audit.models import Segment, Transcript
    from audit.scan import read_calls

    transcripts = []
    for _, call, _ in read_calls(REPO / "tests" / "data" / "dev_clean.jsonl"):
        segments = tuple(Segment(4.0 * i, 4.0 * i + 3.5, turn.speaker, turn.text) for i, turn in enumerate(call.turns))
        transcripts.append(Transcript(call.call_id, "", 4.0 * len(segments), "zh", "dev-set", {}, segments))
    return transcripts


def rescan_figures(scratch: Path, transcripts: list, auditor, calls: int) -> tuple[str, str]:
    """Store ``calls`` copies of the transcripts with their audits, then time ``rescan_stored`` under a new
    scorecard on three copies of that database."""
    from audit.auditor import Auditor
    from audit.pipeline import rescan_stored
    from audit.scan import audit_to_line
    from audit.storage import Store

    big = Store(scratch / "rescan.db")
    items = []
    for index in range(calls):
        source = transcripts[index % len(transcripts)]
        transcript = dataclasses.replace(source, call_id=f"call{index:05d}", audio_sha256=f"{index:064x}")
        audit = auditor.audit_transcript(transcript)
        items.append((transcript, audit, audit_to_line(audit)))
    big.save_many(items)
    del items  # a rescan process holds one chunk, not the whole set-up: keep the collector's work comparable
    gc.collect()
    walls = []
    for attempt in range(3):  # the same work on three copies: this figure swings most with machine noise
        copy = scratch / f"rescan{attempt}.db"
        shutil.copy(scratch / "rescan.db", copy)
        rescanner, copy_store = Auditor(scorecard="outsourced"), Store(copy)  # start-up (~1.5 s) not counted
        started = time.perf_counter()
        report = rescan_stored(rescanner, copy_store)
        walls.append(time.perf_counter() - started)
    return (f"re-audit of {report.audited} cached calls (new scorecard)",
            f"{statistics.median(walls):.1f} s median of 3 ({min(walls):.1f}–{max(walls):.1f} s; "
            f"{report.added} audits added)")


def print_table(rows: list[tuple[str, str]]) -> None:
    width = max(len(label) for label, _ in rows)
    print()
    print(f"| {'measure':{width}} | result |")
    print(f"|{'-' * (width + 2)}|---|")
    for label, value in rows:
        print(f"| {label:{width}} | {value} |")


if __name__ == "__main__":
    main()
