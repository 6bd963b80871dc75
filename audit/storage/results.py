"""Each call's result after its reviews, stored with its audit so that every read (queue, overview, aggregates,
export) filters, sorts and counts by it in SQL. ``audit.review_policy`` decides; this module only keeps the stored
copy current: when an audit is saved, and in the same transaction as every review filed."""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any, Iterable

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from audit import review_policy, settings
from audit.errors import AuditError
from audit.review_policy import CallResult
from audit.storage.schema import AuditRow, CallItemRow, FindingRow, ReviewRow


@lru_cache(maxsize=32)
def _scorecard(folder: str, name: str):
    from audit.scorecard import load_scorecard

    try:
        return load_scorecard(name) if name else None
    except AuditError:  # renamed or removed since the call was scored: the machine score stands
        return None


def scorecard_named(name: str):
    """The scorecard a call was scored with, as it is on disk now (None when it is gone)."""
    return _scorecard(str(settings.scorecard_dir()), name)


def finding_dict(row: FindingRow) -> dict[str, Any]:
    """A stored finding as the review policy and the app read it."""
    return {"finding_id": row.id, "rule_id": row.rule_id, "category": row.category, "severity": row.severity,
            "turn": row.turn, "speaker": row.speaker, "char_start": row.char_start, "char_end": row.char_end,
            "quote": row.quote, "start_s": row.start_s, "end_s": row.end_s, "pinyin_match": row.pinyin_match,
            "needs_review": row.needs_review, "match_kind": row.match_kind, "model_score": row.score,
            "legal_basis": json.loads(row.legal_basis), "explanation": row.explanation,
            "review_status": row.review_status, "review_verdict": row.review_verdict,
            "review_severity": row.review_severity, "source": row.source}


def item_dict(row: CallItemRow) -> dict[str, Any]:
    return {"item_id": row.id, "kind": row.kind, "text": row.text, "review_status": row.review_status,
            "review_verdict": row.review_verdict, "rule_id": row.rule_id, "severity": row.severity,
            "item_key": row.item_key}


def result_columns(result: CallResult) -> dict[str, Any]:
    return {"reviewed_verdict": result.verdict, "reviewed_score": result.score, "reviewed_critical": result.critical,
            "reviewed_worst": result.worst, "open_items": result.open_items}


def first_result(audit_line: dict[str, Any], scorecard_name: str) -> tuple[list[dict[str, Any]], CallResult]:
    """A new audit's call-level items and its result before any review."""
    items = [{"kind": item.kind, "text": item.text, "review_status": "unreviewed", "review_verdict": None}
             for item in review_policy.call_items(audit_line)]
    return items, review_policy.call_result(audit_line, list(audit_line.get("findings") or ()), items,
                                            scorecard_named(scorecard_name))


def refresh(session: Session, audit_pks: Iterable[int]) -> dict[int, CallResult]:
    """Recompute the review state of every finding and item of these audits from the trail, and the audits' results;
    the caller commits."""
    results = {}
    for audit in session.scalars(select(AuditRow).where(AuditRow.id.in_(list(audit_pks)))):
        findings = session.scalars(select(FindingRow).where(FindingRow.audit_pk == audit.id)
                                   .order_by(FindingRow.id)).all()
        items = session.scalars(select(CallItemRow).where(CallItemRow.audit_pk == audit.id)
                                .order_by(CallItemRow.id)).all()
        trail: dict[tuple[str, int], list[tuple[str, str | None]]] = {}
        for finding_pk, item_pk, verdict, new_severity in session.execute(
                select(ReviewRow.finding_pk, ReviewRow.item_pk, ReviewRow.verdict, ReviewRow.new_severity)
                .where(or_(ReviewRow.finding_pk.in_([f.id for f in findings]),
                           ReviewRow.item_pk.in_([i.id for i in items]))).order_by(ReviewRow.id)):
            key = ("finding", finding_pk) if finding_pk is not None else ("item", item_pk)
            trail.setdefault(key, []).append((verdict, new_severity))
        for kind, rows in (("finding", findings), ("item", items)):
            for row in rows:
                state = review_policy.review_state(trail.get((kind, row.id), ()))
                row.review_status, row.review_verdict = state.status, state.verdict
                if kind == "finding":
                    row.review_severity = state.severity
        result = review_policy.call_result(json.loads(audit.body), [finding_dict(f) for f in findings],
                                           [item_dict(i) for i in items], scorecard_named(audit.scorecard))
        for column, value in result_columns(result).items():
            setattr(audit, column, value)
        results[audit.id] = result
    return results
