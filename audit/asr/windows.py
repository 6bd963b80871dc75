"""Long recordings: recognised window by window, each window ended in a silence, so memory stays flat whatever the
duration; and the clips of a long mono recording read forward for speaker roles."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

import numpy as np

from audit.audio import SAMPLE_RATE_HZ, AudioReader

# Long recordings (a conference call, a recorder left running) are decoded and recognised in windows of at most
# WINDOW_S, each ended at a silence the VAD hears in its last CUT_SEARCH_S, so memory stays flat whatever the
# duration. A recording up to LONG_AUDIO_S is decoded whole and recognised in one go, and its cache key holds no
# window settings.
LONG_AUDIO_S = 15 * 60
WINDOW_S = 5 * 60
CUT_SEARCH_S = 30


def recognise_windows(reader: AudioReader, first: list[np.ndarray], split: bool,
                      recognise: Callable[[np.ndarray], dict[str, Any]], fallback_language: str) -> dict[str, Any]:
    """Raw ASR of a long recording, window by window, with every time shifted back to the recording's clock.

    Each window ends in the middle of a silence near WINDOW_S (see ``window_cut``), so no word is cut in two;
    what follows the cut is carried into the next window. At most LONG_AUDIO_S of audio is held at any time:
    ``first`` (one array, the audio read so far) is emptied so that the first stretch is freed once used.
    ``recognise`` gives the raw ASR of one channel of one window; ``fallback_language`` is recorded when no window
    holds speech.
    """
    window_n = WINDOW_S * SAMPLE_RATE_HZ
    buffer = first.pop()
    channels: list[dict[str, Any]] = [{"channel": index, "segments": [], "speech_s": []}
                                      for index in range(2 if split else 1)]
    languages: list[str] = []
    offset = 0
    while True:
        if buffer.shape[1] < window_n and not reader.exhausted:
            buffer = np.concatenate([buffer, reader.read(window_n - buffer.shape[1])], axis=1)
        if not buffer.shape[1]:
            break
        if reader.exhausted and buffer.shape[1] <= window_n:
            cut = buffer.shape[1]  # the last window
        else:
            cut = window_cut(_mix(buffer[:, :window_n]))
        window = buffer[:, :cut]
        signals = [window[0], window[1]] if split else [_mix(window)]
        offset_s = offset / SAMPLE_RATE_HZ
        for channel, signal in zip(channels, signals):
            recognised = recognise(np.ascontiguousarray(signal))
            if recognised["segments"]:
                languages.append(recognised["language"])
            channel["segments"].extend(_shifted(raw, offset_s) for raw in recognised["segments"])
            channel["speech_s"].extend([round(a + offset_s, 3), round(b + offset_s, 3)]
                                       for a, b in recognised["speech_s"])
        buffer = buffer[:, cut:].copy()  # a copy, so the window's memory is freed rather than kept as a view
        offset += cut
    language = languages[0] if languages else fallback_language
    return {"language": language, "duration_s": round(offset / SAMPLE_RATE_HZ, 3), "channels": channels}


def _mix(samples: np.ndarray) -> np.ndarray:
    """One signal from (channels, n) samples, mixed as ``DecodedAudio.mono`` mixes them."""
    return samples.mean(axis=0).astype(np.float32) if samples.shape[0] > 1 else samples[0]


def _shifted(raw: dict[str, Any], offset_s: float) -> dict[str, Any]:
    """A raw segment from a window, on the recording's clock."""
    return {**raw, "start_s": round(raw["start_s"] + offset_s, 3), "end_s": round(raw["end_s"] + offset_s, 3),
            "words": [{**word, "start_s": round(word["start_s"] + offset_s, 3),
                       "end_s": round(word["end_s"] + offset_s, 3)} for word in raw["words"]]}


def window_cut(signal: np.ndarray, search_s: float = CUT_SEARCH_S, min_silence_s: float = 0.3) -> int:
    """Where to end a window of ``signal`` (16 kHz mono): the middle of the last silence of at least
    ``min_silence_s`` in its final ``search_s`` seconds, so that no word is cut in two. Without speech there, the
    window's end; with speech throughout (no pause in 30 s, very rare), the middle of the longest gap, else the end.
    """
    from faster_whisper.vad import VadOptions, get_speech_timestamps

    start = max(0, len(signal) - int(search_s * SAMPLE_RATE_HZ))
    regions = get_speech_timestamps(signal[start:], VadOptions(min_silence_duration_ms=int(min_silence_s * 1000),
                                                               speech_pad_ms=100))
    if not regions:
        return len(signal)
    edges = [0, *(edge for region in regions for edge in (region["start"], region["end"])), len(signal) - start]
    gaps = [(a, b) for a, b in zip(edges[::2], edges[1::2]) if b > a]
    long_enough = [gap for gap in gaps if gap[1] - gap[0] >= min_silence_s * SAMPLE_RATE_HZ]
    if long_enough:
        a, b = long_enough[-1]
    elif gaps:
        a, b = max(gaps, key=lambda gap: gap[1] - gap[0])
    else:
        return len(signal)
    return max(1, start + (a + b) // 2)


class ForwardClips:
    """Clips of a long mono recording, asked for in order of start time (as role assignment asks for its segments'
    audio), decoded in one forward pass: only the audio between the earliest clip still wanted and the latest one is
    held, never the whole recording. Callable as ``clips(start_s, end_s)``."""

    _SKIP_N = 60 * SAMPLE_RATE_HZ  # audio before the next clip is read and dropped in pieces this long

    def __init__(self, path: str | Path):
        self.reader = AudioReader(path)
        self.buffer = np.zeros(0, dtype=np.float32)
        self.start = 0  # sample index of buffer[0] in the recording

    def __call__(self, start_s: float, end_s: float) -> np.ndarray:
        first, last = max(0, int(start_s * SAMPLE_RATE_HZ)), max(0, int(end_s * SAMPLE_RATE_HZ))
        if first >= self.reader.samples_read:  # nothing held is wanted: skip ahead without keeping what lies between
            self.buffer = np.zeros(0, dtype=np.float32)
            while self.reader.samples_read < first and not self.reader.exhausted:
                self.reader.read(min(self._SKIP_N, first - self.reader.samples_read))
            self.start = self.reader.samples_read
        elif first > self.start:  # drop what earlier clips needed and later ones do not
            self.buffer = self.buffer[first - self.start:]
            self.start = first
        missing = last - self.reader.samples_read
        if missing > 0 and not self.reader.exhausted:
            self.buffer = np.concatenate([self.buffer, _mix(self.reader.read(missing))])
        return self.buffer[max(0, first - self.start):max(0, last - self.start)]
