"""Transcription accuracy: `audit transcribe` against plain faster-whisper on real speech, and on the sample calls.

    .venv/bin/python bench/asr_quality.py [--set real|samples|all] [--model base] [--device cpu] [--batch-size N]

real: the recordings of ../shared/asr-dev/ (real Mandarin speech with human transcripts, 16 kHz and its 8 kHz
telephone copy). Each clip goes through the same Whisper model twice in the same run: called plainly
(``transcribe(audio, language="zh", beam_size=5, vad_filter=True, condition_on_previous_text=False)``, folded to
Simplified) and through ``Transcriber``. Prints CER per clip where the two differ, pooled CER per source and overall,
and every domain word (逾期, 征信…) in our output that the reference does not have. A decoding change is judged here,
never on the synthetic samples alone.
With --cache-dir, both outputs are kept, so a rerun that changes only post-processing decodes nothing.
samples: every call in samples/metadata.csv, CER against its script, roles, real-time factor.
mono-mix: the stereo samples mixed down to one channel (at 16 kHz, and as 8 kHz telephone audio) and the three mono
samples, transcribed as mono calls, so that the roles found from voice and wording are judged against the script
(speech time with the right role, the wrong one, or unknown); `roles s` is a second pass from the cache (post-processing
and roles only). With --cache-dir, Whisper's output is kept and a rerun only reassigns roles.
Without --cache-dir every set transcribes with a fresh cache (nothing is served from an earlier run). CER counts content characters only (see
audit.text.character_error_rate).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from audit.asr import Transcriber  # noqa: E402
from audit.audio import file_sha256  # noqa: E402
from audit.asr_eval import RoleTime, call_cer, role_score, role_time, speaker_cer  # noqa: E402
from audit.metadata import load_metadata  # noqa: E402
from audit.text import character_edits, to_simplified  # noqa: E402

ASR_DEV = REPO.parent / "shared" / "asr-dev"


def pooled_cer(pairs: list[tuple[str, str]]) -> float:
    """Edits over reference characters, summed over clips (a long clip weighs more than a short one)."""
    counts = [character_edits(reference, hypothesis) for reference, hypothesis in pairs]
    return sum(edits for edits, _ in counts) / sum(length for _, length in counts)


def plain_text(model, model_id: str, path: Path, cache_dir: str) -> str:
    """Plain faster-whisper on one clip, folded to Simplified; kept under ``cache_dir`` when one is given.

    The audio goes in as faster-whisper's ``decode_audio`` gives it (16-bit samples), the pipeline's as our reader
    gives it (32-bit float): both are what a user of each gets, so they are not made equal here.
    """
    import ctranslate2
    from faster_whisper import decode_audio

    cached = Path(cache_dir) / "plain" / f"{model_id}-{file_sha256(path)}.json" if cache_dir else None
    if cached and cached.is_file():
        return json.loads(cached.read_text("utf-8"))
    ctranslate2.set_random_seed(0)  # temperature fallback samples: seeded, so reruns agree
    segments, _ = model.transcribe(decode_audio(str(path)), language="zh", beam_size=5, vad_filter=True,
                                   condition_on_previous_text=False)
    text = to_simplified("".join(segment.text for segment in segments))
    if cached:
        cached.parent.mkdir(parents=True, exist_ok=True)
        cached.write_text(json.dumps(text, ensure_ascii=False), "utf-8")
    return text


def real_speech(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        cache = args.cache_dir or scratch
        transcriber = Transcriber(model=args.model, device=args.device, cache_dir=cache, use_cache=bool(args.cache_dir))
        if args.hotwords:  # to measure a decoding bias before shipping it
            transcriber.options = replace(transcriber.options, hotwords=args.hotwords)
        model = transcriber.load()
        domain_words = transcriber.lexicon.domain_words
        print(f"model {transcriber.source.model_id}; hotwords {transcriber.options.hotwords or 'none'}; "
              f"prompt {transcriber.options.initial_prompt or 'none'}\n")
        for manifest in ("manifest.jsonl", "manifest_telephone_8k.jsonl"):
            clips = [json.loads(line) for line in (ASR_DEV / manifest).read_text("utf-8").splitlines()]
            rows = []
            for clip in clips:
                path = ASR_DEV / clip["path"]
                plain = plain_text(model, transcriber.source.model_id, path, args.cache_dir)
                ours = "".join(segment.text for segment in transcriber.transcribe(path).transcript.segments)
                rows.append((clip, plain, ours))
            print(f"== {manifest}: {len(clips)} clips, {sum(c['duration_s'] for c in clips):.0f} s")
            better = worse = 0
            for clip, plain, ours in rows:
                a, b = pooled_cer([(clip["reference"], plain)]), pooled_cer([(clip["reference"], ours)])
                if abs(a - b) > 1e-9:
                    better, worse = better + (b < a), worse + (b > a)
                    print(f"  {clip['id']:36} plain {a:5.3f}  ours {b:5.3f}  {ours}")
            print(f"  clips that differ: {better + worse} (ours better on {better}, worse on {worse})")
            sources = sorted({clip["path"].split("/")[1] for clip, _, _ in rows})
            print(f"  {'source':28} {'clips':>5} {'plain':>6} {'ours':>6}")
            for source in sources + ["ALL"]:
                picked = [r for r in rows if source == "ALL" or r[0]["path"].split("/")[1] == source]
                print(f"  {source:28} {len(picked):5} {pooled_cer([(c['reference'], p) for c, p, _ in picked]):6.3f} "
                      f"{pooled_cer([(c['reference'], o) for c, _, o in picked]):6.3f}")
            leaked = [(clip["id"], word) for clip, _, ours in rows for word in domain_words
                      if word in ours and word not in clip["reference"]]
            print(f"  domain words in our text that were not said: {len(leaked)} {leaked}\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--set", choices=("real", "samples", "mono-mix", "all"), default="all")
    parser.add_argument("--model", default="base")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--batch-size", type=int, default=0, help="0: sequential decoder; N>1: batched pipeline")
    parser.add_argument("--hotwords", default="", help="real: decode with these hotwords (space-separated)")
    parser.add_argument("--cache-dir", default="", help="real, mono-mix: keep Whisper's output (plain and ours) here and "
                        "reuse it on the next run (post-processing and roles are applied afresh each time)")
    args = parser.parse_args()
    if args.set in ("real", "all"):
        real_speech(args)
    if args.set in ("samples", "all"):
        sample_calls(args)
    if args.set in ("mono-mix", "all"):
        mono_mixdowns(args)


def _telephone_8k(mono_16k, np):
    """A 16 kHz signal as an 8 kHz telephone line carries it: 300-3400 Hz, then every second sample."""
    spectrum = np.fft.rfft(mono_16k)
    freqs = np.fft.rfftfreq(len(mono_16k), 1 / 16000)
    spectrum[(freqs < 300) | (freqs > 3400)] = 0
    return np.fft.irfft(spectrum, len(mono_16k))[::2]


def mono_calls(args: argparse.Namespace) -> list[tuple[str, str, Path, dict]]:
    """(set, call_id, audio file, script) for every mono call the roles are judged on: the stereo samples mixed down
    to one channel at 16 kHz and as 8 kHz telephone audio, and the samples recorded mono (8 kHz MP3)."""
    import wave

    import numpy as np

    from audit.audio import SAMPLE_RATE_HZ, AudioReader

    metadata = load_metadata(REPO / "samples" / "metadata.csv")
    work = Path(args.work_dir)
    calls = []
    for record in metadata.by_call_id.values():
        script = json.loads((REPO / "samples" / "scripts" / f"{record.call_id}.json").read_text("utf-8"))
        if script["channel_layout"] == "mono":
            calls.append(("mono sample 8k", record.call_id, Path(record.file), script))
            continue
        with AudioReader(record.file) as reader:
            mono = reader.decoded(reader.read(10 ** 9)).mono()
        for name, rate, signal in (("mix-down 16k", SAMPLE_RATE_HZ, mono), ("mix-down 8k", 8000, _telephone_8k(mono, np))):
            path = work / f"{record.call_id}-{rate}.wav"
            with wave.open(str(path), "wb") as out:
                out.setnchannels(1)
                out.setsampwidth(2)
                out.setframerate(rate)
                out.writeframes((np.clip(signal, -1, 1) * 32767).astype("<i2").tobytes())
            calls.append((name, record.call_id, path, script))
    return sorted(calls, key=lambda call: call[0])


def mono_mixdowns(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory() as work:
        args.work_dir = work
        transcriber = Transcriber(model=args.model, device=args.device, cache_dir=args.cache_dir or work)
        totals: dict[str, list[float]] = {}
        roles_s: dict[str, float] = {}
        print(f"{'set':15} {'call':30} {'speech s':>8} {'right':>6} {'wrong':>6} {'unknown':>7} {'roles s':>7}")
        for name, call_id, path, script in mono_calls(args):
            transcript = transcriber.transcribe(path, channel_layout="mono").transcript
            started = time.perf_counter()
            transcriber.transcribe(path, channel_layout="mono")  # from the cache: post-processing and roles only
            elapsed_s = time.perf_counter() - started
            roles_s[name] = roles_s.get(name, 0.0) + elapsed_s
            roles = role_time(script, transcript)
            parts = (roles.correct_s, roles.wrong_s, roles.unknown_s)
            totals[name] = [a + b for a, b in zip(totals.get(name, [0.0] * 3), parts)]
            print(f"{name:15} {call_id:30} {sum(parts):8.1f} {roles.share(parts[0]):6.3f} {roles.share(parts[1]):6.3f} "
                  f"{roles.share(parts[2]):7.3f} {elapsed_s:7.1f}")
        for name, parts in totals.items():
            share = RoleTime(*parts).share
            print(f"{name:15} {'ALL':30} {sum(parts):8.1f} {share(parts[0]):6.3f} {share(parts[1]):6.3f} "
                  f"{share(parts[2]):7.3f} {roles_s[name]:7.1f}")


def sample_calls(args: argparse.Namespace) -> None:
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
