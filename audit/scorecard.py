"""Scorecards (评分模板): how a call's findings, disclosures and call-quality measures become a score and a verdict.

A scorecard is one YAML file under ``scorecards/`` (or ``AUDIT_SCORECARD_DIR``), versioned by the hash of its content
like the rule pack, so every score can be traced to the exact deductions that produced it. Teams keep several (e.g.
``default`` for in-house agents, ``outsourced`` for 委外 agencies). A broken file is a ``LexiconError`` naming the
file, the line and the field.

Verdict: ``fail`` when the call is vetoed (一票否决: a critical finding on an agent turn read as written, a finding in a
veto category, or a call in the quiet hours) whatever the points, or when the score is below ``fail_below``;
``review`` when a human must decide (a veto finding seen only through homophones or only by the learned reader, a
finding whose speaker is unknown, an unverifiable disclosure, a customer signal such as vulnerability, a homophone
match); else ``pass``.
Pure functions apart from ``load_scorecard``.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from audit import settings
from audit.datafile import DataFile, Keys, LineMap, content_version, fields, load
from audit.errors import LexiconError
from audit.models import SEVERITIES, CallAudit, Finding
from audit.quality import CallQuality
from audit.rulepack import CONDUCT_CATEGORIES, DISCLOSURES, SIGNALS

QUALITY_MEASURES = ("duration_s", "agent_talk_share", "longest_silence_s", "silence_ratio", "overlap_count",
                    "overlap_s", "agent_chars_per_min")
_SHARES = ("agent_talk_share", "silence_ratio")  # measures between 0 and 1
_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]*$")

# Review reasons, as shown to reviewers.
REASON_HOMOPHONE_CRITICAL = "critical finding read through homophones only"
REASON_UNKNOWN_SPEAKER = "finding in a turn whose speaker is unknown"
REASON_UNVERIFIABLE = "disclosure unverifiable (poor or missing agent speech)"
REASON_VULNERABLE = "customer may be vulnerable"
REASON_HOMOPHONE = "finding read through homophones"
REASON_MODEL = "finding only the learned reader saw"
REASON_BELOW_UNCONFIRMED = "score below {fail_below:g} only with unconfirmed findings counted"
# the reasons a finding of the call carries (a person answers them by judging those findings)
FINDING_REASONS = (REASON_HOMOPHONE_CRITICAL, REASON_UNKNOWN_SPEAKER, REASON_HOMOPHONE, REASON_MODEL)


@dataclass(frozen=True)
class Deduction:
    item: str  # "finding:violence_threat", "disclosure:recording_notice", "quality:agent_talk_share", "call_time"
    points: float
    reason: str  # human-readable, e.g. "CN-VIO-001 找人收拾你 (turn 4)"


@dataclass(frozen=True)
class ScoreResult:
    score: float
    verdict: str  # pass | fail | review
    vetoed: bool  # failed outright by a critical / veto-category finding or the call time (一票否决)
    deductions: tuple[Deduction, ...]
    review_reasons: tuple[str, ...]
    scorecard: str
    scorecard_version: str

    def to_dict(self) -> dict[str, Any]:
        return {"score": self.score, "verdict": self.verdict, "vetoed": self.vetoed,
                "deductions": [d.__dict__.copy() for d in self.deductions], "review_reasons": list(self.review_reasons),
                "scorecard": self.scorecard, "scorecard_version": self.scorecard_version}


@dataclass(frozen=True)
class CategoryPoints:
    deduct: float | None  # per finding; None: the finding's severity decides
    cap: float | None  # most points this category can cost one call; None: no cap


@dataclass(frozen=True)
class QualityLimit:
    measure: str
    min: float | None
    max: float | None
    deduct: float

    def breached(self, value: float | None) -> str | None:
        """Why the value is outside the limits (the limits themselves are allowed), or None."""
        if value is None:
            return None
        if self.max is not None and value > self.max:
            return f"{self.measure} = {value:g} > max {self.max:g}"
        if self.min is not None and value < self.min:
            return f"{self.measure} = {value:g} < min {self.min:g}"
        return None


@dataclass(frozen=True)
class Scorecard:
    name: str
    title: str
    version: str  # first 12 hex digits of the sha256 of the file
    path: str
    start: float
    fail_below: float | None
    severity: dict[str, float]  # points per agent finding by severity
    categories: dict[str, CategoryPoints]
    missing_disclosure: dict[str, float]  # points per missing disclosure (every disclosure has an entry)
    call_time_violation: float
    veto_categories: frozenset[str]  # categories that fail the call even when their severity is not critical
    review_signals: frozenset[str]  # customer signals that send the call to review
    quality: tuple[QualityLimit, ...]


# ---------------------------------------------------------------------------------------------------------------------
# Loading


def scorecard_dir() -> Path:
    """``AUDIT_SCORECARD_DIR`` if set, else the shipped ``scorecards/``."""
    return settings.scorecard_dir()


def available_scorecards() -> tuple[str, ...]:
    folder = scorecard_dir()
    return tuple(sorted(p.stem for p in folder.glob("*.yaml"))) if folder.is_dir() else ()


def _mapping(where: LineMap, key: str, required: bool = False) -> LineMap:
    value = where.get(key)
    if value is None:
        if required:
            raise where.error(key, "missing")
        return where.empty(key)
    if not isinstance(value, LineMap):
        raise where.error(key, "must be a mapping")
    return value


def _number(where: LineMap, key: str, required: bool = True, share: bool = False) -> float | None:
    if key not in where or where[key] is None:
        if required:
            raise where.error(key, "missing")
        return None
    value = where[key]
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise where.error(key, f"must be a number, not {value!r}")
    if value < 0:
        raise where.error(key, f"must not be negative ({value})")
    if share and value > 1:
        raise where.error(key, f"is a share between 0 and 1, not {value}")
    return float(value)


def _names(where: LineMap, key: str, known: tuple[str, ...]) -> frozenset[str]:
    value = where.get(key)
    if value is None:
        return frozenset()
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise where.error(key, "must be a list of names")
    for item in value:
        if item not in known:
            raise where.error(key, f"unknown name '{item}'; known: {', '.join(known)}")
    return frozenset(value)


SCORECARD_FILE = Keys({
    "name": None, "title": None, "start": None, "fail_below": None,
    "severity": fields(*SEVERITIES, noun="severity"),
    "categories": fields(*CONDUCT_CATEGORIES, shape=fields("deduct", "cap"), noun="category"),
    "missing_disclosure": fields("default", *DISCLOSURES, noun="disclosure"),
    "call_time_violation": None, "veto_categories": None, "review_signals": None,
    "quality": fields(*QUALITY_MEASURES, shape=fields("min", "max", "deduct"), noun="measure"),
})


def _parse(file: DataFile) -> Scorecard:
    data = file.data
    name = data.get("name")
    if not isinstance(name, str) or not _NAME.match(name):
        raise data.error("name", "missing, or not a plain name (letters, digits, _ - .)")
    title = data.get("title", name)
    if not isinstance(title, str):
        raise data.error("title", "must be a string")
    start = _number(data, "start")
    fail_below = _number(data, "fail_below", required=False)

    severity_map = _mapping(data, "severity", required=True)
    severity = {level: _number(severity_map, level) for level in SEVERITIES}

    categories: dict[str, CategoryPoints] = {}
    category_map = _mapping(data, "categories")
    for category, spec in category_map.items():
        if not isinstance(spec, LineMap):
            raise category_map.error(category, "must be a mapping like {deduct: 20, cap: 40}")
        categories[category] = CategoryPoints(_number(spec, "deduct", required=False),
                                              _number(spec, "cap", required=False))

    disclosure_map = _mapping(data, "missing_disclosure", required=True)
    default = _number(disclosure_map, "default")
    missing = {d: _number(disclosure_map, d, required=False) for d in DISCLOSURES}

    quality: list[QualityLimit] = []
    quality_map = _mapping(data, "quality")
    for measure, spec in quality_map.items():
        if not isinstance(spec, LineMap):
            raise quality_map.error(measure, "must be a mapping like {max: 0.8, deduct: 5}")
        share = measure in _SHARES
        low = _number(spec, "min", required=False, share=share)
        high = _number(spec, "max", required=False, share=share)
        if low is None and high is None:
            raise quality_map.error(measure, "needs min, max or both")
        if low is not None and high is not None and low > high:
            raise spec.error("min", f"min {low:g} is above max {high:g}")
        quality.append(QualityLimit(measure, low, high, _number(spec, "deduct")))

    review_signals = _names(data, "review_signals", SIGNALS) if "review_signals" in data else frozenset(
        {"vulnerability"})
    return Scorecard(
        name=name, title=title, version=content_version(file.raw), path=str(file.path), start=start,
        fail_below=fail_below, severity=severity, categories=categories,
        missing_disclosure={d: default if points is None else points for d, points in missing.items()},
        call_time_violation=_number(data, "call_time_violation", required=False) or 0.0,
        veto_categories=_names(data, "veto_categories", CONDUCT_CATEGORIES), review_signals=review_signals,
        quality=tuple(quality))


def load_scorecard(name_or_path: str | Path = "default") -> Scorecard:
    """A bare name (``default``, ``outsourced``) is ``<scorecard_dir>/<name>.yaml``; anything else is a path."""
    text = str(name_or_path)
    if isinstance(name_or_path, Path) or text.endswith((".yaml", ".yml")) or "/" in text or os.sep in text:
        path = Path(name_or_path)
    else:
        if not _NAME.match(text):
            raise LexiconError(scorecard_dir(), f"'{text}' is not a scorecard name")
        path = scorecard_dir() / f"{text}.yaml"
        if not path.is_file():
            known = ", ".join(available_scorecards()) or "none"
            raise LexiconError(scorecard_dir(), f"no scorecard '{text}' (available: {known})")
    return _parse(load(path, SCORECARD_FILE))


# ---------------------------------------------------------------------------------------------------------------------
# Scoring


def finding_points(card: Scorecard, findings: list[Finding]) -> list[Deduction]:
    """One deduction per agent finding, by category (when the scorecard sets one) or severity, capped per category
    (in the order given). Reads only a finding's category, severity, rule_id, quote, turn and pinyin_match."""
    spent: dict[str, float] = {}
    deductions = []
    for f in findings:
        rule = card.categories.get(f.category, CategoryPoints(None, None))
        points = rule.deduct if rule.deduct is not None else card.severity.get(f.severity, 0.0)
        capped = ""
        if rule.cap is not None and spent.get(f.category, 0.0) + points > rule.cap:
            points, capped = max(0.0, rule.cap - spent.get(f.category, 0.0)), f"; {f.category} capped at {rule.cap:g}"
        if points <= 0:
            continue
        spent[f.category] = spent.get(f.category, 0.0) + points
        homophone = " [homophone]" if f.pinyin_match else ""
        deductions.append(Deduction(f"finding:{f.category}", points,
                                    f"{f.rule_id} {f.quote} (turn {f.turn}, {f.severity}){homophone}{capped}"))
    return deductions


def _total(card: Scorecard, deductions: list[Deduction]) -> float:
    return max(0.0, round(card.start - sum(d.points for d in deductions), 1))


def score_call(scorecard: Scorecard, audit: CallAudit, quality: CallQuality | None = None) -> ScoreResult:
    """Score and verdict of one audited call under one scorecard.

    Only findings on agent turns cost points; a finding whose speaker is unknown sends the call to review instead.
    Unconfirmed findings (read only through homophones, or seen only by the learned reader) cost points too (the
    reviewer sees the worst case) but never fail the call on their own: a veto seen only by them, or a score below
    ``fail_below`` only because of them, is ``review``. An unverifiable disclosure costs nothing and sends the call to
    review. Quality measures that could not be measured (``None``) cost nothing.
    """
    card = scorecard
    agent = [f for f in audit.findings if f.speaker == "agent"]
    confirmed = [f for f in agent if not f.unconfirmed]
    others: list[Deduction] = []
    for d in audit.disclosures:
        if d.status == "missing" and card.missing_disclosure.get(d.disclosure, 0.0) > 0:
            others.append(Deduction(f"disclosure:{d.disclosure}", card.missing_disclosure[d.disclosure],
                                    f"{d.rule_id} 缺少告知 missing {d.disclosure}"))
    if audit.call_time_violation and card.call_time_violation > 0:
        explanation = audit.call_time.get("explanation") if isinstance(audit.call_time, dict) else None
        others.append(Deduction("call_time", card.call_time_violation, explanation or "call in the quiet hours"))
    if quality is not None:
        for limit in card.quality:
            why = limit.breached(getattr(quality, limit.measure))
            if why and limit.deduct > 0:
                others.append(Deduction(f"quality:{limit.measure}", limit.deduct, why))

    deductions = finding_points(card, agent) + others
    score = _total(card, deductions)
    confirmed_score = _total(card, finding_points(card, confirmed) + others)

    def vetoes(f: Finding) -> bool:
        return f.severity == "critical" or f.category in card.veto_categories

    veto_findings = [f for f in agent if vetoes(f)]
    vetoed = any(vetoes(f) for f in confirmed) or audit.call_time_violation
    reasons = []
    if not vetoed and any(f.pinyin_match for f in veto_findings):
        reasons.append(REASON_HOMOPHONE_CRITICAL)
    if any(f.speaker == "unknown" for f in audit.findings):
        reasons.append(REASON_UNKNOWN_SPEAKER)
    if any(d.status == "unverifiable" for d in audit.disclosures):
        reasons.append(REASON_UNVERIFIABLE)
    for signal in sorted({s.signal for s in audit.signals} & card.review_signals):
        reasons.append(REASON_VULNERABLE if signal == "vulnerability" else f"customer signal: {signal}")
    if any(f.pinyin_match for f in audit.findings if not vetoes(f)):
        reasons.append(REASON_HOMOPHONE)
    if any(f.match_kind == "model" for f in audit.findings):
        reasons.append(REASON_MODEL)

    below = card.fail_below is not None and confirmed_score < card.fail_below
    if card.fail_below is not None and score < card.fail_below and not below:
        reasons.append(REASON_BELOW_UNCONFIRMED.format(fail_below=card.fail_below))
    if vetoed or below:
        verdict = "fail"
    else:
        verdict = "review" if reasons else "pass"
    return ScoreResult(score, verdict, bool(vetoed), tuple(deductions), tuple(reasons), card.name, card.version)
