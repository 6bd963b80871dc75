"""A real stereo sample call (one voice per channel, the script says who spoke when) as test material for voices."""

from __future__ import annotations

import functools
import json
from pathlib import Path

import numpy as np

from audit.audio import SAMPLE_RATE_HZ, AudioReader

SAMPLES = Path(__file__).resolve().parent.parent / "samples"


@functools.cache
def stereo_call(call_id: str) -> tuple[np.ndarray, dict]:
    """``(channels, script)``: the call decoded to 16 kHz, shaped (2, n), and its script."""
    script = json.loads((SAMPLES / "scripts" / f"{call_id}.json").read_text("utf-8"))
    path = next(SAMPLES.glob(f"{call_id}.*"))
    with AudioReader(path) as reader:
        decoded = reader.decoded(reader.read(10 ** 9))
    return np.asarray(decoded.samples, dtype=np.float32), script


def telephone_8k(signal: np.ndarray) -> np.ndarray:
    """``signal`` (16 kHz) as an 8 kHz telephone line carries it: 300-3400 Hz, every second sample."""
    spectrum = np.fft.rfft(signal)
    freqs = np.fft.rfftfreq(len(signal), 1 / SAMPLE_RATE_HZ)
    spectrum[(freqs < 300) | (freqs > 3400)] = 0
    return np.fft.irfft(spectrum, len(signal))[::2].astype(np.float32)
