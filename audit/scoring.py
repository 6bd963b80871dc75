"""Call score and verdict from an audit's findings (provisional: the scorecard issue replaces the fixed deductions
with versioned scorecards). Pure functions; nothing here reads files or databases.
"""

from __future__ import annotations

from typing import Any

from audit.models import DisclosureResult, Finding, Signal


def score_call(findings: list[Finding], disclosures: list[DisclosureResult], call_time_violation: bool,
               scoring: dict[str, Any]) -> float:
    """Start (100) minus a deduction per agent finding by severity, per missing disclosure, for call time."""
    deduct = scoring.get("deduct", {})
    total = float(scoring.get("start", 100))
    total -= sum(float(deduct.get(f.severity, 0)) for f in findings if f.speaker == "agent")
    total -= float(scoring.get("missing_disclosure", 0)) * sum(d.status == "missing" for d in disclosures)
    if call_time_violation:
        total -= float(scoring.get("call_time_violation", 0))
    return max(0.0, round(total, 1))


def verdict_for(findings: list[Finding], disclosures: list[DisclosureResult], signals: list[Signal],
                call_time_violation: bool) -> tuple[bool, str, tuple[str, ...]]:
    """(critical, verdict, reasons for human review).

    ``critical``: any critical finding on an agent turn (homophone matches included: recall matters) or a call in
    the quiet hours. Verdict ``fail`` needs a critical finding read as written, or the call time; a critical finding
    seen only through homophones, a finding whose speaker is unknown, an unverifiable disclosure or a vulnerable
    customer sends the call to ``review`` instead of deciding for the reviewer.
    """
    agent_critical = [f for f in findings if f.severity == "critical" and f.speaker == "agent"]
    critical = bool(agent_critical) or call_time_violation
    confirmed = any(not f.pinyin_match for f in agent_critical) or call_time_violation
    reasons = []
    if agent_critical and not confirmed:
        reasons.append("critical finding read through homophones only")
    if any(f.speaker == "unknown" for f in findings):
        reasons.append("finding in a turn whose speaker is unknown")
    if any(d.status == "unverifiable" for d in disclosures):
        reasons.append("disclosure unverifiable (poor or missing agent speech)")
    if any(s.signal == "vulnerability" for s in signals):
        reasons.append("customer may be vulnerable")
    if any(f.pinyin_match for f in findings if f.severity != "critical"):
        reasons.append("finding read through homophones")
    if confirmed:
        return critical, "fail", tuple(reasons)
    return critical, ("review" if reasons else "pass"), tuple(reasons)
