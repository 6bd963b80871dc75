"""Writing real audio files for tests (every container the tool accepts), with PyAV, the tool's own decoder."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np

# extension -> (container format, codec)
FORMATS = {
    ".wav": ("wav", "pcm_s16le"),
    ".flac": ("flac", "flac"),
    ".mp3": ("mp3", "libmp3lame"),
    ".m4a": ("ipod", "aac"),
    ".ogg": ("ogg", "libopus"),
    ".opus": ("ogg", "libopus"),
}


def write_audio(path: Path, samples: np.ndarray, rate_hz: int) -> Path:
    """Encode float samples shaped (channels, n) in [-1, 1] to ``path``; the format follows the extension."""
    container_format, codec = FORMATS[path.suffix]
    samples = np.atleast_2d(samples).astype(np.float32)
    layout = "stereo" if samples.shape[0] == 2 else "mono"
    with av.open(str(path), "w", format=container_format) as container:
        stream = container.add_stream(codec, rate=48_000 if codec == "libopus" else rate_hz, layout=layout)
        frame = av.AudioFrame.from_ndarray(np.ascontiguousarray(samples), format="fltp", layout=layout)
        frame.sample_rate = rate_hz
        resampler = av.AudioResampler(format=stream.codec_context.format.name, layout=layout,
                                      rate=stream.codec_context.sample_rate)
        for converted in resampler.resample(frame) + resampler.resample(None):
            for packet in stream.encode(converted):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    return path


def tone(seconds: float, rate_hz: int = 16_000, hz: float = 440.0, amplitude: float = 0.3) -> np.ndarray:
    t = np.arange(int(seconds * rate_hz)) / rate_hz
    return (amplitude * np.sin(2 * np.pi * hz * t)).astype(np.float32)


def noise(seconds: float, rate_hz: int = 16_000, amplitude: float = 0.1, seed: int = 0) -> np.ndarray:
    return (amplitude * np.random.default_rng(seed).standard_normal(int(seconds * rate_hz))).astype(np.float32)
