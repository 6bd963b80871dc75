"""Reading call recordings: any container we accept -> float32 PCM at 16 kHz, channels kept apart.

This module owns PyAV (FFmpeg). Call-centre recordings come as stereo (agent and customer on separate channels) or
as 8 kHz mono telephone audio, in whatever format the recorder wrote; everything leaves here in one shape.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np

from audit.errors import AudioError

SAMPLE_RATE_HZ = 16_000  # what Whisper and its VAD expect
AUDIO_EXTENSIONS: frozenset[str] = frozenset({".wav", ".mp3", ".ogg", ".oga", ".opus", ".flac", ".m4a", ".aac"})


@dataclass(frozen=True, eq=False)
class DecodedAudio:
    """The signal of one recording. ``samples`` has shape (channels, n) with one or two channels, at 16 kHz."""

    path: str
    samples: np.ndarray
    source_sample_rate_hz: int
    source_channels: int
    codec: str
    warnings: tuple[str, ...] = ()

    @property
    def channels(self) -> int:
        return int(self.samples.shape[0])

    @property
    def duration_s(self) -> float:
        return self.samples.shape[1] / SAMPLE_RATE_HZ

    def mono(self) -> np.ndarray:
        """Both channels mixed, for mono transcription of a recording whose channels are not speaker-separated."""
        return self.samples.mean(axis=0).astype(np.float32) if self.channels > 1 else self.samples[0]


def file_sha256(path: str | Path) -> str:
    """Hash of the file's bytes: identifies the recording in caches, the database and the regulator's manifest."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def check_audio_path(path: str | Path) -> Path:
    """Fail early, with the reason, on what is certainly not a recording we can read."""
    path = Path(path)
    if not path.exists():
        raise AudioError(path, "file not found")
    if not path.is_file():
        raise AudioError(path, "not a regular file")
    if path.suffix.lower() not in AUDIO_EXTENSIONS:
        accepted = ", ".join(sorted(AUDIO_EXTENSIONS))
        raise AudioError(path, f"unsupported file type '{path.suffix or '(none)'}'; accepted: {accepted}")
    if path.stat().st_size == 0:
        raise AudioError(path, "file is empty (0 bytes)")
    return path


def decode_audio(path: str | Path) -> DecodedAudio:
    """Decode a whole recording to 16 kHz float32, one row per channel (more than two channels are mixed to mono).

    A file that breaks off part-way (a truncated upload, a recorder that crashed) keeps what decoded before the
    damage, with a warning that says where it stopped; a file with nothing decodable is an ``AudioError``.
    """
    path = check_audio_path(path)
    warnings: list[str] = []
    try:
        container = av.open(str(path), metadata_errors="ignore")
    except (av.error.FFmpegError, UnicodeDecodeError, ValueError) as error:
        raise AudioError(path, f"not a readable audio file ({_reason(error)})") from error
    with container:
        if not container.streams.audio:
            raise AudioError(path, "contains no audio stream")
        stream = container.streams.audio[0]
        source_channels = stream.codec_context.channels or 1
        source_rate = stream.codec_context.sample_rate or 0
        if source_channels > 2:
            warnings.append(f"{source_channels} channels: mixed down to mono (channels cannot be mapped to speakers)")
        layout = "stereo" if source_channels == 2 else "mono"
        resampler = av.AudioResampler(format="fltp", layout=layout, rate=SAMPLE_RATE_HZ)
        chunks: list[np.ndarray] = []
        decoded_s = 0.0
        try:
            for frame in container.decode(stream):
                decoded_s += frame.samples / (frame.sample_rate or SAMPLE_RATE_HZ)
                frame.pts = None  # the resampler keeps its own clock; broken timestamps must not reorder audio
                chunks.extend(out.to_ndarray() for out in resampler.resample(frame))
        except (av.error.FFmpegError, ValueError) as error:
            warnings.append(f"decoding stopped at {decoded_s:.1f} s: {_reason(error)}; the rest is damaged or cut off")
        chunks.extend(out.to_ndarray() for out in resampler.resample(None))
    channels = 2 if layout == "stereo" else 1
    samples = np.concatenate(chunks, axis=1) if chunks else np.zeros((channels, 0), dtype=np.float32)
    if samples.shape[1] == 0:
        problem = warnings[-1] if warnings else "no audio samples could be decoded"
        raise AudioError(path, f"no audio could be decoded ({problem})")
    return DecodedAudio(
        path=str(path),
        samples=np.ascontiguousarray(samples, dtype=np.float32),
        source_sample_rate_hz=int(source_rate),
        source_channels=int(source_channels),
        codec=stream.codec_context.name,
        warnings=tuple(warnings),
    )


def channels_are_duplicates(samples: np.ndarray, tolerance: float = 0.02) -> bool:
    """True for 'stereo' that is really mono copied to both channels (common from PBX exports).

    Splitting such a file by channel would transcribe the whole call twice and give every sentence both roles.
    """
    if samples.shape[0] != 2 or samples.shape[1] == 0:
        return False
    left, right = samples[0], samples[1]
    scale = max(float(np.abs(left).max()), float(np.abs(right).max()), 1e-9)
    return float(np.abs(left - right).mean()) / scale < tolerance * 0.1


def _reason(error: Exception) -> str:
    text = getattr(error, "strerror", None) or str(error)
    return text.strip() or type(error).__name__
