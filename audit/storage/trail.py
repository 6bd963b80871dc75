"""The review trail and the exports log: append-only, each row holding the hash of the one before it, so that editing
or deleting a past verdict or export breaks the chain and ``verify_trail`` says where."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any, Callable, Iterator

from sqlalchemy import select
from sqlalchemy.orm import Session

from audit.models import SEVERITIES
from audit.review_policy import ADDED, ITEM_VERDICTS, REVIEW_VERDICTS, REVIEWER_SOURCE
from audit.storage.results import refresh
from audit.storage.schema import (AuditRow, CallItemRow, CallRow, ExportRow, FindingRow, ReviewRow, StorageError,
                                  TranscriptRow, utc_timestamp)

GENESIS_HASH = "0" * 64  # the previous hash of the first row of each chain


@dataclass(frozen=True)
class TrailCheck:
    ok: bool
    reviews: int
    problem: str | None = None
    exports: int = 0
    sample_verdicts: int = 0


def _chain_hash(fields: list[Any]) -> str:
    content = json.dumps(fields, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(content.encode("utf-8")).hexdigest()


def added_fields(finding: FindingRow | None) -> list[Any]:
    """What a reviewer-added finding says, as its ``added`` review hashes it: editing the finding breaks the chain."""
    if finding is None:
        return ["added", None]
    return ["added", finding.audit_pk, finding.source, finding.category, finding.severity, finding.turn,
            finding.speaker, finding.char_start, finding.char_end, finding.quote, finding.start_s, finding.end_s,
            finding.explanation]


def review_hash(row: ReviewRow, added: FindingRow | None = None) -> str:
    """sha256 over the previous hash and every field a reviewer or auditor relies on (a call-level item's id only on
    its reviews, so the hashes of findings' reviews are those they always had); an ``added`` review also covers the
    finding it added (``added``, that review's finding)."""
    fields = [row.prev_hash, row.finding_pk, row.reviewer, row.created_at, row.verdict, row.new_severity, row.note]
    fields += ["item", row.item_pk] if row.item_pk is not None else []
    return _chain_hash(fields + (added_fields(added) if row.verdict == ADDED else []))


def export_hash(row: ExportRow) -> str:
    return _chain_hash([row.prev_hash, row.exported_by, row.created_at, row.since, row.until, row.masked, row.calls,
                        row.findings, row.folder, row.manifest_sha256])


def review_dict(review: ReviewRow) -> dict[str, Any]:
    return {"review_id": review.id, "finding_id": review.finding_pk, "item_id": review.item_pk,
            "reviewer": review.reviewer, "created_at": review.created_at, "verdict": review.verdict,
            "new_severity": review.new_severity, "note": review.note, "row_hash": review.row_hash}


def _last_hash(session: Session, table: type[ReviewRow] | type[ExportRow]) -> str:
    """The hash a new row of the chain links to; the row lock keeps two writers from linking to the same one."""
    last = session.scalar(select(table).order_by(table.id.desc()).limit(1).with_for_update())
    return last.row_hash if last else GENESIS_HASH


class ReviewTrail:
    """The trail's part of ``Store``; each method is one transaction of ``session``."""

    session: Callable[[], Session]

    def add_review(self, finding_id: int, reviewer: str, verdict: str, note: str = "",
                   new_severity: str | None = None) -> ReviewRow:
        """Append a reviewer's verdict on a finding (appeals and their outcomes are reviews too); the call's result
        after review changes in the same transaction."""
        if verdict == "severity_changed" and new_severity not in SEVERITIES:
            raise StorageError(None, f"a severity_changed review needs the new severity ({', '.join(SEVERITIES)})")
        return self._append_review(FindingRow, finding_id, reviewer, verdict, note, new_severity)

    def add_item_review(self, item_id: int, reviewer: str, verdict: str, note: str = "") -> ReviewRow:
        """Append a reviewer's verdict on a call-level item (a call-time violation, a review reason, the machine
        verdict): the same verdicts as a finding's, but no severity to change."""
        if verdict not in ITEM_VERDICTS:
            raise StorageError(None, f"verdict '{verdict}' on a call-level item is not one of {', '.join(ITEM_VERDICTS)}")
        return self._append_review(CallItemRow, item_id, reviewer, verdict, note, None)

    def _append_review(self, table, target_id: int, reviewer: str, verdict: str, note: str,
                       new_severity: str | None) -> ReviewRow:
        if verdict not in REVIEW_VERDICTS:
            raise StorageError(None, f"verdict '{verdict}' is not one of {', '.join(REVIEW_VERDICTS)}")
        if not reviewer.strip():
            raise StorageError(None, "a review needs the reviewer's name")
        is_item = table is CallItemRow
        with self.session() as session, session.begin():
            target = session.get(table, target_id)
            if target is None:
                raise StorageError(None, f"there is no {'call-level item' if is_item else 'finding'} {target_id}")
            prev_hash = _last_hash(session, ReviewRow)  # before the timestamp, so the chain's times only grow
            row = ReviewRow(finding_pk=None if is_item else target_id, item_pk=target_id if is_item else None,
                            reviewer=reviewer.strip(), created_at=utc_timestamp(), verdict=verdict,
                            new_severity=new_severity if verdict == "severity_changed" else None, note=note,
                            prev_hash=prev_hash, row_hash="")
            row.row_hash = review_hash(row)
            session.add(row)
            session.flush()
            refresh(session, [target.audit_pk])
        return row

    def add_reviewer_finding(self, call_id: str, reviewer: str, category: str, severity: str, note: str = "", *,
                             turn: int | None = None, quote: str = "", at_s: float | None = None
                             ) -> tuple[FindingRow, ReviewRow]:
        """A finding the machine missed, marked by a reviewer on the call's latest audit (``audit.reviewer_findings``
        places it), filed with an ``added`` review in the trail; the call's result after review changes with it."""
        from audit.reviewer_findings import place

        if not reviewer.strip():
            raise StorageError(None, "a reviewer-added finding needs the reviewer's name")
        with self.session() as session, session.begin():
            audit = session.scalar(select(AuditRow).join(CallRow, CallRow.id == AuditRow.call_pk)
                                   .where(CallRow.call_id == call_id).order_by(AuditRow.id.desc()).limit(1))
            if audit is None:
                raise StorageError(None, f"there is no audited call '{call_id}'")
            transcript = session.get(TranscriptRow, audit.transcript_pk) if audit.transcript_pk else None
            missed = place(json.loads(transcript.body) if transcript else None, category, severity, note,
                           turn=turn, quote=quote, at_s=at_s)
            finding = FindingRow(audit_pk=audit.id, **missed.columns())
            session.add(finding)
            session.flush()
            review = self._append_added(session, finding, reviewer.strip(), missed.note)
            refresh(session, [audit.id])
        return finding, review

    @staticmethod
    def _append_added(session: Session, finding: FindingRow, reviewer: str, note: str) -> ReviewRow:
        prev_hash = _last_hash(session, ReviewRow)
        row = ReviewRow(finding_pk=finding.id, item_pk=None, reviewer=reviewer, created_at=utc_timestamp(),
                        verdict=ADDED, new_severity=None, note=note, prev_hash=prev_hash, row_hash="")
        row.row_hash = review_hash(row, finding)
        session.add(row)
        session.flush()
        return row

    def carry_reviewer_findings(self, session: Session, from_audit_pk: int, to_audit_pk: int) -> int:
        """Copy the reviewer-added findings still standing on an earlier audit of a call to its new one (a re-audit
        must not drop what a person found), each with its own ``added`` review naming the one it came from. The
        caller's transaction; returns how many were carried."""
        carried = session.execute(
            select(FindingRow, ReviewRow.reviewer).join(ReviewRow, ReviewRow.finding_pk == FindingRow.id)
            .where(FindingRow.audit_pk == from_audit_pk, FindingRow.source == REVIEWER_SOURCE,
                   ReviewRow.verdict == ADDED, FindingRow.review_verdict.is_distinct_from("dismissed"))
            .order_by(FindingRow.id)).all()
        skip = {"id", "audit_pk", "review_status", "review_verdict", "review_severity"}
        for old, reviewer in carried:
            finding = FindingRow(audit_pk=to_audit_pk, **{c.key: getattr(old, c.key)
                                                          for c in FindingRow.__table__.columns if c.key not in skip})
            session.add(finding)
            session.flush()
            self._append_added(session, finding, reviewer, f"carried to a re-audit from finding {old.id}")
        if carried:
            refresh(session, [to_audit_pk])
        return len(carried)

    def reviews(self) -> Iterator[ReviewRow]:
        with self.session() as session:
            yield from session.scalars(select(ReviewRow).order_by(ReviewRow.id))

    def log_export(self, exported_by: str, since: str | None, until: str | None, masked: bool, calls: int,
                   findings: int, folder: str, manifest_sha256: str) -> ExportRow:
        """Record an export in the trail (who, when, which dates, masked or not, and the manifest's hash)."""
        with self.session() as session, session.begin():
            prev_hash = _last_hash(session, ExportRow)
            row = ExportRow(exported_by=exported_by.strip() or "(unnamed)", created_at=utc_timestamp(), since=since,
                            until=until, masked=masked, calls=calls, findings=findings, folder=folder,
                            manifest_sha256=manifest_sha256, prev_hash=prev_hash, row_hash="")
            row.row_hash = export_hash(row)
            session.add(row)
        return row

    def exports(self) -> list[ExportRow]:
        with self.session() as session:
            return list(session.scalars(select(ExportRow).order_by(ExportRow.id)))

    def verify_trail(self) -> TrailCheck:
        """Recompute the chains (reviews, exports, sampled calls' verdicts) from their first row: any edited, deleted
        or reordered row breaks them, and the problem names the row."""
        from audit.storage.qa import sample_verdict_hash

        reviews, exports, verdicts = list(self.reviews()), self.exports(), self.sample_verdicts()
        with self.session() as session:
            added = {f.id: f for f in session.scalars(select(FindingRow).where(FindingRow.id.in_(
                select(ReviewRow.finding_pk).where(ReviewRow.verdict == ADDED))))}

        def hash_review(row: ReviewRow) -> str:
            return review_hash(row, added.get(row.finding_pk) if row.verdict == ADDED else None)

        for label, rows, hash_of in (("review", reviews, hash_review), ("export", exports, export_hash),
                                     ("sample verdict", verdicts, sample_verdict_hash)):
            previous = GENESIS_HASH
            for row in rows:
                if row.prev_hash != previous:
                    return TrailCheck(False, len(reviews), f"{label} {row.id}: its link to the previous {label} is "
                                                           f"broken (a {label} was deleted or inserted before it)")
                if hash_of(row) != row.row_hash:
                    return TrailCheck(False, len(reviews), f"{label} {row.id}: its content no longer matches its "
                                                           "hash (the row was edited)")
                previous = row.row_hash
        return TrailCheck(True, len(reviews), exports=len(exports), sample_verdicts=len(verdicts))
