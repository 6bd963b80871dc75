"""Trustworthy findings: text Whisper invents on silence and noise never becomes a finding against an agent (no
segment at all: silence short and long, white, pink and loud noise, mains hum, one channel of each), and a disclosure
that could not be heard is 'unverifiable', not 'missing'."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from audio_files import noise, write_audio
from audit.asr import NO_SPEECH_WARNING
from audit.asr.postprocess import postprocess
from audit.audio import decode_audio
from audit.auditor import Auditor
from audit.models import Turn
from conftest import SAMPLES

SR = 16_000


@pytest.fixture(scope="module")
def auditor() -> Auditor:
    return Auditor()


def pink_noise(seconds: float, amplitude: float, seed: int = 0) -> np.ndarray:
    """1/f noise (what a fan or a busy room sounds like), made by shaping white noise's spectrum."""
    spectrum = np.fft.rfft(np.random.default_rng(seed).standard_normal(int(seconds * SR)))
    spectrum[1:] /= np.sqrt(np.arange(1, len(spectrum)))
    signal = np.fft.irfft(spectrum, int(seconds * SR))
    return (amplitude * signal / np.abs(signal).max()).astype(np.float32)


def mains_hum(seconds: float, amplitude: float = 0.2) -> np.ndarray:
    """50 Hz with its odd harmonics: a badly earthed telephone line."""
    t = np.arange(int(seconds * SR)) / SR
    return (amplitude * sum(np.sin(2 * np.pi * 50 * k * t) / k for k in (1, 3, 5, 7))).astype(np.float32)


# Every silence and noise the suite feeds to Whisper is here (mono files: the transcriber treats them as mono whatever
# layout is asked for).
NON_SPEECH = {
    "silence": lambda: np.zeros(30 * SR, dtype=np.float32)[None],
    "half_second_silence": lambda: np.zeros(SR // 2, dtype=np.float32)[None],
    "white_noise": lambda: noise(30, amplitude=0.05, seed=4)[None],
    "loud_white_noise": lambda: noise(30, amplitude=0.3, seed=5)[None],
    "pink_noise": lambda: pink_noise(30, amplitude=0.3)[None],
    "mains_hum": lambda: (mains_hum(30) + noise(30, amplitude=0.005, seed=6))[None],
    "long_low_level_noise": lambda: noise(180, amplitude=0.01, seed=7)[None],
    "stereo_noise_both_channels": lambda: np.stack([noise(30, amplitude=0.05, seed=8), pink_noise(30, 0.2, 9)]),
}


@pytest.mark.parametrize("name", NON_SPEECH, ids=list(NON_SPEECH))
def test_non_speech_gives_no_transcript_and_no_findings(tmp_path, transcriber, auditor, name):
    path = write_audio(tmp_path / f"{name}.flac", NON_SPEECH[name](), SR)
    result = transcriber.transcribe(path, channel_layout="stereo_agent_left")
    audit = auditor.audit_transcript(result.transcript)
    assert result.transcript.segments == (), [s.text for s in result.transcript.segments]
    assert audit.findings == () and audit.signals == ()
    assert NO_SPEECH_WARNING in result.warnings  # the batch report says why the call has nothing in it
    # nothing was heard, so no disclosure can be called missing: a human decides
    assert {d.status for d in audit.disclosures} <= {"unverifiable", "not_applicable"}


def test_speech_then_a_long_silence_gives_nothing_after_the_speech(tmp_path, transcriber, auditor):
    agent = decode_audio(SAMPLES / "c04_violence_threat.opus").samples[1]  # the agent's channel
    spoken = agent[: int(30 * SR)]
    tail = noise(150, amplitude=0.003, seed=10)
    path = write_audio(tmp_path / "speech_then_silence.flac", np.concatenate([spoken, tail])[None], SR)
    result = transcriber.transcribe(path)
    audit = auditor.audit_transcript(result.transcript)
    assert result.transcript.segments  # the speech is there
    assert max(s.end_s for s in result.transcript.segments) <= 31.0  # nothing invented in the 150 s after it
    assert all(f.start_s is None or f.start_s <= 31.0 for f in audit.findings)


LOOP_WORDS = ["打断", "你的", "腿"] * 6  # a threat, repeated as a decoder stuck in a loop repeats


def raw_segment(texts: list[str], start_s: float = 1.0, **confidence) -> dict:
    words, clock = [], start_s
    for text in texts:
        words.append({"start_s": round(clock, 3), "end_s": round(clock + 0.3, 3), "text": text, "probability": 0.9})
        clock += 0.3
    return {"start_s": start_s, "end_s": round(clock, 3), "text": "".join(texts), "words": words,
            "avg_logprob": -0.3, "no_speech_prob": 0.1, "compression_ratio": 1.5, **confidence}


@pytest.mark.parametrize(
    "raw",
    [
        pytest.param(raw_segment(LOOP_WORDS), id="loop_of_a_threat_with_word_times"),
        pytest.param({**raw_segment(LOOP_WORDS), "words": []}, id="loop_of_a_threat_text_only"),
        pytest.param(raw_segment(["老赖"] * 8), id="loop_of_an_insult"),
        pytest.param(raw_segment(["我", "找人", "收拾", "你"], compression_ratio=2.9), id="repetitive_by_compression"),
        pytest.param(raw_segment(["我", "找人", "收拾", "你"], no_speech_prob=0.8, avg_logprob=-1.3),
                     id="probably_no_speech"),
        pytest.param(raw_segment(["我", "找人", "收拾", "你"], avg_logprob=-2.4), id="decoder_guessing"),
        pytest.param(raw_segment(["请不吝点赞", "订阅", "转发", "打赏支持明镜与点点栏目"]), id="subtitle_credit"),
    ],
)
def test_hallucinated_segment_never_becomes_a_finding(transcriber, auditor, raw):
    """The raw segment goes through the same post-processing as Whisper's output (guard, text normalisation,
    splitting, roles: the agent's channel) and then the auditor; the threat in it must not reach a finding."""
    channels = [{"channel": 0, "segments": [raw], "speech_s": [[raw["start_s"], raw["end_s"]]]}]
    segments, dropped = postprocess(channels, "stereo_agent_left", lambda: None, transcriber.options, transcriber.lexicon)
    assert segments == () and len(dropped) == 1 and dropped[0].reason
    assert auditor.audit("hallucination", _turns(segments)).findings == ()


def _turns(segments) -> tuple[Turn, ...]:
    return tuple(Turn(s.speaker, s.text, s.start_s, s.end_s, s.avg_logprob, s.words) for s in segments)


def test_control_the_same_threat_said_once_is_a_finding(transcriber, auditor):
    """Guards the test above: with a real, confident segment the threat is found, so its absence there is the
    guard's doing, not a rule that never fires."""
    channels = [{"channel": 0, "segments": [raw_segment(["我", "找人", "收拾", "你"])], "speech_s": [[1.0, 2.2]]}]
    segments, _ = postprocess(channels, "stereo_agent_left", lambda: None, transcriber.options, transcriber.lexicon)
    assert {f.category for f in auditor.audit("real", _turns(segments)).findings} == {"violence_threat"}


# -- disclosures on a window the recogniser could not hear -------------------------------------------------------------

def _first_agent_runs(segments, runs: int) -> set[int]:
    """Indexes of the agent segments in the first ``runs`` agent turns (a run of consecutive agent segments)."""
    chosen, run, previous_agent = set(), 0, False
    for index, segment in enumerate(segments):
        is_agent = segment.speaker == "agent"
        if is_agent and not previous_agent:
            run += 1
        if is_agent and run <= runs:
            chosen.add(index)
        previous_agent = is_agent
    return chosen


def _with_logprob(transcript, indexes: set[int], logprob: float):
    segments = tuple(dataclasses.replace(s, avg_logprob=logprob) if i in indexes else s
                     for i, s in enumerate(transcript.segments))
    return dataclasses.replace(transcript, segments=segments)


def test_disclosure_in_a_low_confidence_window_is_unverifiable_not_missing(sample_transcripts, auditor):
    transcript = sample_transcripts["c03_missing_disclosures"]  # agent skips identity and the recording notice
    clear = {d.disclosure: d.status for d in auditor.audit_transcript(transcript).disclosures}
    assert clear["agent_identity"] == "missing" and clear["recording_notice"] == "missing"

    window = _first_agent_runs(transcript.segments, 3)
    muffled = auditor.audit_transcript(_with_logprob(transcript, window, -1.6))
    statuses = {d.disclosure: d for d in muffled.disclosures}
    for disclosure in ("agent_identity", "recording_notice"):
        assert statuses[disclosure].status == "unverifiable", statuses[disclosure]
        assert "too poor" in statuses[disclosure].explanation
    assert muffled.verdict in ("review", "fail")  # a human must look; never a silent pass

    # control: the same poor recognition outside the window (the end of the call) proves nothing about it
    rest = set(range(len(transcript.segments))) - window
    late = {d.disclosure: d.status for d in auditor.audit_transcript(_with_logprob(transcript, rest, -1.6)).disclosures}
    assert late["recording_notice"] == "missing" and late["agent_identity"] == "missing"
