
import numpy as np
import pytest

from audio_files import FORMATS, noise, tone, write_audio
from audit.audio import channels_are_duplicates, decode_audio, file_sha256
from audit.errors import AudioError


def dominant_hz(signal: np.ndarray, rate_hz: int = 16_000) -> float:
    spectrum = np.abs(np.fft.rfft(signal))
    return float(np.fft.rfftfreq(len(signal), 1 / rate_hz)[spectrum.argmax()])


@pytest.mark.parametrize("extension", sorted(FORMATS))
@pytest.mark.parametrize("source_rate_hz", [8_000, 44_100])
def test_every_accepted_format_decodes_to_16khz_with_channels_kept_apart(tmp_path, extension, source_rate_hz):
    left, right = tone(3, source_rate_hz, 300), tone(3, source_rate_hz, 700)
    path = write_audio(tmp_path / f"call{extension}", np.stack([left, right]), source_rate_hz)
    audio = decode_audio(path)
    assert audio.channels == 2
    assert audio.duration_s == pytest.approx(3.0, abs=0.25)  # AAC adds priming samples
    assert dominant_hz(audio.samples[0]) == pytest.approx(300, abs=5)
    assert dominant_hz(audio.samples[1]) == pytest.approx(700, abs=5)


def test_mono_telephone_audio_decodes_to_one_channel(tmp_path):
    path = write_audio(tmp_path / "call.mp3", tone(2, 8_000, 400)[None, :], 8_000)
    audio = decode_audio(path)
    assert audio.channels == 1 and audio.source_sample_rate_hz == 8_000
    assert audio.mono().shape == (32_000,)


def test_more_than_two_channels_are_mixed_to_mono_with_a_warning(tmp_path):
    import av

    path = tmp_path / "surround.wav"
    with av.open(str(path), "w", format="wav") as container:
        stream = container.add_stream("pcm_s16le", rate=16_000, layout="5.1")
        frame = av.AudioFrame.from_ndarray((np.tile(tone(1), (6, 1)) * 32767).astype(np.int16).reshape(1, -1),
                                           format="s16", layout="5.1")
        frame.sample_rate = 16_000
        for packet in list(stream.encode(frame)) + list(stream.encode(None)):
            container.mux(packet)
    audio = decode_audio(path)
    assert audio.channels == 1
    assert "6 channels" in audio.warnings[0]


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("empty.wav", b"", "file is empty"),
        ("notes.wav", "这不是音频，是一段文字。\n".encode() * 50, "not a readable audio file"),
        ("photo.wav", b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 20, "no audio stream|not a readable audio file"),
        ("call.xyz", b"RIFF....WAVE", "unsupported file type '.xyz'"),
    ],
)
def test_bad_input_is_an_audio_error_naming_the_file(tmp_path, name, content, message):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(AudioError, match=message) as caught:
        decode_audio(path)
    assert caught.value.source == str(path)


def test_missing_file_is_an_audio_error(tmp_path):
    with pytest.raises(AudioError, match="file not found"):
        decode_audio(tmp_path / "absent.wav")


@pytest.mark.parametrize("extension", [".mp3", ".wav", ".flac"])
def test_truncated_file_keeps_what_decoded_before_the_cut(tmp_path, extension):
    whole = write_audio(tmp_path / f"whole{extension}", noise(6)[None, :], 16_000)
    cut = tmp_path / f"cut{extension}"
    cut.write_bytes(whole.read_bytes()[: whole.stat().st_size // 2])
    audio = decode_audio(cut)
    assert 1.5 < audio.duration_s < 4.5


def test_fake_stereo_with_identical_channels_is_recognised(tmp_path):
    signal = tone(2) + noise(2, amplitude=0.05)
    assert channels_are_duplicates(np.stack([signal, signal]))
    assert not channels_are_duplicates(np.stack([signal, tone(2, hz=900)]))


def test_sha256_identifies_the_file_bytes(tmp_path):
    path = tmp_path / "a.wav"
    path.write_bytes(b"abc")
    assert file_sha256(path) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
