"""One call as the app shows it: the dialogue with each finding's quote marked where it was said, the disclosure
checklist, the latest review of an item, and the audio player's times and MIME type."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable

from audit.rulepack import DISCLOSURES


@dataclass(frozen=True)
class Piece:
    """A run of a turn's text and the findings (by id) that cover it; no ids = plain text."""

    text: str
    finding_ids: tuple[int, ...] = ()


@dataclass(frozen=True)
class DialogueTurn:
    index: int
    speaker: str
    text: str
    start_s: float | None
    end_s: float | None
    pieces: tuple[Piece, ...]
    finding_ids: tuple[int, ...] = ()
    speaker_source: str = ""


def finding_span(text: str, finding: dict[str, Any]) -> tuple[int, int] | None:
    """Where a finding's quote is in its turn: its offsets when they still point at the quote, else the first place
    the quote occurs (a transcript re-normalised since), else None (shown beside the turn, not inside it)."""
    start, end, quote = finding.get("char_start"), finding.get("char_end"), finding.get("quote") or ""
    if isinstance(start, int) and isinstance(end, int) and 0 <= start < end <= len(text):
        if not quote or text[start:end] == quote:
            return start, end
    if quote and quote in text:
        start = text.index(quote)
        return start, start + len(quote)
    return None


def split_pieces(text: str, spans: Iterable[tuple[int, int, int]]) -> tuple[Piece, ...]:
    """Cut a turn at every finding boundary; each piece carries the ids of the findings covering it (overlapping
    findings give a piece with several ids)."""
    spans = [(start, end, fid) for start, end, fid in spans if 0 <= start < end <= len(text)]
    cuts = sorted({0, len(text), *(s for s, _, _ in spans), *(e for _, e, _ in spans)})
    pieces = []
    for left, right in zip(cuts, cuts[1:]):
        ids = tuple(fid for start, end, fid in spans if start <= left and right <= end)
        if pieces and pieces[-1].finding_ids == ids:  # merge neighbours with the same cover
            pieces[-1] = Piece(pieces[-1].text + text[left:right], ids)
        else:
            pieces.append(Piece(text[left:right], ids))
    return tuple(pieces) or (Piece(text),)


def build_dialogue(transcript: dict[str, Any] | None, findings: list[dict[str, Any]]) -> list[DialogueTurn]:
    """The transcript as turns with each finding's quote marked where it was said. Segments are the auditor's turns
    one to one (``audit.auditor.turns_from_transcript``), so a finding's ``turn`` indexes ``segments``."""
    if not transcript:
        return []
    by_turn: dict[int, list[dict[str, Any]]] = {}
    for finding in findings:
        by_turn.setdefault(finding["turn"], []).append(finding)
    turns = []
    for index, segment in enumerate(transcript.get("segments", [])):
        text = segment.get("text", "")
        spans, ids = [], []
        for finding in by_turn.get(index, []):
            ids.append(finding["finding_id"])
            span = finding_span(text, finding)
            if span:
                spans.append((*span, finding["finding_id"]))
        turns.append(DialogueTurn(index, segment.get("speaker", "unknown"), text, segment.get("start_s"),
                                  segment.get("end_s"), split_pieces(text, spans), tuple(ids),
                                  segment.get("speaker_source", "")))
    return turns


def disclosure_checklist(audit_line: dict[str, Any]) -> list[dict[str, Any]]:
    """Every mandatory disclosure with its status and where it was said, in the order a call should make them."""
    evidence = {row["disclosure"]: row for row in audit_line.get("disclosure_evidence", [])}
    statuses = audit_line.get("disclosures", {})
    order = [d for d in DISCLOSURES if d in evidence or d in statuses]
    order += sorted((set(evidence) | set(statuses)) - set(order))  # any a newer rule pack adds, once each
    rows = []
    for disclosure in order:
        row = evidence.get(disclosure, {})
        rows.append({"disclosure": disclosure, "status": row.get("status", statuses.get(disclosure)),
                     "turn": row.get("turn"), "quote": row.get("quote"), "start_s": row.get("start_s"),
                     "rule_id": row.get("rule_id"), "explanation": row.get("explanation", "")})
    return rows


def latest_review(finding: dict[str, Any]) -> dict[str, Any] | None:
    reviews = finding.get("reviews") or []
    return reviews[-1] if reviews else None


def clock(seconds: float | None) -> str:
    """Audio time as m:ss (or h:mm:ss), as a player shows it."""
    if seconds is None:
        return ""
    whole = int(max(0.0, float(seconds)))
    hours, rest = divmod(whole, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else f"{rest // 60}:{rest % 60:02d}"


def player_start(seconds: float | None, lead_s: float = 0.5) -> int:
    """Where the player starts for a finding: a moment before the words, whole seconds (the player's unit)."""
    return max(0, int(float(seconds or 0.0) - lead_s))


AUDIO_MIME = {".wav": "audio/wav", ".mp3": "audio/mpeg", ".ogg": "audio/ogg", ".oga": "audio/ogg",
              ".opus": "audio/ogg", ".flac": "audio/flac", ".m4a": "audio/mp4", ".aac": "audio/aac"}


def audio_mime(path: str | Path) -> str:
    """The MIME type a browser needs to play the file (Opus travels in an Ogg container)."""
    return AUDIO_MIME.get(Path(path).suffix.lower(), "audio/wav")
