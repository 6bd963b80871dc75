"""The dial logs' part of ``Store``: dial attempts, the contact-frequency violations computed from them
(``audit.qa.dials``), and those violations as call-level items on the calls involved (``audit.review_policy``), kept
in step in one transaction and carried to a call's new audit with their verdicts."""

from __future__ import annotations

import json
from typing import Any, Callable, Iterable

from sqlalchemy import delete, func, insert, select
from sqlalchemy.orm import Session

from audit.review_policy import CONTACT_FREQUENCY, contact_item
from audit.storage.qa import _chunks
from audit.storage.results import refresh
from audit.storage.schema import (AuditRow, CallItemRow, CallRow, ContactViolationRow, DialRow, ReviewRow,
                                  utc_timestamp)
from audit.storage.trail import _last_hash, review_hash


class DialStore:
    session: Callable[[], Session]

    def save_dials(self, rows: list[dict[str, Any]], since: str | None = None,
                   until: str | None = None) -> tuple[int, list[dict[str, Any]]]:
        """Add dial attempts (dicts of ``DialRow``'s columns but imported_at); one already stored, or earlier in
        ``rows`` (same debtor, number and time), is skipped. Returns how many were new, and every stored attempt of
        the rows' debtors on the days ``since`` to ``until`` (widened to the rows' days) as ``dials_of`` gives them,
        the new ones with them: what checking those days reads, read once with the duplicates."""
        new: dict[tuple[str, str, str], dict[str, Any]] = {}
        for row in rows:
            new.setdefault((row["debtor_id"], row["number"], row["dialed_at"]), row)
        if not new:
            return 0, []
        days = [row["day"] for row in new.values()]
        since, until = min(days + [since] if since else days), max(days + [until] if until else days)
        imported_at = utc_timestamp()
        with self.session() as session, session.begin():
            # the stored attempts of the log's debtors, read once: a lookup per row would cost a query per row
            stored = _attempts(session.connection(), sorted({debtor for debtor, _, _ in new}), since, until)
            for attempt in stored:
                new.pop((attempt["debtor_id"], attempt["number"], attempt["dialed_at"]), None)
            added = [row | {"imported_at": imported_at} for row in new.values()]
            for chunk in _chunks(added, 10_000):
                session.connection().execute(insert(DialRow.__table__), chunk)
        return len(added), stored + [{name: row[name] for name in _ATTEMPT} for row in added]

    def dials_of(self, debtor_ids: Iterable[str]) -> list[dict[str, Any]]:
        """Every stored attempt to these debtors, in time order."""
        with self.session() as session:
            rows = _attempts(session.connection(), sorted(set(debtor_ids)))
        return sorted(rows, key=lambda row: (row["debtor_id"], row["dialed_at"]))

    def calls_of_debtors(self, debtor_ids: Iterable[str], since: str | None = None,
                         until: str | None = None) -> list[dict[str, Any]]:
        """The recorded calls to these debtors (``debtor_id`` from the metadata CSV), started on the days ``since``
        to ``until`` when given (their local day): call_id, debtor_id, started_at."""
        query = select(CallRow.call_id, CallRow.debtor_id, CallRow.started_at)
        with self.session() as session:
            return [dict(row) for chunk in _chunks(sorted(set(debtor_ids)))
                    for row in session.execute(_days(query.where(CallRow.debtor_id.in_(chunk)),
                                                     func.substr(CallRow.started_at, 1, 10), since, until)
                                               ).mappings()]

    def stored_debtors(self) -> list[str]:
        """Every debtor with a stored dial attempt: what ``audit dials check`` checks again."""
        with self.session() as session:
            return list(session.scalars(select(DialRow.debtor_id).distinct().order_by(DialRow.debtor_id)))

    def replace_contact_violations(self, debtor_ids: Iterable[str], violations: Iterable[dict[str, Any]],
                                   only: set[tuple[str, str, str]] | None = None) -> None:
        """The violations of these debtors become ``violations`` (recomputed from their dials), and so do the
        contact-frequency items on the latest audit of each stored call involved, in the same transaction: an item
        already there (same rule, debtor, number, day) is kept with its verdicts; one no longer over its limit is
        removed unless a person has judged it (the trail keeps what it judged). ``only``: the (rule, debtor, day)
        that were checked (``audit.qa.dials.checked_days``); the debtors' other days are left as they are."""
        violations = list(violations)
        rows = [v | {"basis": json.dumps(list(v["basis"]), ensure_ascii=False), "created_at": utc_timestamp()}
                for v in violations]
        debtor_ids = sorted(set(debtor_ids))
        debtors = set(debtor_ids)

        def checked(rule_id: str, debtor_id: str, day: str) -> bool:
            return (rule_id, debtor_id, day) in only if only is not None else debtor_id in debtors

        with self.session() as session, session.begin():
            stored = [row for chunk in _chunks(debtor_ids) for row in session.execute(
                select(ContactViolationRow.id, ContactViolationRow.rule_id, ContactViolationRow.debtor_id,
                       ContactViolationRow.day, ContactViolationRow.call_id)
                .where(ContactViolationRow.debtor_id.in_(chunk)))]
            replaced = [row for row in stored if checked(row.rule_id, row.debtor_id, row.day)]
            before = {row.call_id for row in replaced if row.call_id is not None}
            for chunk in _chunks([row.id for row in replaced]):
                session.execute(delete(ContactViolationRow).where(ContactViolationRow.id.in_(chunk)))
            for chunk in _chunks(rows):
                session.connection().execute(insert(ContactViolationRow.__table__), chunk)
            wanted: dict[str, list[dict[str, Any]]] = {}
            for violation in violations:
                if violation["call_id"]:
                    wanted.setdefault(violation["call_id"], []).append(contact_item(violation))
            changed = [audit_pk for call_id, audit_pk in _latest_audits(session, before | set(wanted))
                       if _sync_contact_items(session, audit_pk, wanted.get(call_id, []), checked)]
            refresh(session, changed)

    def carry_contact_items(self, session: Session, from_audit_pk: int | None, to_audit_pk: int,
                            call_id: str) -> int:
        """A new audit of a call gets its contact-frequency items: those of its earlier audit, each with the reviews
        it had (copied into the trail, naming the item they came from), and any the stored violations add. The
        caller's transaction; returns how many items it got."""
        old = session.scalars(select(CallItemRow).where(CallItemRow.audit_pk == from_audit_pk,
                                                        CallItemRow.kind == CONTACT_FREQUENCY)
                              .order_by(CallItemRow.id)).all() if from_audit_pk is not None else []
        carried = 0
        for item in old:
            new = _add_item(session, to_audit_pk, {"kind": item.kind, "text": item.text, "rule_id": item.rule_id,
                                                   "severity": item.severity, "item_key": item.item_key})
            for review in session.scalars(select(ReviewRow).where(ReviewRow.item_pk == item.id)
                                          .order_by(ReviewRow.id)).all():
                _append_item_review(session, new.id, review.reviewer, review.verdict,
                                    f"carried to a re-audit from item {item.id}" + (f": {review.note}"
                                                                                    if review.note else ""))
            carried += 1
        known = {item.item_key for item in old}
        for violation in session.scalars(select(ContactViolationRow).where(ContactViolationRow.call_id == call_id)
                                         .order_by(ContactViolationRow.id)).all():
            wanted = contact_item({"rule_id": violation.rule_id, "debtor_id": violation.debtor_id,
                                   "number": violation.number, "day": violation.day,
                                   "severity": violation.severity, "explanation": violation.explanation})
            if wanted["item_key"] not in known:
                known.add(wanted["item_key"])
                _add_item(session, to_audit_pk, wanted)
                carried += 1
        return carried

    def contact_violations(self, since: str | None = None, until: str | None = None,
                           call_id: str | None = None) -> list[dict[str, Any]]:
        query = select(ContactViolationRow)
        if since:
            query = query.where(ContactViolationRow.day >= since[:10])
        if until:
            query = query.where(ContactViolationRow.day <= until[:10])
        if call_id is not None:
            query = query.where(ContactViolationRow.call_id == call_id)
        with self.session() as session:
            rows = session.scalars(query.order_by(ContactViolationRow.day, ContactViolationRow.debtor_id,
                                                  ContactViolationRow.rule_id, ContactViolationRow.call_id)).all()
        return [{"rule_id": r.rule_id, "debtor_id": r.debtor_id, "number": r.number, "day": r.day,
                 "window_days": r.window_days, "max_contacts": r.max_contacts, "counted": r.counted,
                 "call_id": r.call_id, "severity": r.severity, "basis": json.loads(r.basis),
                 "explanation": r.explanation} for r in rows]



_ATTEMPT = ("debtor_id", "number", "dialed_at", "day", "answered", "agent_id", "call_id")


def _attempts(connection, debtor_ids: list[str], since: str | None = None,
              until: str | None = None) -> list[dict[str, Any]]:
    """The stored attempts of these debtors (on the days ``since`` to ``until``), as plain dicts of ``_ATTEMPT``:
    rows from the connection, since ORM rows cost more than the query here."""
    columns = [getattr(DialRow, name) for name in _ATTEMPT]
    return [dict(zip(_ATTEMPT, row)) for chunk in _chunks(debtor_ids)
            for row in connection.execute(_days(select(*columns).where(DialRow.debtor_id.in_(chunk)),
                                                DialRow.day, since, until))]


def _days(query, day_column, since: str | None, until: str | None):
    """``query`` limited to the days ``since`` to ``until`` (ISO dates; either may be None)."""
    if since:
        query = query.where(day_column >= since)
    if until:
        query = query.where(day_column <= until)
    return query


def _latest_audits(session: Session, call_ids: set[str]) -> list[tuple[str, int]]:
    """(call_id, latest audit id) of each of these calls that is stored."""
    found = []
    for chunk in _chunks(sorted(call_ids)):
        found += session.execute(select(CallRow.call_id, func.max(AuditRow.id))
                                 .join(AuditRow, AuditRow.call_pk == CallRow.id)
                                 .where(CallRow.call_id.in_(chunk)).group_by(CallRow.call_id)).all()
    return [(call_id, audit_pk) for call_id, audit_pk in found]


def _sync_contact_items(session: Session, audit_pk: int, wanted: list[dict[str, Any]],
                        checked: Callable[[str, str, str], bool]) -> bool:
    """Make an audit's contact-frequency items of the checked (rule, debtor, day) those of ``wanted``; True when
    anything changed."""
    existing = {item.item_key: item for item in session.scalars(
        select(CallItemRow).where(CallItemRow.audit_pk == audit_pk, CallItemRow.kind == CONTACT_FREQUENCY))}
    changed = False
    for item in wanted:
        row = existing.get(item["item_key"])
        if row is None:
            _add_item(session, audit_pk, item)
            existing[item["item_key"]] = None  # added now: nothing to remove below
            changed = True
        elif row.text != item["text"] or row.severity != item["severity"]:
            row.text, row.severity = item["text"], item["severity"]  # more attempts counted since: same violation
            changed = True
    keys = {item["item_key"] for item in wanted}
    for key, row in existing.items():
        rule_id, debtor_id, *_, day = key.split("|")  # contact_item_key: rule|debtor|number|day
        if row is None or key in keys or not checked(rule_id, debtor_id, day):
            continue
        if session.scalar(select(ReviewRow.id).where(ReviewRow.item_pk == row.id).limit(1)) is None:
            session.delete(row)  # no longer over its limit, and nobody judged it
            changed = True
    session.flush()
    return changed


def _add_item(session: Session, audit_pk: int, item: dict[str, Any]) -> CallItemRow:
    row = CallItemRow(audit_pk=audit_pk, kind=item["kind"], text=item["text"], rule_id=item["rule_id"],
                      severity=item["severity"], item_key=item["item_key"])
    session.add(row)
    session.flush()
    return row


def _append_item_review(session: Session, item_pk: int, reviewer: str, verdict: str, note: str) -> ReviewRow:
    prev_hash = _last_hash(session, ReviewRow)
    row = ReviewRow(finding_pk=None, item_pk=item_pk, reviewer=reviewer, created_at=utc_timestamp(),
                    verdict=verdict, new_severity=None, note=note, prev_hash=prev_hash, row_hash="")
    row.row_hash = review_hash(row)
    session.add(row)
    session.flush()
    return row
