"""Long recordings (a recorder left running for hours) are decoded and recognised in windows: memory stays flat
whatever the duration, and times in the transcript are on the recording's own clock."""

from __future__ import annotations

import json
import subprocess
import sys
import wave
from pathlib import Path

import numpy as np
import pytest

from audio_files import noise, write_audio
from audit import asr
from audit.asr import LONG_AUDIO_S, WINDOW_S, window_cut
from audit.audio import AudioReader, decode_audio
from conftest import SAMPLES, heard

SR = 16_000
# 12.7 s of the agent (right channel) of c04: 「我是鑫诚资产的，姓刘，工号二零一七，长河银行委托我们处理你的欠款…」
SPEECH_FILE, SPEECH_CHANNEL, SPEECH_FROM_S, SPEECH_TO_S = SAMPLES / "c04_violence_threat.opus", 1, 4.5, 17.2


@pytest.fixture(scope="module")
def speech() -> np.ndarray:
    signal = decode_audio(SPEECH_FILE).samples[SPEECH_CHANNEL]
    return signal[int(SPEECH_FROM_S * SR):int(SPEECH_TO_S * SR)].copy()


def write_long_wav(path: Path, seconds: int, speech: np.ndarray, at_s: tuple[int, ...]) -> Path:
    """``seconds`` of low noise at 16 kHz mono with ``speech`` added at each offset, written a minute at a time, so
    that the test itself never holds the whole recording either."""
    rng = np.random.default_rng(0)
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(SR)
        for start in range(0, seconds, 60):
            block = rng.standard_normal(60 * SR).astype(np.float32) * 0.002
            for offset in at_s:
                lo, hi = max(offset, start), min(offset + len(speech) / SR, start + 60)
                if lo < hi:
                    a, b = int((lo - start) * SR), int((hi - start) * SR)
                    source = int((lo - offset) * SR)
                    block[a:b] += speech[source:source + b - a]
            out.writeframes((np.clip(block, -1, 1) * 32767).astype(np.int16).tobytes())
    return path


# Runs in a fresh interpreter so that ru_maxrss (the peak, which never goes down) measures this one transcription:
# the model and the VAD are loaded first, then the peak before and after transcribing is compared.
MEASURE = """
import json, resource, sys
import numpy as np
from faster_whisper.vad import get_speech_timestamps
from audit.asr import Transcriber
transcriber = Transcriber(cache_dir=sys.argv[2], use_cache=False)
transcriber.load()
get_speech_timestamps(np.zeros(16000, dtype=np.float32))
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
result = transcriber.transcribe(sys.argv[1])
growth_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
print(json.dumps({"growth_bytes": growth_kb * 1024, "duration_s": result.transcript.duration_s,
                  "window_s": result.transcript.asr_options.get("window_s"),
                  "segments": [[s.start_s, s.end_s, s.text] for s in result.transcript.segments]}))
"""


def measure(path: Path, model_cache: Path) -> dict:
    done = subprocess.run([sys.executable, "-c", MEASURE, str(path), str(model_cache)], capture_output=True,
                          text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_two_hour_recording_is_transcribed_in_windows_with_flat_memory(tmp_path, model_cache, speech):
    two_hours = 2 * 3600
    whole_array_bytes = two_hours * SR * 4  # float32 mono: what decoding it whole would hold before any ASR
    late_s = two_hours - 100
    long = measure(write_long_wav(tmp_path / "two_hours.wav", two_hours, speech, (30, late_s)), model_cache)
    # the shortest recording that takes the windowed path: what a 2 h one may cost at most, plus a margin
    reference_s = LONG_AUDIO_S + 60
    reference = measure(write_long_wav(tmp_path / "reference.wav", reference_s, speech, (30,)), model_cache)

    assert long["duration_s"] == pytest.approx(two_hours, abs=0.1) and long["window_s"] == WINDOW_S
    starts = [start for start, _, _ in long["segments"]]
    text = "".join(text for _, _, text in long["segments"])
    # both pieces of speech, nothing invented; counted by sound, as the recogniser's choice among homophones
    # (长河 / 常和) moves with the CPU's arithmetic
    said = f" {heard(text)}"
    assert said.count(f" {heard('长河银行')}") == 2 and said.count(f" {heard('半年')}") == 2
    assert min(starts) == pytest.approx(30, abs=1.0)
    assert [s for s in starts if s > 3600] and min(s for s in starts if s > 3600) == pytest.approx(late_s, abs=1.0)
    # memory does not grow with duration: 8x longer, same peak (measured ~260 MB for both, most of it
    # faster-whisper's VAD and decoder on one window) and well below the 460 MB the whole signal would take
    assert long["growth_bytes"] < reference["growth_bytes"] + 64 * 2**20, (long["growth_bytes"], reference)
    assert long["growth_bytes"] < 0.7 * whole_array_bytes, long["growth_bytes"]


def test_windows_end_at_a_silence_so_no_sentence_is_cut(tmp_path, monkeypatch, model_cache, speech):
    """Small windows (40 s) so the boundaries are many and cheap to check: speech across a window's end is kept
    whole, times are shifted back to the recording's clock, and the stereo channels keep their roles."""
    monkeypatch.setattr(asr.windows, "LONG_AUDIO_S", 60)
    monkeypatch.setattr(asr.windows, "WINDOW_S", 40)
    seconds = 170
    agent = noise(seconds, amplitude=0.002, seed=1)
    customer = noise(seconds, amplitude=0.002, seed=2)
    for at in (35, 120):  # 35-47.7 s straddles the first window's nominal end at 40 s
        agent[at * SR:at * SR + len(speech)] += speech
    path = write_audio(tmp_path / "stereo.flac", np.stack([agent, customer]), SR)
    result = asr.Transcriber(cache_dir=model_cache).transcribe(path, channel_layout="stereo_agent_left")
    transcript = result.transcript
    assert transcript.asr_options["window_s"] == 40 and transcript.duration_s == pytest.approx(seconds, abs=0.1)
    agent_turns = [s for s in transcript.segments if s.speaker == "agent"]
    assert {s.speaker for s in transcript.segments} == {"agent"}  # the customer channel is noise only
    around_35 = "".join(s.text for s in agent_turns if 34 <= s.start_s < 50)
    around_120 = "".join(s.text for s in agent_turns if 119 <= s.start_s < 135)
    for text in (around_35, around_120):  # start and end of the sentence, in one piece
        assert "银行" in text and "半年" in text, text  # the name 长河 is a homophone lottery (常和)
    assert min(s.start_s for s in agent_turns if s.start_s > 100) == pytest.approx(120, abs=1.0)
    for segment in agent_turns:
        assert all(segment.start_s - 0.5 <= w.start_s <= w.end_s <= segment.end_s + 0.5 for w in segment.words)
    again = asr.Transcriber(cache_dir=model_cache).transcribe(path, channel_layout="stereo_agent_left")
    assert again.from_cache and again.transcript == transcript


def test_window_cut_falls_in_a_silence_after_the_last_whole_sentence(speech):
    trailing_silence = noise(60, amplitude=0.002)
    trailing_silence[35 * SR:35 * SR + len(speech)] += speech  # speech 35-47.7 s, then nothing
    assert 47.7 * SR < window_cut(trailing_silence) < 60 * SR
    running_over = noise(60, amplitude=0.002)
    running_over[35 * SR:35 * SR + len(speech)] += speech
    running_over[49 * SR:] += speech[:11 * SR]  # a second sentence from 49 s runs past the window's end
    assert 47.7 * SR <= window_cut(running_over) < 60 * SR  # in the pause, or a pause inside the second sentence
    assert window_cut(noise(60, amplitude=0.002)) == 60 * SR  # nothing said near the end: the window's end


def test_reading_in_pieces_gives_exactly_the_whole_decode():
    whole = decode_audio(SAMPLES / "c01_compliant_stereo.opus").samples
    with AudioReader(SAMPLES / "c01_compliant_stereo.opus") as reader:
        pieces = [reader.read(12_345) for _ in range(5)] + [reader.read()]
        assert reader.exhausted
    assert np.array_equal(np.concatenate(pieces, axis=1), whole)


def test_short_call_keeps_the_cache_key_it_had_before_windows(model_cache):
    """Calls up to LONG_AUDIO_S take the whole-file path; their cache key is computed exactly as before windows
    existed, so every transcript already cached stays valid. Only windowed recordings get a key of their own."""
    import hashlib

    transcriber = asr.Transcriber(cache_dir=model_cache)
    for split in (True, False):
        options = transcriber._decoding_options(split)
        old_key = json.dumps({"model": transcriber.source.model_id, "options": options.decoding_key(),
                              "split_channels": split, "format": asr.CACHE_FORMAT}, sort_keys=True)
        name = f"{'0' * 64}-{hashlib.sha256(old_key.encode()).hexdigest()[:16]}.json"
        assert transcriber._cache_path("0" * 64, split).name == name
        assert transcriber._cache_path("0" * 64, split, windowed=True).name != name
