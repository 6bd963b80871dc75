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


def probe_duration_s(path: str | Path) -> float | None:
    """The duration the container's header declares (no decoding), for progress estimates; None when unreadable."""
    try:
        with av.open(str(path)) as container:
            return container.duration / av.time_base if container.duration else None
    except (av.error.FFmpegError, OSError, ValueError):
        return None


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
    with AudioReader(path) as reader:
        return reader.decoded(reader.read())


class AudioReader:
    """A recording decoded piece by piece, so a long one never has to be held whole (2 h of stereo is 0.9 GB).

    ``read(n)`` returns the next ``n`` samples per channel (fewer at the end; then ``exhausted`` is true);
    ``read()`` returns everything left. Concatenating the pieces gives exactly what ``decode_audio`` returns.
    """

    def __init__(self, path: str | Path):
        self.path = check_audio_path(path)
        self.warnings: list[str] = []
        try:
            self._container = av.open(str(self.path), metadata_errors="ignore")
        except (av.error.FFmpegError, UnicodeDecodeError, ValueError) as error:
            raise AudioError(self.path, f"not a readable audio file ({_reason(error)})") from error
        if not self._container.streams.audio:
            self._container.close()
            raise AudioError(self.path, "contains no audio stream")
        self._stream = self._container.streams.audio[0]
        self.source_channels = int(self._stream.codec_context.channels or 1)
        self.source_sample_rate_hz = int(self._stream.codec_context.sample_rate or 0)
        self.codec = self._stream.codec_context.name
        container_s = self._container.duration
        self.declared_s = container_s / av.time_base if container_s and container_s > 0 else None
        if self.source_channels > 2:
            self.warnings.append(f"{self.source_channels} channels: mixed down to mono (channels cannot be mapped "
                                 "to speakers)")
        self.channels = 2 if self.source_channels == 2 else 1
        self._pieces = self._decode()
        self._pending: list[np.ndarray] = []
        self._pending_n = 0
        self.exhausted = False
        self.samples_read = 0

    def _decode(self):
        resampler = av.AudioResampler(format="fltp", layout="stereo" if self.channels == 2 else "mono",
                                      rate=SAMPLE_RATE_HZ)
        decoded_s = 0.0
        try:
            for frame in self._container.decode(self._stream):
                decoded_s += frame.samples / (frame.sample_rate or SAMPLE_RATE_HZ)
                frame.pts = None  # the resampler keeps its own clock; broken timestamps must not reorder audio
                yield from (out.to_ndarray() for out in resampler.resample(frame))
        except (av.error.FFmpegError, ValueError) as error:
            self.warnings.append(f"decoding stopped at {decoded_s:.1f} s: {_reason(error)}; the rest is damaged or "
                                 "cut off")
        else:
            # An MP3 cut off mid-file decodes without an error; only its header still knows how long it was.
            if self.declared_s and decoded_s < self.declared_s - max(1.0, 0.05 * self.declared_s):
                self.warnings.append(f"decoded {decoded_s:.1f} s of the {self.declared_s:.1f} s its header declares: "
                                     "the file is cut off or damaged; the rest is missing")
        yield from (out.to_ndarray() for out in resampler.resample(None))

    def read(self, n: int | None = None) -> np.ndarray:
        """The next ``n`` samples of each channel (all that is left when ``n`` is None), shape (channels, m)."""
        while not self.exhausted and (n is None or self._pending_n < n):
            piece = next(self._pieces, None)
            if piece is None:
                self.exhausted = True
                self.close()
            elif piece.shape[1]:
                self._pending.append(piece)
                self._pending_n += piece.shape[1]
        taken: list[np.ndarray] = []
        want = self._pending_n if n is None else min(n, self._pending_n)
        got = 0
        while got < want:
            piece = self._pending[0]
            if got + piece.shape[1] <= want:
                taken.append(self._pending.pop(0))
            else:  # split the piece: the rest stays for the next read
                taken.append(piece[:, :want - got])
                self._pending[0] = piece[:, want - got:]
            got += taken[-1].shape[1]
        self._pending_n -= got
        self.samples_read += got
        samples = np.concatenate(taken, axis=1) if taken else np.zeros((self.channels, 0), dtype=np.float32)
        return np.ascontiguousarray(samples, dtype=np.float32)

    def decoded(self, samples: np.ndarray) -> DecodedAudio:
        """``samples`` (what was read) as a ``DecodedAudio``; an ``AudioError`` when nothing could be decoded."""
        if samples.shape[1] == 0:
            problem = self.warnings[-1] if self.warnings else "no audio samples could be decoded"
            raise AudioError(self.path, f"no audio could be decoded ({problem})")
        return DecodedAudio(path=str(self.path), samples=samples, source_sample_rate_hz=self.source_sample_rate_hz,
                            source_channels=self.source_channels, codec=self.codec, warnings=tuple(self.warnings))

    def close(self) -> None:
        self._container.close()

    def __enter__(self) -> AudioReader:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


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
