"""Transcription accuracy and speed on the sample calls: CER per call against its script, roles, real-time factor.

    .venv/bin/python bench/asr_quality.py [--model base] [--device cpu] [--batch-size N]

Transcribes every call in samples/metadata.csv with a fresh cache (nothing is served from an earlier run) and prints
one row per call. CER counts content characters only (see audit.text.character_error_rate).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from audit.asr import Transcriber  # noqa: E402
from audit.asr_eval import call_cer, role_score, speaker_cer  # noqa: E402
from audit.metadata import load_metadata  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="base")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--batch-size", type=int, default=0, help="0: sequential decoder; N>1: batched pipeline")
    args = parser.parse_args()
    metadata = load_metadata(REPO / "samples" / "metadata.csv")
    with tempfile.TemporaryDirectory() as cache:
        transcriber = Transcriber(model=args.model, device=args.device, cache_dir=cache,
                                  batch_size=args.batch_size)
        load_started = time.perf_counter()
        transcriber.load()
        print(f"model {transcriber.source.model_id} loaded in {time.perf_counter() - load_started:.1f} s "
              f"on {os.cpu_count()} cores, compute type {transcriber.options.compute_type}\n")
        header = f"{'call':34} {'layout':18} {'src Hz':>6} {'audio s':>7} {'ASR s':>6} {'x RT':>5} " \
                 f"{'CER':>5} {'agent':>5} {'cust.':>5} {'roles ok/wrong/unk':>18}"
        print(header)
        print("-" * len(header))
        total_audio = total_asr = 0.0
        for record in metadata.by_call_id.values():
            script = json.loads((REPO / "samples" / "scripts" / f"{record.call_id}.json").read_text("utf-8"))
            result = transcriber.transcribe(record.file, metadata=record)
            transcript = result.transcript
            total_audio += transcript.duration_s
            total_asr += result.asr_seconds
            roles = role_score(script, transcript)
            print(f"{record.call_id:34} {transcript.channel_layout:18} {script['sample_rate_hz']:>6} "
                  f"{transcript.duration_s:7.1f} {result.asr_seconds:6.1f} "
                  f"{transcript.duration_s / result.asr_seconds:5.1f} {call_cer(script, transcript):5.3f} "
                  f"{speaker_cer(script, transcript, 'agent'):5.3f} {speaker_cer(script, transcript, 'customer'):5.3f} "
                  f"{f'{roles.correct}/{roles.wrong}/{roles.unknown}':>18}")
        print(f"\ntotal: {total_audio:.0f} s of audio in {total_asr:.0f} s of ASR = "
              f"{total_audio / total_asr:.1f} audio seconds per wall second "
              f"({'batched, batch size ' + str(args.batch_size) if args.batch_size > 1 else 'sequential'}, one call "
              "at a time)")


if __name__ == "__main__":
    main()
