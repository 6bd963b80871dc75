"""Dial logs and contact frequency: how often each debtor (or number) was called or reached, against the profile's
limits (``contact_frequency`` in ``lexicons/<profile>/profile.yaml``).

A dial log is a CSV with a header: ``debtor_id, number, dialed_at, answered, agent_id, call_id`` (the last two
optional; ``dialed_at`` ISO 8601 with its UTC offset; ``answered`` 1/0, true/false, yes/no, 是/否). The day of an
attempt is its local day as its offset gives it. For every limit and every debtor (or number) and day, the attempts
counted in the window ending that day are compared with the limit; one over is a violation, reported on each
recorded call involved: the log's call ids in the window, and the stored calls to that debtor (``debtor_id`` of the
metadata CSV) started in it, as a call-level item a reviewer judges like a finding (``audit.review_policy``).
Unanswered attempts have no recording: their violation names the debtor, number and day. A bad row is skipped with
its row number and the problem; the rest of the log is imported.
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
    violations: tuple[Violation, ...]  # of the debtors in the log, over all their stored attempts


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


def check_limits(limits: Iterable[ContactLimit], dials: Iterable[dict[str, Any]],
                 calls: Iterable[dict[str, Any]] = ()) -> list[Violation]:
    """Every (limit, debtor or number, day) over its limit, once per recorded call involved. ``dials``: rows as
    ``read_dial_log`` gives them; ``calls``: stored calls (call_id, debtor_id, started_at) to link by debtor."""
    dials, limits = list(dials), list(limits)
    calls_by_debtor: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for call in calls:
        if call.get("debtor_id") and call.get("started_at"):
            calls_by_debtor[call["debtor_id"]].append((call["started_at"][:10], call["call_id"]))
    violations = []
    for limit in limits:
        groups: dict[tuple[str, str | None], list[dict[str, Any]]] = defaultdict(list)
        for dial in dials:
            if _counted(limit, dial):
                groups[dial["debtor_id"], dial["number"] if limit.per == "number" else None].append(dial)
        for (debtor, number), attempts in sorted(groups.items(), key=lambda item: (item[0][0], item[0][1] or "")):
            for day in sorted({dial["day"] for dial in attempts}):
                first = (date.fromisoformat(day) - timedelta(days=limit.window_days - 1)).isoformat()
                window = [dial for dial in attempts if first <= dial["day"] <= day]
                if len(window) <= limit.max_contacts:
                    continue
                involved = {dial["call_id"] for dial in window if dial["call_id"]}
                if limit.counts != "unanswered":  # a recorded call is an answered one
                    involved |= {call_id for started, call_id in calls_by_debtor[debtor] if first <= started <= day}
                span = f"on {day}" if limit.window_days == 1 else f"in the {limit.window_days} days to {day}"
                who = f"debtor {debtor}" + (f", number {number}" if number else "")
                explanation = (f"{limit.description}: {len(window)} {limit.counts} attempts {span} for {who} "
                               f"(limit {limit.max_contacts})")
                for call_id in sorted(involved) or [None]:
                    violations.append(Violation(limit.rule_id, debtor, number, day, limit.window_days,
                                                limit.max_contacts, len(window), call_id, limit.severity,
                                                limit.basis, explanation))
    return violations


def import_dials(store, path: str | Path, limits: Iterable[ContactLimit]) -> DialImport:
    """Store a dial log's attempts (those already stored are skipped) and recompute the contact-frequency violations
    of every debtor in it over all their stored attempts; each is a reviewable item on the calls involved."""
    log = read_dial_log(path)
    added = store.save_dials(list(log.dials))
    debtors = sorted({dial["debtor_id"] for dial in log.dials})
    violations = _recheck(store, debtors, limits)
    return DialImport(len(log.dials), added, len(debtors), log.problems, violations)


def check_dials(store, limits: Iterable[ContactLimit]) -> DialImport:
    """Check every stored debtor's attempts again (``audit dials check``): after the limits changed, or once
    recordings of calls already in a dial log were stored. Items already there keep their verdicts."""
    debtors = store.stored_debtors()
    return DialImport(0, 0, len(debtors), (), _recheck(store, debtors, limits))


def _recheck(store, debtors: list[str], limits: Iterable[ContactLimit]) -> tuple[Violation, ...]:
    violations = check_limits(limits, store.dials_of(debtors), store.calls_of_debtors(debtors)) if debtors else []
    store.replace_contact_violations(debtors, [asdict(v) for v in violations])
    return tuple(violations)
