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

import yaml

from audit.errors import LexiconError
from audit import settings
from audit.lexicons import content_version, read_yaml
from audit.models import CallAudit, Finding
from audit.quality import CallQuality
from audit.rulepack import CONDUCT_CATEGORIES, DISCLOSURES, SEVERITIES, SIGNALS

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


class _Map(dict):
    """A YAML mapping that remembers the line of each of its keys."""

    line: int
    lines: dict[Any, int]


class _Loader(yaml.SafeLoader):
    pass


def _construct_map(loader: _Loader, node: yaml.MappingNode) -> _Map:
    loader.flatten_mapping(node)
    mapping = _Map()
    mapping.line, mapping.lines = node.start_mark.line + 1, {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        line = key_node.start_mark.line + 1
        if key in mapping:
            raise _Problem(line, str(key), f"given twice (first on line {mapping.lines[key]})")
        mapping[key] = loader.construct_object(value_node, deep=True)
        mapping.lines[key] = line
    return mapping


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_map)


class _Problem(Exception):
    def __init__(self, line: int | None, field_name: str, problem: str):
        super().__init__(problem)
        self.line, self.field_name, self.problem = line, field_name, problem


def _problem_at(where: _Map, key: Any, field_name: str, problem: str) -> _Problem:
    """The problem with ``field_name``, placed on the line of ``key`` in ``where`` (else of ``where`` itself)."""
    return _Problem(where.lines.get(key, where.line), field_name, problem)


def _mapping(where: _Map, key: str, field_name: str, required: bool = False) -> _Map:
    value = where.get(key)
    if value is None:
        if required:
            raise _problem_at(where, key, field_name, "missing")
        empty = _Map()
        empty.line, empty.lines = where.lines.get(key, where.line), {}
        return empty
    if not isinstance(value, _Map):
        raise _problem_at(where, key, field_name, "must be a mapping")
    return value


def _number(where: _Map, key: Any, field_name: str, required: bool = True, share: bool = False) -> float | None:
    if key not in where or where[key] is None:
        if required:
            raise _problem_at(where, key, field_name, "missing")
        return None
    value = where[key]
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise _problem_at(where, key, field_name, f"must be a number, not {value!r}")
    if value < 0:
        raise _problem_at(where, key, field_name, f"must not be negative ({value})")
    if share and value > 1:
        raise _problem_at(where, key, field_name, f"is a share between 0 and 1, not {value}")
    return float(value)


def _known_keys(where: _Map, known: tuple[str, ...], prefix: str, what: str = "field") -> None:
    for key in where:
        if key not in known:
            raise _problem_at(where, key, f"{prefix}{key}", f"unknown {what} '{key}'; known: {', '.join(known)}")


def _names(where: _Map, key: str, known: tuple[str, ...]) -> frozenset[str]:
    value = where.get(key)
    if value is None:
        return frozenset()
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise _problem_at(where, key, key, "must be a list of names")
    for item in value:
        if item not in known:
            raise _problem_at(where, key, key, f"unknown name '{item}'; known: {', '.join(known)}")
    return frozenset(value)


_TOP = ("name", "title", "start", "fail_below", "severity", "categories", "missing_disclosure", "call_time_violation",
        "veto_categories", "review_signals", "quality")


def _parse(data: Any, path: Path, raw: bytes) -> Scorecard:
    if not isinstance(data, _Map):
        raise _Problem(None, "(top level)", "expected a mapping with name, start, severity, missing_disclosure, ...")
    _known_keys(data, _TOP, "")
    name = data.get("name")
    if not isinstance(name, str) or not _NAME.match(name):
        raise _problem_at(data, "name", "name", "missing, or not a plain name (letters, digits, _ - .)")
    title = data.get("title", name)
    if not isinstance(title, str):
        raise _problem_at(data, "title", "title", "must be a string")
    start = _number(data, "start", "start")
    fail_below = _number(data, "fail_below", "fail_below", required=False)

    severity_map = _mapping(data, "severity", "severity", required=True)
    _known_keys(severity_map, SEVERITIES, "severity.", "severity")
    severity = {level: _number(severity_map, level, f"severity.{level}") for level in SEVERITIES}

    categories: dict[str, CategoryPoints] = {}
    category_map = _mapping(data, "categories", "categories")
    _known_keys(category_map, CONDUCT_CATEGORIES, "categories.", "category")
    for category, spec in category_map.items():
        prefix = f"categories.{category}"
        if not isinstance(spec, _Map):
            raise _problem_at(category_map, category, prefix, "must be a mapping like {deduct: 20, cap: 40}")
        _known_keys(spec, ("deduct", "cap"), f"{prefix}.")
        categories[category] = CategoryPoints(_number(spec, "deduct", f"{prefix}.deduct", required=False),
                                              _number(spec, "cap", f"{prefix}.cap", required=False))

    disclosure_map = _mapping(data, "missing_disclosure", "missing_disclosure", required=True)
    _known_keys(disclosure_map, ("default",) + DISCLOSURES, "missing_disclosure.", "disclosure")
    default = _number(disclosure_map, "default", "missing_disclosure.default")
    missing = {d: _number(disclosure_map, d, f"missing_disclosure.{d}", required=False) for d in DISCLOSURES}

    quality: list[QualityLimit] = []
    quality_map = _mapping(data, "quality", "quality")
    _known_keys(quality_map, QUALITY_MEASURES, "quality.", "measure")
    for measure, spec in quality_map.items():
        prefix = f"quality.{measure}"
        if not isinstance(spec, _Map):
            raise _problem_at(quality_map, measure, prefix, "must be a mapping like {max: 0.8, deduct: 5}")
        _known_keys(spec, ("min", "max", "deduct"), f"{prefix}.")
        share = measure in _SHARES
        low = _number(spec, "min", f"{prefix}.min", required=False, share=share)
        high = _number(spec, "max", f"{prefix}.max", required=False, share=share)
        if low is None and high is None:
            raise _problem_at(quality_map, measure, prefix, "needs min, max or both")
        if low is not None and high is not None and low > high:
            raise _problem_at(spec, "min", f"{prefix}.min", f"min {low:g} is above max {high:g}")
        quality.append(QualityLimit(measure, low, high, _number(spec, "deduct", f"{prefix}.deduct")))

    review_signals = _names(data, "review_signals", SIGNALS) if "review_signals" in data else frozenset(
        {"vulnerability"})
    return Scorecard(
        name=name, title=title, version=content_version(raw), path=str(path), start=start, fail_below=fail_below,
        severity=severity, categories=categories,
        missing_disclosure={d: default if points is None else points for d, points in missing.items()},
        call_time_violation=_number(data, "call_time_violation", "call_time_violation", required=False) or 0.0,
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
    _, raw = read_yaml(path)  # size limit, encoding, alias ban, syntax errors with positions
    try:
        data = yaml.load(raw.decode("utf-8-sig"), Loader=_Loader)  # a SafeLoader subclass
        return _parse(data, path, raw)
    except _Problem as problem:
        line = f"line {problem.line}, " if problem.line else ""
        raise LexiconError(path, f"{line}field '{problem.field_name}': {problem.problem}") from None


# ---------------------------------------------------------------------------------------------------------------------
# Scoring


def _finding_points(card: Scorecard, findings: list[Finding]) -> list[Deduction]:
    """One deduction per agent finding, by category (when the scorecard sets one) or severity, capped per category."""
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

    deductions = _finding_points(card, agent) + others
    score = _total(card, deductions)
    confirmed_score = _total(card, _finding_points(card, confirmed) + others)

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
        reasons.append(f"score below {card.fail_below:g} only with unconfirmed findings counted")
    if vetoed or below:
        verdict = "fail"
    else:
        verdict = "review" if reasons else "pass"
    return ScoreResult(score, verdict, bool(vetoed), tuple(deductions), tuple(reasons), card.name, card.version)
