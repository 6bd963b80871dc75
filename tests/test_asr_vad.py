"""audit.asr.vad: the second VAD pass over a channel reuses the decoder's speech probabilities, and its regions are
exactly those a fresh VAD model gives."""

import os
from pathlib import Path

import pytest
from faster_whisper import vad as fw_vad

from audit.asr.vad import remembering_vad
from audit.audio import decode_audio

SAMPLES = Path(__file__).resolve().parent.parent / "samples"

# (what the pass is for, its options): the decoder's (audit.asr.AsrOptions' pause) and the pause regions'
PASSES = (
    ("decoder", fw_vad.VadOptions(min_silence_duration_ms=1000)),
    ("pause regions", fw_vad.VadOptions(min_silence_duration_ms=250, speech_pad_ms=100)),
)


@pytest.fixture(scope="module")
def signals():
    stereo = decode_audio(SAMPLES / "c04_violence_threat.opus").samples
    mono = decode_audio(SAMPLES / "c11_privacy_harassment_mono.mp3").mono()
    return {"stereo left": stereo[0], "stereo right": stereo[1], "mono 8 kHz": mono}


def fresh_regions(signal, options):
    """Regions from a VAD model of its own, that remembers nothing."""
    model = fw_vad.SileroVADModel(os.path.join(fw_vad.get_assets_path(), "silero_vad_v6.onnx"))
    original = fw_vad.get_vad_model
    fw_vad.get_vad_model = lambda: model
    try:
        return fw_vad.get_speech_timestamps(signal, options)
    finally:
        fw_vad.get_vad_model = original


@pytest.mark.parametrize("channel", ["stereo left", "stereo right", "mono 8 kHz"])
def test_second_pass_reads_the_first_pass_probabilities_and_finds_the_same_regions(signals, channel):
    session = remembering_vad()
    assert session is not None, "faster-whisper's VAD model no longer has an onnxruntime session to wrap"
    signal = signals[channel]
    computed_before, reused_before = session.computed, session.reused
    regions = [fw_vad.get_speech_timestamps(signal, options) for _, options in PASSES]
    assert session.computed - computed_before == 1
    assert session.reused - reused_before == 1
    for (purpose, options), remembered in zip(PASSES, regions):
        assert remembered == fresh_regions(signal, options), purpose
    assert len(regions[1]) > len(regions[0])  # the finer pass does find more pauses: the two are not one answer


def test_a_different_signal_is_computed_not_served_from_memory(signals):
    session = remembering_vad()
    left, right = signals["stereo left"][8000:], signals["stereo right"][8000:]  # not read by another test
    left_regions = fw_vad.get_speech_timestamps(left, PASSES[0][1])
    computed = session.computed
    right_regions = fw_vad.get_speech_timestamps(right, PASSES[0][1])
    assert session.computed == computed + 1
    assert left_regions != right_regions
    assert right_regions == fresh_regions(right, PASSES[0][1])


def test_wrapping_twice_keeps_one_memory():
    assert remembering_vad() is remembering_vad()
