"""What the review app shows a person, as plain data: moments as ``2026-11-06 22:40``, a call's time of day in the
debtor's zone, the one-line summary of what went wrong and where, quality measures beside their limits, score
deductions split into what and why, and the failed sign-ins an admin reviews. Words are the pages' (app_pages/i18n);
everything here is codes and numbers, tested without a browser."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Iterable

from audit.metadata import time_zone

SEVERITY_ORDER = ("critical", "major", "minor")


def local_minute(iso: str | None, seconds: bool = False) -> str:
    """A stored moment as people read it, ``2026-11-06 22:40``, in the zone it was written with (a UTC stamp -- how
    the database stamps its own rows -- in the server's zone); '' for none, the text itself if it is no date."""
    if not iso:
        return ""
    try:
        moment = datetime.fromisoformat(iso)
    except ValueError:
        return iso
    if moment.tzinfo is not None and moment.utcoffset() == timedelta(0):
        moment = moment.astimezone()
    return moment.strftime("%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M")


@dataclass(frozen=True)
class TimeOfDay:
    local: str  # "2026-11-05 22:40" in the debtor's zone
    zone: str  # "Asia/Shanghai", "+08:00", or the start time's own offset when the debtor's zone is unknown


def time_of_day(started_at: str | None, debtor_tz: str | None) -> TimeOfDay | None:
    """When the call started, in the debtor's zone where known (what the quiet hours are judged by)."""
    if not started_at:
        return None
    try:
        moment = datetime.fromisoformat(started_at)
    except ValueError:
        return None
    zone = time_zone(debtor_tz)
    if zone is not None:
        moment = moment.astimezone(zone) if moment.tzinfo else moment.replace(tzinfo=zone)
        return TimeOfDay(moment.strftime("%Y-%m-%d %H:%M"), debtor_tz or "")
    offset = moment.strftime("%z")
    return TimeOfDay(moment.strftime("%Y-%m-%d %H:%M"), f"{offset[:3]}:{offset[3:]}" if offset else "")


@dataclass(frozen=True)
class SummaryItem:
    kind: str  # "category" (a finding), "signal" (the customer's), or "call_time"
    code: str
    start_s: float | None
    severity: str | None = None


def summary_items(findings: Iterable[dict], signals: Iterable[dict], call_time_violation: bool,
                  dismissed: Iterable[int] = ()) -> list[SummaryItem]:
    """What went wrong and where, for the first line of a call's page: a call in the quiet hours first, then one
    item per finding category (its worst severity, its first moment; dismissed findings left out), worst first,
    then what the customer said that a person must see (vulnerability, complaints, disputes)."""
    items = [SummaryItem("call_time", "call_time", None, "critical")] if call_time_violation else []
    dropped = set(dismissed)
    best: dict[str, SummaryItem] = {}
    for finding in findings:
        if finding.get("finding_id") in dropped:
            continue
        severity = finding.get("effective_severity") or finding["severity"]
        rank = SEVERITY_ORDER.index(severity) if severity in SEVERITY_ORDER else len(SEVERITY_ORDER)
        current = best.get(finding["category"])
        start = finding.get("start_s")
        if current is None or (rank, start if start is not None else 1e12) < (
                SEVERITY_ORDER.index(current.severity), current.start_s if current.start_s is not None else 1e12):
            best[finding["category"]] = SummaryItem("category", finding["category"], start, severity)
    items += sorted(best.values(), key=lambda i: (SEVERITY_ORDER.index(i.severity),
                                                  i.start_s if i.start_s is not None else 1e12))
    seen = set()
    for signal in signals:
        if signal["signal"] in ("promise_to_pay",) or signal["signal"] in seen:
            continue  # a promise is good news: it belongs in the signals tab, not in what went wrong
        seen.add(signal["signal"])
        items.append(SummaryItem("signal", signal["signal"], signal.get("start_s")))
    return items


@dataclass(frozen=True)
class Measure:
    measure: str
    value: float | int | None
    low: float | None  # the scorecard's limits (None: no limit on that side, or no scorecard limit at all)
    high: float | None
    outside: bool


def quality_measures(quality: dict[str, Any], limits: Iterable[Any] = ()) -> list[Measure]:
    """Each measure with the scorecard's limits beside it and whether the value breaks them."""
    by_measure = {limit.measure: limit for limit in limits}
    rows = []
    for measure, value in quality.items():
        limit = by_measure.get(measure)
        low, high = (limit.min, limit.max) if limit else (None, None)
        outside = value is not None and ((low is not None and value < low) or (high is not None and value > high))
        rows.append(Measure(measure, value, low, high, bool(outside)))
    return rows


_FINDING_REASON = re.compile(r"^(?P<rule>\S+) (?P<quote>.*) \(turn (?P<turn>\d+), (?P<severity>\w+)\)")


@dataclass(frozen=True)
class DeductionLine:
    kind: str  # "finding", "disclosure", "quality", "call_time"
    code: str  # the category, disclosure or measure ("" for call_time)
    points: float
    rule_id: str = ""
    quote: str = ""
    turn: int | None = None


def deduction_lines(deductions: Iterable[dict]) -> list[DeductionLine]:
    """The score breakdown's items (``finding:intimidation``…) as kind and code, for the page to name them."""
    lines = []
    for deduction in deductions:
        kind, _, code = str(deduction.get("item", "")).partition(":")
        reason = str(deduction.get("reason", ""))
        match = _FINDING_REASON.match(reason) if kind == "finding" else None
        rule_id = match["rule"] if match else (reason.split(" ", 1)[0] if kind == "disclosure" else
                                               code if kind == "contact_frequency" else "")
        lines.append(DeductionLine(kind, code, float(deduction.get("points", 0)), rule_id,
                                   match["quote"] if match else "", int(match["turn"]) if match else None))
    return lines


def failed_sign_in_table(store, limit: int = 200) -> list[dict[str, str]]:
    """The latest failed sign-ins, newest first: the name tried and when (server time, to the second)."""
    return [{"username": row.username, "at": local_minute(row.created_at, seconds=True)}
            for row in store.failed_sign_ins(limit)]
