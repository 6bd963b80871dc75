"""The review trail and the exports log: append-only, each row holding the hash of the one before it, so that editing
or deleting a past verdict or export breaks the chain and ``verify_trail`` says where."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any, Callable, Iterator

from sqlalchemy import select
from sqlalchemy.orm import Session

from audit.storage.schema import ExportRow, FindingRow, ReviewRow, StorageError, utc_timestamp

REVIEW_VERDICTS = ("upheld", "dismissed", "severity_changed", "appeal", "appeal_upheld", "appeal_rejected")
# How a review verdict changes the way its finding counts: an upheld appeal dismisses the finding, a rejected one
# upholds it, and a pending appeal (absent here) changes nothing.
REVIEW_EFFECT = {"upheld": "upheld", "dismissed": "dismissed", "severity_changed": "severity_changed",
                 "appeal_upheld": "dismissed", "appeal_rejected": "upheld"}
GENESIS_HASH = "0" * 64  # the previous hash of the first row of each chain


@dataclass(frozen=True)
class TrailCheck:
    ok: bool
    reviews: int
    problem: str | None = None
    exports: int = 0
    sample_verdicts: int = 0


@dataclass(frozen=True)
class ReviewEffect:
    """What the latest review that counts did to a finding: ``verdict`` is a value of ``REVIEW_EFFECT``."""

    verdict: str
    new_severity: str | None


def _chain_hash(fields: list[Any]) -> str:
    content = json.dumps(fields, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(content.encode("utf-8")).hexdigest()


def review_hash(row: ReviewRow) -> str:
    """sha256 over the previous hash and every field a reviewer or auditor relies on."""
    return _chain_hash([row.prev_hash, row.finding_pk, row.reviewer, row.created_at, row.verdict, row.new_severity,
                        row.note])


def export_hash(row: ExportRow) -> str:
    return _chain_hash([row.prev_hash, row.exported_by, row.created_at, row.since, row.until, row.masked, row.calls,
                        row.findings, row.folder, row.manifest_sha256])


def review_dict(review: ReviewRow) -> dict[str, Any]:
    return {"review_id": review.id, "finding_id": review.finding_pk, "reviewer": review.reviewer,
            "created_at": review.created_at, "verdict": review.verdict, "new_severity": review.new_severity,
            "note": review.note, "row_hash": review.row_hash}


def effective_reviews(session: Session, finding_pks) -> dict[int, ReviewEffect]:
    """The effect of the latest review of each finding that has one (``finding_pks``: a list of ids or a select)."""
    effects: dict[int, ReviewEffect] = {}
    for finding_pk, verdict, new_severity in session.execute(
            select(ReviewRow.finding_pk, ReviewRow.verdict, ReviewRow.new_severity)
            .where(ReviewRow.finding_pk.in_(finding_pks)).order_by(ReviewRow.id)):
        if verdict in REVIEW_EFFECT:
            effects[finding_pk] = ReviewEffect(REVIEW_EFFECT[verdict], new_severity)
    return effects


def review_columns(effect: ReviewEffect | None) -> dict[str, str | None]:
    """A finding row's review columns, as ``audit.aggregate`` and the coaching sheet read them."""
    return {"review_verdict": effect.verdict if effect else None,
            "review_severity": effect.new_severity if effect else None}


def _last_hash(session: Session, table: type[ReviewRow] | type[ExportRow]) -> str:
    """The hash a new row of the chain links to; the row lock keeps two writers from linking to the same one."""
    last = session.scalar(select(table).order_by(table.id.desc()).limit(1).with_for_update())
    return last.row_hash if last else GENESIS_HASH


class ReviewTrail:
    """The trail's part of ``Store``; each method is one transaction of ``session``."""

    session: Callable[[], Session]

    def add_review(self, finding_id: int, reviewer: str, verdict: str, note: str = "",
                   new_severity: str | None = None) -> ReviewRow:
        """Append a reviewer's verdict on a finding (appeals and their outcomes are reviews too)."""
        if verdict not in REVIEW_VERDICTS:
            raise StorageError(None, f"verdict '{verdict}' is not one of {', '.join(REVIEW_VERDICTS)}")
        if verdict == "severity_changed" and new_severity not in ("critical", "major", "minor"):
            raise StorageError(None, "a severity_changed review needs the new severity (critical, major or minor)")
        if not reviewer.strip():
            raise StorageError(None, "a review needs the reviewer's name")
        with self.session() as session, session.begin():
            if session.get(FindingRow, finding_id) is None:
                raise StorageError(None, f"there is no finding {finding_id}")
            prev_hash = _last_hash(session, ReviewRow)  # before the timestamp, so the chain's times only grow
            row = ReviewRow(finding_pk=finding_id, reviewer=reviewer.strip(), created_at=utc_timestamp(),
                            verdict=verdict, new_severity=new_severity, note=note, prev_hash=prev_hash, row_hash="")
            row.row_hash = review_hash(row)
            session.add(row)
        return row

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
        for label, rows, hash_of in (("review", reviews, review_hash), ("export", exports, export_hash),
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
