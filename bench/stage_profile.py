"""Where `audit run` spends its time beyond the decoder: CPU and wall seconds per stage, call by call, beside plain
faster-whisper on the same file, interleaved (plain, ours, plain, ours, ...) so a machine whose load drifts is read
by both alike.

    .venv/bin/python bench/stage_profile.py [--threads 1] [--calls c01,c02] [--repeat 1]

One process, one model, ``--threads`` CTranslate2 threads (1 = what each of `audit run`'s workers gets on a CPU of N
cores with N workers), a fresh transcript cache per call. Plain is ``WhisperModel.transcribe(path)`` with the options
``bench/throughput.py`` gives raw faster-whisper (sequential: the stage costs of one worker are the question here,
not batching). Ours is ``Transcriber.transcribe`` followed by what `audit run`'s main process does with the result
(write the transcript, audit, store). The stages are timed by wrapping the functions that do them; CPU seconds are
``time.process_time`` (this process, all its threads), so other processes' load does not enter them.
"""

from __future__ import annotations

import argparse
import functools
import os
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import faster_whisper.transcribe  # noqa: E402
import faster_whisper.vad  # noqa: E402

from audit import roles, voice  # noqa: E402
import audit.asr.postprocess as postprocess  # noqa: E402
import audit.asr.transcriber as transcriber_module  # noqa: E402
from audit.asr import Transcriber, write_transcript  # noqa: E402
from audit.metadata import load_metadata  # noqa: E402

TIMES: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0])  # stage -> [cpu s, wall s]


def timed(label: str, function):
    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        cpu, wall = time.process_time(), time.perf_counter()
        try:
            return function(*args, **kwargs)
        finally:
            TIMES[label][0] += time.process_time() - cpu
            TIMES[label][1] += time.perf_counter() - wall
    return wrapper


def instrument() -> None:
    """Wrap each stage where its caller looks it up, so only the pipeline's calls are counted under its names."""
    faster_whisper.transcribe.get_speech_timestamps = timed(
        "  decoder's VAD", faster_whisper.transcribe.get_speech_timestamps)
    faster_whisper.vad.get_speech_timestamps = timed("second VAD pass (pause regions)",
                                                     faster_whisper.vad.get_speech_timestamps)
    transcriber_module.file_sha256 = timed("audio sha256", transcriber_module.file_sha256)
    Transcriber._recognise = timed("recognise (decode + both VAD passes)", Transcriber._recognise)
    postprocess.guard_segment = timed("  guard", postprocess.guard_segment)
    postprocess.split_at_pauses = timed("  pause splitting", postprocess.split_at_pauses)
    postprocess.normalize_transcript_text = timed("  text normalisation", postprocess.normalize_transcript_text)
    roles.assign_roles = timed("  mono roles (all)", roles.assign_roles)
    voice.embed_windows = timed("    voice encoder", voice.embed_windows)
    transcriber_module.postprocess = timed("postprocess (guard, split, roles)", postprocess.postprocess)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--calls", default="", help="comma-separated call-id prefixes (default: all 13 samples)")
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--transcripts-out", type=Path, help="keep each call's transcript JSON here (to diff)")
    args = parser.parse_args()
    from audit.auditor import Auditor
    from audit.storage import Store

    instrument()
    records = [r for r in load_metadata(REPO / "samples" / "metadata.csv").by_call_id.values()
               if not args.calls or any(r.call_id.startswith(p) for p in args.calls.split(","))]
    with tempfile.TemporaryDirectory() as scratch:
        scratch = Path(scratch)
        ours = Transcriber(cpu_threads=args.threads, cache_dir=scratch / "cache", use_cache=False)
        model = ours.load()
        auditor, store = Auditor(), Store(scratch / "audit.db")
        auditor.audit_transcript  # noqa: B018  (the auditor loads spaCy and the reader up front)
        plain = {"cpu": 0.0, "wall": 0.0}
        total = {"cpu": 0.0, "wall": 0.0}
        audio_s = 0.0
        for round_ in range(args.repeat):
            for record in records:
                cpu, wall = time.process_time(), time.perf_counter()
                segments, _ = model.transcribe(str(record.file), language="zh", beam_size=5, vad_filter=True,
                                               word_timestamps=True, condition_on_previous_text=False)
                for _ in segments:
                    pass
                plain["cpu"] += time.process_time() - cpu
                plain["wall"] += time.perf_counter() - wall
                load_plain = os.getloadavg()[0]

                cpu, wall = time.process_time(), time.perf_counter()
                result = timed("transcribe (all of the worker's part)", ours.transcribe)(
                    record.file, call_id=f"{record.call_id}_{round_}", metadata=record)
                folder = args.transcripts_out or scratch
                folder.mkdir(parents=True, exist_ok=True)
                timed("write transcript JSON", write_transcript)(result.transcript,
                                                                 folder / f"{record.call_id}_{round_}.json")
                audit = timed("audit (rules + reader + score)", auditor.audit_transcript)(result.transcript)
                from audit.scan import audit_to_line
                timed("store (SQLite)", store.save)(result.transcript, audit, audit_to_line(audit))
                total["cpu"] += time.process_time() - cpu
                total["wall"] += time.perf_counter() - wall
                audio_s += result.transcript.duration_s
                print(f"{record.call_id:30} {result.transcript.channel_layout:18} load {load_plain:4.1f} / "
                      f"{os.getloadavg()[0]:4.1f}", flush=True)

    print(f"\n{audio_s:.0f} s of audio, {args.threads} CTranslate2 thread(s), {os.cpu_count()} cores\n")
    print(f"| {'stage':42} | CPU s | wall s |")
    print(f"|{'-' * 44}|------:|-------:|")
    print(f"| {'plain faster-whisper on the same files':42} | {plain['cpu']:5.1f} | {plain['wall']:6.1f} |")
    print(f"| {'ours, everything per call':42} | {total['cpu']:5.1f} | {total['wall']:6.1f} |")
    for label, (cpu, wall) in TIMES.items():
        print(f"| {label:42} | {cpu:5.1f} | {wall:6.1f} |")
    print(f"\nours / plain CPU: {total['cpu'] / plain['cpu']:.2f}; wall: {total['wall'] / plain['wall']:.2f}")


if __name__ == "__main__":
    main()
