"""Measuring a transcript against the script of what was really said: character error rate and speaker roles.

Used by the tests and by ``bench/asr_quality.py`` on the sample calls, and usable on a call centre's own
hand-checked calls (a script is ``{"turns": [{"speaker", "text", "start_s", "end_s"}]}``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from audit.models import Transcript
from audit.text import character_error_rate


@dataclass(frozen=True)
class RoleScore:
    """Segments whose role matches the script turn they overlap most, contradicts it, or is left unknown."""

    correct: int
    wrong: int
    unknown: int

    @property
    def total(self) -> int:
        return self.correct + self.wrong + self.unknown

    @property
    def wrong_rate(self) -> float:
        """Wrong among segments given a role: how often a stated role would mislead a reviewer."""
        assigned = self.correct + self.wrong
        return self.wrong / assigned if assigned else 0.0


@dataclass(frozen=True)
class RoleTime:
    """Seconds of recognised speech whose role matches the script turn under it, contradicts it, or is unknown."""

    correct_s: float
    wrong_s: float
    unknown_s: float

    def share(self, part: float) -> float:
        total = self.correct_s + self.wrong_s + self.unknown_s
        return part / total if total else 0.0


def script_text(script: dict[str, Any], speaker: str | None = None) -> str:
    return "".join(turn["text"] for turn in script["turns"] if speaker in (None, turn["speaker"]))


def transcript_text(transcript: Transcript, speaker: str | None = None) -> str:
    return "".join(segment.text for segment in transcript.segments if speaker in (None, segment.speaker))


def call_cer(script: dict[str, Any], transcript: Transcript) -> float:
    """CER of the whole call, both speakers, in time order."""
    return character_error_rate(script_text(script), transcript_text(transcript))


def speaker_cer(script: dict[str, Any], transcript: Transcript, speaker: str) -> float:
    """CER of one speaker's words; on stereo calls this also shows whether channels were mapped right."""
    return character_error_rate(script_text(script, speaker), transcript_text(transcript, speaker))


def _overlap_s(segment, turn: dict[str, Any]) -> float:
    return min(segment.end_s, turn["end_s"]) - max(segment.start_s, turn["start_s"])


def role_score(script: dict[str, Any], transcript: Transcript) -> RoleScore:
    counts = {"correct": 0, "wrong": 0, "unknown": 0}
    for segment in transcript.segments:
        best = max(script["turns"], key=lambda turn: _overlap_s(segment, turn))  # noqa: B023 (used at once)
        if _overlap_s(segment, best) <= 0 or segment.speaker == "unknown":
            counts["unknown"] += 1
        elif segment.speaker == best["speaker"]:
            counts["correct"] += 1
        else:
            counts["wrong"] += 1
    return RoleScore(**counts)


def role_time(script: dict[str, Any], transcript: Transcript) -> RoleTime:
    """``role_score`` by time: each stretch where a segment overlaps a script turn counts for its length, so a long
    misattributed turn weighs more than a short 「嗯」."""
    seconds = {"correct": 0.0, "wrong": 0.0, "unknown": 0.0}
    for segment in transcript.segments:
        for turn in script["turns"]:
            overlap = _overlap_s(segment, turn)
            if overlap <= 0:
                continue
            kind = ("unknown" if segment.speaker == "unknown" else
                    "correct" if segment.speaker == turn["speaker"] else "wrong")
            seconds[kind] += overlap
    return RoleTime(seconds["correct"], seconds["wrong"], seconds["unknown"])
