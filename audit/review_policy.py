"""The one review policy: what a reviewer's verdict does to a finding or a call-level item, and a call's verdict and
score after its reviews.

Everything that shows or counts a call after review -- the app's header, queue and overview, the agents page and
coaching sheet, the export, ``audit agents`` -- reads what ``call_result`` computes (``audit.storage`` stores it with
the call each time a review is filed). Pure functions over plain dicts, as ``audit.storage`` returns them.

Reviewable items
    every finding of a call's latest audit, and the call-level items ``call_items`` makes from the audit: the
    call-time violation (quiet hours), each 需复核原因 (review reason) that no finding carries (an unverifiable
    disclosure, a vulnerable customer, another customer signal), and -- for a call the machine did not pass that has
    neither findings nor such reasons -- the machine verdict itself. Reasons a finding carries (homophones, the learned
    reader, an unknown speaker) are answered by judging that finding. A dial log adds one more kind (``contact_item``):
    each debtor (or number) and day over a contact-frequency limit, on each recorded call involved.

A finding or item as a dict
    ``review_status`` (one of ``ITEM_STATUSES``), ``review_verdict`` (the effect that counts, ``REVIEW_EFFECT``'s
    values, None before any) and, for findings, ``review_severity`` (the severity a reviewer set, None if none); see
    ``review_state``. Findings also carry ``severity``, ``category``, ``speaker``, ``pinyin_match``, ``match_kind``
    and ``source`` (``machine``, or ``reviewer`` for a finding a reviewer added: it counts like an upheld finding).

Closed
    a call is closed when none of its items is open: each has a verdict and no appeal is pending.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any, Iterable

from audit.models import SEVERITIES
from audit.scorecard import FINDING_REASONS, REASON_BELOW_UNCONFIRMED, Scorecard, finding_points

REVIEW_VERDICTS = ("upheld", "dismissed", "severity_changed", "appeal", "appeal_upheld", "appeal_rejected")
# a call-level item has no severity to change
ITEM_VERDICTS = tuple(v for v in REVIEW_VERDICTS if v != "severity_changed")
# How a verdict changes the way its item counts: an upheld appeal dismisses it, a rejected one upholds it; a pending
# appeal (absent here) changes nothing until it is decided.
REVIEW_EFFECT = {"upheld": "upheld", "dismissed": "dismissed", "severity_changed": "severity_changed",
                 "appeal_upheld": "dismissed", "appeal_rejected": "upheld", "added": "upheld"}
# The first review of a reviewer-added finding (one the machine missed): filed with it, it counts as upheld, and an
# agent's appeal against it goes as against any finding. Not a verdict a reviewer gives a machine finding.
ADDED = "added"
REVIEWER_SOURCE = "reviewer"  # a finding's ``source`` when a person added it (the machine's: "machine")
CONFIRMING = ("upheld", "severity_changed")  # effects that confirm a finding (at the severity set, if any)
ITEM_STATUSES = ("unreviewed", "upheld", "dismissed", "severity_changed", "appealed")
OPEN_STATUSES = ("unreviewed", "appealed")  # an item in one of these waits for a person
CONTACT_FREQUENCY = "contact_frequency"  # a call-level item from the dial logs, not from the audit
CALL_ITEM_KINDS = ("call_time", "review_reason", "verdict", CONTACT_FREQUENCY)
NO_FINDING = len(SEVERITIES)  # the ``worst`` rank of a call with nothing standing


@dataclass(frozen=True)
class ReviewState:
    """Where an item stands after its reviews (``review_state``)."""

    status: str = "unreviewed"
    verdict: str | None = None
    severity: str | None = None

    def columns(self) -> dict[str, str | None]:
        return {"review_status": self.status, "review_verdict": self.verdict, "review_severity": self.severity}


def review_state(reviews: Iterable[tuple[str, str | None]]) -> ReviewState:
    """The state after ``(verdict, new_severity)`` reviews in trail order. A severity a reviewer set stays with the
    finding when it is later upheld or an appeal against it is rejected; a pending appeal leaves the effect as it was
    but opens the item again."""
    status, effect, severity = "unreviewed", None, None
    for verdict, new_severity in reviews:
        if verdict == "appeal":
            status = "appealed"
            continue
        effect = REVIEW_EFFECT[verdict]
        if verdict == "severity_changed":
            severity = new_severity
        elif effect == "dismissed":
            severity = None
        status = effect
    return ReviewState(status, effect, severity)


def is_open(item: dict[str, Any]) -> bool:
    return (item.get("review_status") or "unreviewed") in OPEN_STATUSES


def is_dismissed(item: dict[str, Any]) -> bool:
    return item.get("review_verdict") == "dismissed"


def effective_severity(finding: dict[str, Any]) -> str:
    """The severity a reviewer set, else the machine's."""
    return finding.get("review_severity") or finding["severity"]


def counts_against_agent(finding: dict[str, Any]) -> bool:
    """Agent findings a reviewer did not dismiss, and unknown-speaker findings a reviewer confirmed."""
    if finding.get("speaker") == "agent":
        return not is_dismissed(finding)
    return finding.get("speaker") == "unknown" and finding.get("review_verdict") in CONFIRMING


def added_by_reviewer(finding: dict[str, Any]) -> bool:
    return finding.get("source") == REVIEWER_SOURCE


def unconfirmed(finding: dict[str, Any]) -> bool:
    """Seen only through homophones or only by the learned reader (``audit.models.Finding.unconfirmed``)."""
    return bool(finding.get("pinyin_match")) or finding.get("match_kind") == "model"


def settled(finding: dict[str, Any]) -> bool:
    """A counted finding that may fail the call: read as written on an agent turn, or confirmed by a reviewer."""
    if finding.get("review_verdict") in CONFIRMING:
        return True
    return finding.get("speaker") == "agent" and not unconfirmed(finding)


def needs_person(finding: dict[str, Any]) -> bool:
    """A finding that holds its call in review until judged (the machine could not decide it alone)."""
    return unconfirmed(finding) or finding.get("speaker") != "agent" or bool(finding.get("needs_review"))


# -- call-level items ---------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class CallItem:
    kind: str  # one of CALL_ITEM_KINDS
    text: str


def _answered_by_findings(reason: str) -> bool:
    below = REASON_BELOW_UNCONFIRMED.split("{", 1)[0]
    return reason in FINDING_REASONS or reason.startswith(below)


def call_items(audit_line: dict[str, Any]) -> list[CallItem]:
    """The call-level items of an audit (the ``audit scan`` line): see the module's docstring."""
    items = []
    if audit_line.get("call_time_violation"):
        call_time = audit_line.get("call_time") or {}
        items.append(CallItem("call_time", call_time.get("explanation") or "call in the quiet hours"))
    items += [CallItem("review_reason", reason) for reason in audit_line.get("review_reasons") or ()
              if not _answered_by_findings(reason)]
    verdict = audit_line.get("verdict", "pass")
    if verdict != "pass" and not items and not audit_line.get("findings"):
        items.append(CallItem("verdict", f"machine verdict: {verdict}"))
    return items


def contact_item_key(violation: dict[str, Any]) -> str:
    """What makes a contact-frequency violation the same one when the dial logs are checked again: its rule, debtor,
    number (per-number limits) and day."""
    return "|".join((violation["rule_id"], violation["debtor_id"], violation.get("number") or "", violation["day"]))


def contact_item(violation: dict[str, Any]) -> dict[str, Any]:
    """The call-level item of a contact-frequency violation (``audit.qa.dials.Violation`` as a dict) on a call
    involved: it counts like the call-time violation until a reviewer dismisses it (see ``call_result``)."""
    return {"kind": CONTACT_FREQUENCY, "text": violation["explanation"], "rule_id": violation["rule_id"],
            "severity": violation["severity"], "item_key": contact_item_key(violation)}


# -- the call after review ----------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class CallResult:
    """A call's verdict and score after its reviews. ``deductions``: the score breakdown after reviews, each with
    ``status`` (``counted``, or ``dismissed`` with 0 points)."""

    verdict: str
    score: float
    critical: bool
    worst: int  # rank in SEVERITIES of the worst finding not dismissed (a call-time violation counts as critical)
    open_items: int
    deductions: tuple[dict[str, Any], ...] = field(default=(), compare=False)

    @property
    def closed(self) -> bool:
        return self.open_items == 0


def _as_scored(finding: dict[str, Any]) -> SimpleNamespace:
    """What ``audit.scorecard.finding_points`` reads of a finding, at its severity after review."""
    return SimpleNamespace(category=finding["category"], severity=effective_severity(finding),
                           rule_id=finding.get("rule_id", ""), quote=finding.get("quote", ""),
                           turn=finding.get("turn", 0), pinyin_match=bool(finding.get("pinyin_match")))


def _points(card: Scorecard, findings: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{"item": d.item, "points": d.points, "reason": d.reason, "status": "counted"}
            for d in finding_points(card, [_as_scored(f) for f in findings])]


def call_result(audit_line: dict[str, Any], findings: list[dict[str, Any]], items: list[dict[str, Any]],
                card: Scorecard | None) -> CallResult:
    """The verdict and score of a call after its reviews, from its audit line (machine verdict, score and deductions),
    its findings and call-level items with their review state, and the scorecard it was scored with (None when it
    can no longer be loaded: the machine score stands, the verdict is still decided).

    - A reviewer-added finding deducts, counts and fails the call like an upheld one (the machine's deductions no
      longer stand as they were: the call is rescored).
    - A dismissed finding no longer deducts, counts or fails the call; a severity a reviewer set counts instead of
      the machine's (so a raised severity can fail a call that passed); an unknown-speaker finding counts once
      confirmed.
    - A contact-frequency item (dial logs) not dismissed deducts the scorecard's points for its severity, and one of
      critical severity fails the call like a call-time violation; while it is open it holds the call in review.
    - ``fail``: a settled finding that vetoes (critical, or a veto category), a call-time violation not dismissed, or
      a score below the scorecard's ``fail_below`` with only settled findings counted (unless the machine-verdict
      item was dismissed); ``review``: else, while an item that needs a person is open (a finding the machine could not
      decide alone, a call-level reason, a contact-frequency violation); ``pass`` otherwise.
    """
    findings = sorted(findings, key=lambda f: f.get("finding_id") or 0)
    by_kind = {item["kind"]: item for item in items}
    call_time = bool(audit_line.get("call_time_violation")) and not is_dismissed(by_kind.get("call_time", {}))
    counted = [f for f in findings if counts_against_agent(f)]
    machine = [f for f in findings if f.get("speaker") == "agent" and not added_by_reviewer(f)]
    body = [dict(d, status="counted") for d in audit_line.get("deductions") or ()]
    others = [d for d in body if not str(d.get("item", "")).startswith("finding:")]
    if not call_time:
        others = [dict(d, points=0.0, status="dismissed") if d.get("item") == "call_time" else d for d in others]
    contact = [item for item in items if item["kind"] == CONTACT_FREQUENCY]
    others += [_contact_deduction(card, item) for item in contact]
    standing_contact = [item for item in contact if not is_dismissed(item)]
    unchanged = counted == machine and all(effective_severity(f) == f["severity"] for f in counted)
    start = card.start if card else audit_line.get("score", 0.0) + sum(d.get("points", 0.0) for d in body)
    if card is None or unchanged:  # the machine's own deductions, exactly as it made them
        deductions = [d for d in body if str(d.get("item", "")).startswith("finding:")]
    else:
        deductions = _points(card, counted)
    deductions += [{"item": f"finding:{f['category']}", "points": 0.0, "status": "dismissed",
                    "reason": f"{f.get('rule_id', '')} {f.get('quote', '')} (turn {f.get('turn')})"}
                   for f in machine if is_dismissed(f)]
    deductions += others
    if card is None and not unchanged:  # no scorecard to rescore with: the machine's score stands
        score = float(audit_line.get("score", 0.0))
    else:
        score = max(0.0, round(start - sum(d["points"] for d in deductions), 1))

    veto_categories = card.veto_categories if card else frozenset()
    vetoed = call_time or any(settled(f) and (effective_severity(f) == "critical" or f["category"] in veto_categories)
                              for f in counted) or any(item.get("severity") == "critical" for item in standing_contact)
    verdict_item = by_kind.get("verdict")
    if verdict_item is not None and is_dismissed(verdict_item):
        below = False
    elif card is not None and card.fail_below is not None:
        settled_points = sum(d["points"] for d in _points(card, [f for f in counted if settled(f)]))
        below = round(start - settled_points - sum(d["points"] for d in others), 1) < card.fail_below
    else:  # the machine failed it for its score alone
        below = audit_line.get("verdict") == "fail" and not audit_line.get("critical")
    holding = any(is_open(f) and needs_person(f) for f in findings) or any(
        is_open(item) for item in items if item["kind"] != "call_time")
    verdict = "fail" if vetoed or below else "review" if holding else "pass"

    standing = [SEVERITIES.index(effective_severity(f)) for f in findings
                if not is_dismissed(f) and effective_severity(f) in SEVERITIES]
    standing += [SEVERITIES.index(item["severity"]) for item in standing_contact if item.get("severity") in SEVERITIES]
    worst = 0 if call_time else min(standing, default=NO_FINDING)
    critical = call_time or any(effective_severity(f) == "critical" for f in counted) or any(
        item.get("severity") == "critical" for item in standing_contact)
    open_items = sum(is_open(x) for x in [*findings, *items])
    return CallResult(verdict, score, critical, worst, open_items, tuple(deductions))


def _contact_deduction(card: Scorecard | None, item: dict[str, Any]) -> dict[str, Any]:
    """A contact-frequency item's line of the score breakdown: the scorecard's points for its severity (0 without a
    scorecard, or once dismissed)."""
    points = float(card.severity.get(item.get("severity"), 0.0)) if card else 0.0
    line = {"item": f"{CONTACT_FREQUENCY}:{item.get('rule_id') or ''}", "reason": item.get("text", ""),
            "points": points, "status": "counted"}
    return dict(line, points=0.0, status="dismissed") if is_dismissed(item) else line
