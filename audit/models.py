"""Plain data passed between the pipeline's stages.

Every type here is a frozen dataclass that round-trips through JSON (``to_dict`` / ``from_dict``), so a transcript
written by one version of the tool, or produced by another ASR system, can be read back and audited later. This
module imports nothing of ours and no outside engine.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field, fields
from functools import cache
from typing import Any, Literal

Speaker = Literal["agent", "customer", "unknown"]
SPEAKERS: tuple[str, ...] = ("agent", "customer", "unknown")

ChannelLayout = Literal["stereo_agent_left", "stereo_agent_right", "mono"]
CHANNEL_LAYOUTS: tuple[str, ...] = ("stereo_agent_left", "stereo_agent_right", "mono")

TRANSCRIPT_SCHEMA_VERSION = 1

# What may not appear in a file name made from a call id or an uploaded name (anything but letters, digits, . _ -):
# such a name cannot leave the folder it is written to.
UNSAFE_FILE_CHARS = re.compile(r"[^\w.\-]+", re.UNICODE)


def _flat_dict(record: Any) -> dict[str, Any]:
    """``asdict`` for a dataclass whose fields are plain values or tuples of them, without its recursive deep copy
    (an audit line holds dozens of these; a rescan writes thousands of audits)."""
    return {name: getattr(record, name) for name in _field_names(type(record))}


@cache
def _field_names(cls: type) -> tuple[str, ...]:
    return tuple(f.name for f in fields(cls))


@dataclass(frozen=True)
class Word:
    """One recognised word (for Mandarin usually one to three characters) with its place in the audio."""

    start_s: float
    end_s: float
    text: str
    probability: float


@dataclass(frozen=True)
class Segment:
    """One stretch of speech by one speaker, as the recogniser cut it.

    ``text`` is normalised (Simplified Chinese); ``text_original`` is exactly what the model wrote, kept so a reviewer
    can see what normalisation changed. ``channel`` is the audio channel the segment came from (0 = left / mono,
    1 = right). ``speaker_source`` says how the role was decided: ``channel`` (stereo layout), ``content`` (mono
    role assignment from what was said and turn-taking), ``input`` (given by whoever produced the transcript) or
    ``none``.
    """

    start_s: float
    end_s: float
    speaker: Speaker
    text: str
    text_original: str = ""
    words: tuple[Word, ...] = ()
    avg_logprob: float | None = None
    no_speech_prob: float | None = None
    compression_ratio: float | None = None
    channel: int = 0
    speaker_source: str = "none"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Segment:
        values = dict(data)
        values["words"] = tuple(Word(w["start_s"], w["end_s"], w["text"], w["probability"])  # hot in rescans
                                for w in values.get("words", ()))
        return cls(**values)


@dataclass(frozen=True)
class DroppedSegment:
    """A segment the hallucination guard removed, kept in the transcript so the removal can be checked."""

    start_s: float
    end_s: float
    text: str
    reason: str
    channel: int = 0


@dataclass(frozen=True)
class CallMetadata:
    """What the call centre knows about a call besides its audio (one row of the metadata CSV)."""

    call_id: str
    file: str = ""
    agent_id: str | None = None
    agent_name: str | None = None
    team: str | None = None
    started_at: str | None = None  # ISO 8601 with UTC offset, e.g. 2026-11-02T10:15:00+08:00
    debtor_tz: str | None = None  # IANA zone, e.g. Asia/Shanghai
    channel_layout: ChannelLayout | None = None
    debtor_id: str | None = None  # whom the call was to: links it to the dial log's contact counts

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Transcript:
    """A whole call as text: segments of both speakers in time order, and how they were produced."""

    call_id: str
    audio_sha256: str
    duration_s: float
    language: str
    model_id: str
    asr_options: dict[str, Any]
    segments: tuple[Segment, ...]
    channel_layout: ChannelLayout = "mono"
    audio_path: str = ""
    metadata: CallMetadata | None = None
    dropped_segments: tuple[DroppedSegment, ...] = ()
    schema_version: int = TRANSCRIPT_SCHEMA_VERSION
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def speakers(self) -> frozenset[str]:
        return frozenset(segment.speaker for segment in self.segments)

    @property
    def text(self) -> str:
        return "\n".join(segment.text for segment in self.segments)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Transcript:
        values = dict(data)
        values["segments"] = tuple(Segment.from_dict(segment) for segment in values.get("segments", ()))
        values["dropped_segments"] = tuple(DroppedSegment(**dropped) for dropped in values.get("dropped_segments", ()))
        if values.get("metadata") is not None:
            values["metadata"] = CallMetadata(**values["metadata"])
        return cls(**values)


# ---------------------------------------------------------------------------------------------------------------------
# Audit results

Severity = Literal["critical", "major", "minor"]
SEVERITIES: tuple[str, ...] = ("critical", "major", "minor")  # worst first: an index is a rank
Verdict = Literal["fail", "review", "pass"]
VERDICTS: tuple[str, ...] = ("fail", "review", "pass")  # worst first
DisclosureStatus = Literal["present", "missing", "not_applicable", "unverifiable"]


@dataclass(frozen=True)
class Turn:
    """One utterance as the rules see it: a transcript segment, or a turn of a transcript from another ASR system.

    ``avg_logprob`` (when known) lets a disclosure check say 'unverifiable' instead of 'missing' where the
    recognition of that stretch was too poor to prove absence; ``words`` map character offsets to audio time.
    """

    speaker: Speaker
    text: str
    start_s: float | None = None
    end_s: float | None = None
    avg_logprob: float | None = None
    words: tuple[Word, ...] = ()


@dataclass(frozen=True)
class Finding:
    """One piece of prohibited conduct, with the evidence a reviewer (or a regulator) needs to check it."""

    rule_id: str
    category: str
    severity: Severity
    turn: int
    speaker: Speaker
    char_start: int
    char_end: int
    quote: str  # exactly turns[turn].text[char_start:char_end]
    matched: str  # the lexicon term or pattern that fired
    match_kind: str  # "term", "pattern", "token_pattern", "context" (e.g. a third party answered) or "model"
    pinyin_match: bool  # True when the words were recognised through a homophone (ASR error), not as written
    legal_basis: tuple[str, ...]
    explanation: str
    start_s: float | None = None
    end_s: float | None = None
    needs_review: bool = False  # e.g. the speaker is unknown or the match came through a homophone
    score: float | None = None  # the learned reader's probability, for match_kind "model"

    @property
    def unconfirmed(self) -> bool:
        """Seen only through homophones or only by the learned reader: it cannot fail a call without a person."""
        return self.pinyin_match or self.match_kind == "model"

    def to_dict(self) -> dict[str, Any]:
        return _flat_dict(self)


@dataclass(frozen=True)
class DisclosureResult:
    """Whether one mandatory disclosure was made where it must be, and the evidence either way."""

    disclosure: str
    status: DisclosureStatus
    rule_id: str
    explanation: str
    turn: int | None = None
    quote: str | None = None
    char_start: int | None = None
    char_end: int | None = None
    start_s: float | None = None
    legal_basis: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return _flat_dict(self)


@dataclass(frozen=True)
class Signal:
    """Something the customer said that a reviewer should see (not an agent violation)."""

    signal: str
    turn: int
    quote: str
    char_start: int
    char_end: int
    matched: str
    start_s: float | None = None
    details: dict[str, str] = field(default_factory=dict)  # e.g. promise_to_pay: amount, date

    def to_dict(self) -> dict[str, Any]:
        return {**_flat_dict(self), "details": dict(self.details)}


@dataclass(frozen=True)
class CallAudit:
    """Everything the rules found in one call, and which rules (by version) found it."""

    call_id: str
    rule_pack_version: str
    profile: str
    findings: tuple[Finding, ...]
    disclosures: tuple[DisclosureResult, ...]
    signals: tuple[Signal, ...]
    call_time_violation: bool
    call_time: dict[str, Any]
    critical: bool
    score: float
    verdict: Verdict
    review_reasons: tuple[str, ...] = ()
    third_party_answered: bool = False
    scorecard: str = ""
    scorecard_version: str = ""
    deductions: tuple[dict[str, Any], ...] = ()  # item, points, reason: the score breakdown
    quality: dict[str, Any] | None = None  # call-quality measures, when the turns carry timing
    reader_version: str = ""  # the learned reader that read the call beside the rules ("" when none did)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)
