"""Silero VAD read once per signal: the decoder's VAD and the pause regions read the same speech probabilities.

Each channel goes through faster-whisper's VAD twice: inside ``WhisperModel.transcribe`` (long pauses, to cut what
Whisper hears) and again for the fine pause regions the segments are split at. Only the thresholds differ; the
network's output is the same for the same samples, and it is most of the cost (about 2% of a call's CPU time). So
the session faster-whisper's VAD model runs on remembers its last few answers, keyed by a digest of everything it
was given: a repeated question gets the same array back, a new one is computed. Nothing about the regions changes.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from typing import Any

import numpy as np

REMEMBERED_ANSWERS = 4  # a 5-minute window is one session run; both channels' passes fit with room to spare


class _RememberingSession:
    """An onnxruntime session whose ``run`` answers a repeated feed from memory (the network is deterministic)."""

    def __init__(self, session: Any):
        self._session = session
        self._answers: OrderedDict[bytes, list] = OrderedDict()
        self.computed = self.reused = 0  # read by the tests

    def run(self, output_names, feed: dict[str, np.ndarray], *args: Any, **kwargs: Any) -> list:
        digest = hashlib.blake2b(repr((output_names, args, sorted(kwargs.items()))).encode(), digest_size=16)
        for name in sorted(feed):
            value = np.ascontiguousarray(feed[name])
            digest.update(f"{name}{value.dtype}{value.shape}".encode())
            digest.update(value.data)
        key = digest.digest()
        if key in self._answers:
            self._answers.move_to_end(key)
            self.reused += 1
            return [np.copy(output) for output in self._answers[key]]
        answer = self._session.run(output_names, feed, *args, **kwargs)
        self._answers[key] = [np.copy(output) for output in answer]
        while len(self._answers) > REMEMBERED_ANSWERS:
            self._answers.popitem(last=False)
        self.computed += 1
        return answer

    def __getattr__(self, name: str) -> Any:
        return getattr(self._session, name)


def remembering_vad() -> _RememberingSession | None:
    """Make faster-whisper's shared VAD model (one per process) remember its answers; the session, or None where
    this faster-whisper keeps its VAD differently (then both passes simply compute, as before)."""
    from faster_whisper import vad

    model = vad.get_vad_model()
    session = getattr(model, "session", None)
    if session is None or not hasattr(session, "run"):
        return None
    if not isinstance(session, _RememberingSession):
        model.session = session = _RememberingSession(session)
    return session
