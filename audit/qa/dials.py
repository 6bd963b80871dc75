"""Dial logs and contact frequency: how often each debtor (or number) was called or reached, against the profile's
limits (``contact_frequency`` in ``lexicons/<profile>/profile.yaml``).

A dial log is a CSV with a header: ``debtor_id, number, dialed_at, answered, agent_id, call_id`` (the last two
optional; ``dialed_at`` ISO 8601 with its UTC offset; ``answered`` 1/0, true/false, yes/no, 是/否). The day of an
attempt is its local day as its offset gives it. For every limit and every debtor (or number) and day, the attempts
counted in the window ending that day are compared with the limit; one over is a violation, reported on each
recorded call involved: the log's call ids in the window, and the stored calls to that debtor (``debtor_id`` of the
metadata CSV) started in it, as a call-level item a reviewer judges like a finding (``audit.review_policy``).
Unanswered attempts have no recording: their violation names the debtor, number and day. An import checks the days
its log names and the windows they lie in (``checked_days``), over every stored attempt in them; ``check_dials``
checks every day. A bad row is skipped with its row number and the problem; the rest of the log is imported.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, Iterable

from audit.errors import DialLogError, MetadataError
from audit.metadata import open_csv
from audit.rulepack import ContactLimit

COLUMNS = ("debtor_id", "number", "dialed_at", "answered", "agent_id", "call_id")
REQUIRED = ("debtor_id", "number", "dialed_at", "answered")
YES = {"1", "true", "yes", "y", "是", "接通"}
NO = {"0", "false", "no", "n", "否", "未接通"}


@dataclass(frozen=True)
class DialLog:
    source: str
    dials: tuple[dict[str, Any], ...]  # debtor_id, number, dialed_at, day, answered, agent_id, call_id, source
    problems: tuple[str, ...]


@dataclass(frozen=True)
class Violation:
    rule_id: str
    debtor_id: str
    number: str | None  # for a per-number limit
    day: str
    window_days: int
    max_contacts: int
    counted: int
    call_id: str | None  # a recorded call involved; None when none was
    severity: str
    basis: tuple[str, ...]
    explanation: str


@dataclass(frozen=True)
class DialImport:
    read: int
    added: int
    debtors: int
    problems: tuple[str, ...]
    violations: tuple[Violation, ...]  # of the days checked (an import: those of its log), over all stored attempts


def read_dial_log(path: str | Path) -> DialLog:
    """Read a dial-log CSV. Raises ``DialLogError`` only when the file as a whole is unusable."""
    path = Path(path)
    try:
        reader, note = open_csv(path, "dial log", REQUIRED, COLUMNS)
    except MetadataError as error:
        raise DialLogError(path, error.problem) from error
    dials, problems = [], [note] if note else []
    try:
        for row_number, row in enumerate(reader, start=2):  # row 1 is the header
            values = {key: (row.get(key) or "").strip() for key in COLUMNS}
            dial, problem = _dial(values)
            if problem:
                problems.append(f"{path}, row {row_number}: {problem}; row skipped")
            else:
                dials.append(dial | {"source": str(path)})
    except csv.Error as error:
        problems.append(f"{path}, row {reader.line_num}: malformed CSV ({error}); rest of file skipped")
    return DialLog(str(path), tuple(dials), tuple(problems))


def _dial(values: dict[str, str]) -> tuple[dict[str, Any], str | None]:
    for column in REQUIRED:
        if not values[column]:
            return {}, f"'{column}' is empty"
    try:
        moment = datetime.fromisoformat(values["dialed_at"])
    except ValueError:
        return {}, f"dialed_at '{values['dialed_at']}' is not an ISO 8601 date-time (e.g. 2026-11-03T10:15:00+08:00)"
    if moment.tzinfo is None:
        return {}, f"dialed_at '{values['dialed_at']}' has no UTC offset (add e.g. +08:00)"
    answered = values["answered"].lower()
    if answered not in YES | NO:
        return {}, f"answered '{values['answered']}' is not 1/0, true/false, yes/no or 是/否"
    return {"debtor_id": values["debtor_id"], "number": values["number"], "dialed_at": moment.isoformat(),
            "day": moment.date().isoformat(), "answered": answered in YES,
            "agent_id": values["agent_id"] or None, "call_id": values["call_id"] or None}, None


def _counted(limit: ContactLimit, dial: dict[str, Any]) -> bool:
    return limit.counts == "all" or dial["answered"] == (limit.counts == "answered")


def _shift(day: str, days: int) -> str:
    return (date.fromisoformat(day) + timedelta(days=days)).isoformat()


def checked_days(limits: Iterable[ContactLimit], touched: dict[str, set[str]]) -> set[tuple[str, str, str]]:
    """What an import checks again: (rule, debtor, day) of every window a touched day of that debtor lies in, i.e. the
    days from each touched day to ``window_days - 1`` days after it. ``touched``: debtor -> days the log named."""
    return {(limit.rule_id, debtor, _shift(day, offset) if offset else day) for limit in limits
            for debtor, days in touched.items() for day in days for offset in range(limit.window_days)}


def check_limits(limits: Iterable[ContactLimit], dials: Iterable[dict[str, Any]],
                 calls: Iterable[dict[str, Any]] = (),
                 only: set[tuple[str, str, str]] | None = None) -> list[Violation]:
    """Every (limit, debtor or number, day) over its limit, once per recorded call involved. ``dials``: rows as
    ``read_dial_log`` gives them; ``calls``: stored calls (call_id, debtor_id, started_at) to link by debtor;
    ``only``: the (rule, debtor, day) to check (``checked_days``; None: every day), whose windows ``dials`` and
    ``calls`` must cover."""
    dials, limits = list(dials), list(limits)
    calls_by_debtor: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for call in calls:
        if call.get("debtor_id") and call.get("started_at"):
            calls_by_debtor[call["debtor_id"]].append((call["started_at"][:10], call["call_id"]))
    violations = []
    for limit in limits:
        # per debtor (or number) and day: the attempts counted, and the call ids the log gives them
        groups: dict[tuple[str, str | None], dict[str, list[str | None]]] = defaultdict(dict)
        per_number = limit.per == "number"
        for dial in filter(lambda dial: _counted(limit, dial), dials):
            by_day = groups[dial["debtor_id"], dial["number"] if per_number else None]
            by_day.setdefault(dial["day"], []).append(dial["call_id"])
        for (debtor, number), by_day in sorted(groups.items(), key=lambda item: (item[0][0], item[0][1] or "")):
            for day in sorted(by_day):
                if only is not None and (limit.rule_id, debtor, day) not in only:
                    continue
                window = [by_day[day]] + [by_day.get(_shift(day, -back), ()) for back in range(1, limit.window_days)]
                counted = sum(len(call_ids) for call_ids in window)
                if counted <= limit.max_contacts:
                    continue
                involved = {call_id for call_ids in window for call_id in call_ids if call_id}
                if limit.counts != "unanswered":  # a recorded call is an answered one
                    first = _shift(day, 1 - limit.window_days)
                    involved |= {call_id for started, call_id in calls_by_debtor[debtor] if first <= started <= day}
                span = f"on {day}" if limit.window_days == 1 else f"in the {limit.window_days} days to {day}"
                who = f"debtor {debtor}" + (f", number {number}" if number else "")
                explanation = (f"{limit.description}: {counted} {limit.counts} attempts {span} for {who} "
                               f"(limit {limit.max_contacts})")
                for call_id in sorted(involved) or [None]:
                    violations.append(Violation(limit.rule_id, debtor, number, day, limit.window_days,
                                                limit.max_contacts, counted, call_id, limit.severity,
                                                limit.basis, explanation))
    return violations


def import_dials(store, path: str | Path, limits: Iterable[ContactLimit]) -> DialImport:
    """Store a dial log's attempts (those already stored are skipped) and recompute the contact-frequency violations
    of the debtor-days the log names, and of the windows they lie in (``checked_days``), over all the stored attempts
    in those windows; each is a reviewable item on the calls involved. Other days keep their violations."""
    log = read_dial_log(path)
    limits = list(limits)
    touched: dict[str, set[str]] = defaultdict(set)
    for dial in log.dials:
        touched[dial["debtor_id"]].add(dial["day"])
    if not touched:
        return DialImport(0, 0, 0, log.problems, ())
    widest = max((limit.window_days for limit in limits), default=1)
    days = [day for debtor_days in touched.values() for day in debtor_days]
    since, until = _shift(min(days), 1 - widest), _shift(max(days), widest - 1)  # every window of those days
    added, stored = store.save_dials(list(log.dials), since, until)
    debtors, only = sorted(touched), checked_days(limits, touched)
    violations = check_limits(limits, stored, store.calls_of_debtors(debtors, since, until), only)
    store.replace_contact_violations(debtors, [asdict(v) for v in violations], only)
    return DialImport(len(log.dials), added, len(touched), log.problems, tuple(violations))


def check_dials(store, limits: Iterable[ContactLimit]) -> DialImport:
    """Check every stored debtor's attempts again (``audit dials check``): after the limits changed, or once
    recordings of calls already in a dial log were stored. Items already there keep their verdicts."""
    debtors = store.stored_debtors()
    violations = check_limits(limits, store.dials_of(debtors), store.calls_of_debtors(debtors)) if debtors else []
    store.replace_contact_violations(debtors, [asdict(v) for v in violations])
    return DialImport(0, 0, len(debtors), (), tuple(violations))
