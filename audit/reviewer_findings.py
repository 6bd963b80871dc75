"""Findings the machine missed, marked by a reviewer on a call: where in the transcript they are, and what they hold.

A reviewer names a turn and the words of it (``quote``; the whole turn when none), or a time in the audio (the turn
said then). What comes back is the finding as ``audit.storage`` stores it (``source`` ``reviewer``); the store files
it with an ``added`` review in the hash-chained trail, and from then on it counts like an upheld finding
(``audit.review_policy``). Findings are about the agent's conduct: a customer's turn is refused.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

from audit.errors import AuditError
from audit.models import SEVERITIES
from audit.review_policy import REVIEWER_SOURCE
from audit.rulepack import CONDUCT_CATEGORIES

REVIEWER_RULE_ID = "REVIEWER"  # the rule id of every reviewer-added finding: no rule found it
MARKABLE_SPEAKERS = ("agent", "unknown")
# seconds (83.5), m:ss (1:23, 1:23.5) or h:mm:ss (1:02:03); a full-width colon is what a Chinese IME types
_AUDIO_TIME = re.compile(r"^(?:(?:(\d+)[:：])?(\d+)[:：])?(\d+(?:\.\d*)?|\.\d+)$")


class ReviewerFindingError(AuditError):
    """A reviewer-added finding that cannot be placed or is incomplete (the message says what is wrong)."""


@dataclass(frozen=True)
class MissedFinding:
    """A finding a reviewer added, placed in the call: the columns of ``FindingRow`` it fills."""

    category: str
    severity: str
    turn: int
    speaker: str
    char_start: int
    char_end: int
    quote: str
    start_s: float | None
    end_s: float | None
    note: str

    def columns(self) -> dict[str, Any]:
        return {"rule_id": REVIEWER_RULE_ID, "category": self.category, "severity": self.severity, "turn": self.turn,
                "speaker": self.speaker, "char_start": self.char_start, "char_end": self.char_end,
                "quote": self.quote, "start_s": self.start_s, "end_s": self.end_s, "pinyin_match": False,
                "needs_review": False, "legal_basis": "[]", "explanation": self.note, "match_kind": REVIEWER_SOURCE,
                "score": None, "source": REVIEWER_SOURCE}


def parse_audio_time(text: str) -> float:
    """A time in the call's audio as a reviewer types it: seconds (``83.5``), ``m:ss`` (``1:23``, as the player shows
    it) or ``h:mm:ss``; returns seconds. Minutes and seconds after a colon are under 60."""
    match = _AUDIO_TIME.match(text.strip())
    hours, minutes, seconds = match.groups() if match else (None, None, None)
    if match is None or (minutes is not None and float(seconds) >= 60) or (hours is not None and int(minutes) >= 60):
        raise ReviewerFindingError(None, f"'{text.strip()}' is not a time in the audio: write seconds (83.5) or "
                                         "minutes:seconds (1:23)")
    return int(hours or 0) * 3600 + int(minutes or 0) * 60 + float(seconds)


def _clock(seconds: float) -> str:
    """Seconds as m:ss (h:mm:ss), tenths when there are any: as the reviewer typed or the player shows it."""
    whole, tenths = divmod(round(seconds * 10), 10)
    minutes, secs = divmod(whole, 60)
    hours, minutes = divmod(minutes, 60)
    text = f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"
    return text + (f".{tenths}" if tenths else "")


def call_end_s(transcript: dict[str, Any]) -> float | None:
    """Where the call's audio ends: its duration, or (none stored) the end of its last timed turn."""
    duration = transcript.get("duration_s")
    if duration:
        return float(duration)
    ends = [s["end_s"] for s in transcript.get("segments") or () if s.get("end_s") is not None]
    return max(ends) if ends else None


def turn_at(segments: list[dict[str, Any]], at_s: float) -> int:
    """The turn being said at ``at_s`` seconds (the nearest one before it in a pause)."""
    timed = [(i, s) for i, s in enumerate(segments) if s.get("start_s") is not None]
    started = [i for i, s in timed if s["start_s"] <= at_s]
    if not started:
        raise ReviewerFindingError(None, f"no turn is said at {at_s:.1f} s (the first starts later)")
    return started[-1]


def place(transcript: dict[str, Any] | None, category: str, severity: str, note: str, *, turn: int | None = None,
          quote: str = "", at_s: float | None = None) -> MissedFinding:
    """The finding a reviewer marked: on ``turn`` (or the turn said at ``at_s``), at ``quote`` (the first place it
    occurs in the turn; the whole turn when empty)."""
    if category not in CONDUCT_CATEGORIES:
        raise ReviewerFindingError(None, f"category '{category}' is not one of {', '.join(CONDUCT_CATEGORIES)}")
    if severity not in SEVERITIES:
        raise ReviewerFindingError(None, f"severity '{severity}' is not one of {', '.join(SEVERITIES)}")
    segments = list((transcript or {}).get("segments") or ())
    if not segments:
        raise ReviewerFindingError(None, "the call has no stored transcript turns to mark")
    if turn is None:
        if at_s is None:
            raise ReviewerFindingError(None, "say where: a turn, or a time in the audio")
        end_s = call_end_s(transcript or {})
        if not math.isfinite(at_s) or at_s < 0:
            raise ReviewerFindingError(None, f"{at_s} s is not a time in the audio")
        if end_s is not None and at_s > end_s:
            raise ReviewerFindingError(None, f"{_clock(at_s)} ({at_s:g} s) is past the call's end at "
                                             f"{_clock(end_s)} ({end_s:g} s)")
        turn = turn_at(segments, at_s)
    if not 0 <= turn < len(segments):
        raise ReviewerFindingError(None, f"turn {turn} is not in the call (turns 0-{len(segments) - 1})")
    segment = segments[turn]
    speaker = segment.get("speaker", "unknown")
    if speaker not in MARKABLE_SPEAKERS:
        raise ReviewerFindingError(None, f"turn {turn} is the {speaker}'s: a finding is about what the agent said")
    text = segment.get("text", "")
    quote = quote.strip() or text
    start = text.find(quote)
    if start < 0:
        raise ReviewerFindingError(None, f"turn {turn} does not contain '{quote}'")
    start_s = at_s if at_s is not None else segment.get("start_s")
    return MissedFinding(category, severity, turn, speaker, start, start + len(quote), quote, start_s,
                         segment.get("end_s"), note.strip())
