"""A call's timeline for the player: who speaks when (one band per speaker) and where the findings and the customer's
signals are, as markers that seek the player. Positions are shares of the call's length (0-100 %), so the page only
draws them; colours are the charts' (``audit.reviewapp.colours``): a finding by its severity after review (grey when
dismissed), a signal in one colour of its own."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable

from audit.review_policy import effective_severity, is_dismissed
from audit.reviewapp.colours import DISMISSED_COLOUR, SEVERITY_COLOURS, SIGNAL_COLOUR, SPEAKER_COLOURS

SPEAKER_ORDER = ("agent", "customer", "unknown")
MIN_SPAN_PCT = 0.3  # a one-word turn stays visible as a sliver


@dataclass(frozen=True)
class Span:
    """One turn on its speaker's band."""

    turn: int
    speaker: str
    start_s: float
    end_s: float
    left_pct: float
    width_pct: float
    colour: str


@dataclass(frozen=True)
class Marker:
    """A finding (``kind`` "finding", ``code`` its category) or a customer signal ("signal", the signal) at a moment;
    ``number`` is the finding's number on the page ([1], [2] ...), 0 for a signal."""

    kind: str
    code: str
    at_s: float
    left_pct: float
    colour: str
    severity: str | None = None
    turn: int | None = None
    number: int = 0
    dismissed: bool = False


@dataclass(frozen=True)
class Timeline:
    duration_s: float
    speakers: tuple[str, ...]  # the bands, in SPEAKER_ORDER, only those that speak
    spans: tuple[Span, ...]
    markers: tuple[Marker, ...]

    def turn_times(self) -> list[tuple[int, float, float]]:
        """(turn, start_s, end_s) of every turn: what the page follows to highlight the turn being played."""
        return [(span.turn, span.start_s, span.end_s) for span in self.spans]


def _pct(seconds: float, duration_s: float) -> float:
    return round(min(100.0, max(0.0, 100.0 * seconds / duration_s)), 3) if duration_s > 0 else 0.0


def build_timeline(segments: Iterable[dict[str, Any]], findings: Iterable[dict[str, Any]],
                   signals: Iterable[dict[str, Any]] = (), duration_s: float | None = None) -> Timeline:
    """The timeline of a call from its transcript's segments (the auditor's turns, one to one), its findings (rows of
    ``Store.call_detail``, with their reviews) and the customer signals of its audit line. The length is
    ``duration_s`` when known, else where the last turn ends; findings and signals without a moment get no marker."""
    segments = [s for s in segments]
    ends = [float(s["end_s"]) for s in segments if s.get("end_s") is not None]
    length = float(duration_s) if duration_s else 0.0
    length = max([length, *ends]) if ends else length
    spans = []
    for turn, segment in enumerate(segments):
        start, end = segment.get("start_s"), segment.get("end_s")
        if start is None or end is None:
            continue
        speaker = segment.get("speaker") if segment.get("speaker") in SPEAKER_ORDER else "unknown"
        left = _pct(float(start), length)
        width = max(MIN_SPAN_PCT, _pct(float(end), length) - left)
        spans.append(Span(turn, speaker, float(start), float(end), left, round(min(width, 100.0 - left), 3),
                          SPEAKER_COLOURS[speaker]))
    markers = []
    for number, finding in enumerate(findings, start=1):
        if finding.get("start_s") is None:
            continue
        dismissed = is_dismissed(finding)
        severity = effective_severity(finding)
        markers.append(Marker("finding", finding["category"], float(finding["start_s"]),
                              _pct(float(finding["start_s"]), length),
                              DISMISSED_COLOUR if dismissed else SEVERITY_COLOURS.get(severity, DISMISSED_COLOUR),
                              severity, finding.get("turn"), number, dismissed))
    for signal in signals:
        if signal.get("start_s") is None:
            continue
        markers.append(Marker("signal", signal["signal"], float(signal["start_s"]),
                              _pct(float(signal["start_s"]), length), SIGNAL_COLOUR, None, signal.get("turn")))
    markers.sort(key=lambda m: (m.at_s, m.kind != "finding"))
    speakers = tuple(s for s in SPEAKER_ORDER if any(span.speaker == s for span in spans))
    return Timeline(round(length, 3), speakers, tuple(spans), tuple(markers))
