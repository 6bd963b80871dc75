"""The QA loop's part of ``Store``: 抽检 draws, their runs and the sampled calls' verdicts, the reviews counted per
rule, the QA settings (dial logs: ``audit.storage.dials``). Plain dicts in and out; what they mean is ``audit.qa``."""

from __future__ import annotations

import json
from typing import Any, Callable, Iterable

from sqlalchemy import func, insert, or_, select
from sqlalchemy.orm import Session

from audit.storage.queries import call_filters, latest_audit_calls
from audit.storage.schema import (AuditRow, CallRow, FindingRow, QaSettingRow, SampleDrawRow, SampleRow, SampleRunRow,
                                  SampleVerdictRow, StorageError, TranscriptRow, utc_timestamp)
from audit.storage.trail import _chain_hash, _last_hash

SAMPLE_VERDICTS = ("pass", "fail")  # 合格 / 不合格


def sample_verdict_hash(row: SampleVerdictRow) -> str:
    return _chain_hash([row.prev_hash, row.call_pk, row.reviewer, row.created_at, row.verdict, row.missed, row.note])


def _chunks(values: list, size: int = 500):
    for offset in range(0, len(values), size):  # bound IN lists (SQLite's variable limit)
        yield values[offset:offset + size]


class QaStore:
    session: Callable[[], Session]

    # -- 抽检 ----------------------------------------------------------------------------------------------------------

    def sampling_pool(self, since: str, until: str) -> list[dict[str, Any]]:
        """Every call started in the period (latest audit): call_pk, call_id, agent_id, started_at, and whether the
        machine flagged it (a finding, or a verdict other than pass: the calls the queue already holds)."""
        has_finding = select(FindingRow.id).where(FindingRow.audit_pk == AuditRow.id).exists()
        flagged = or_(has_finding, AuditRow.verdict != "pass").label("flagged")
        with self.session() as session:
            rows = session.execute(latest_audit_calls(CallRow.id.label("call_pk"), CallRow.call_id, CallRow.agent_id,
                                                      CallRow.started_at, flagged, since=since, until=until)
                                   .order_by(CallRow.call_id)).mappings().all()
        return [dict(row) | {"flagged": bool(row["flagged"])} for row in rows]

    def unflagged_calls(self, since: str | None = None, until: str | None = None) -> int:
        """How many calls of the period the machine passed without a finding: the population 抽检 samples."""
        has_finding = select(FindingRow.id).where(FindingRow.audit_pk == AuditRow.id).exists()
        with self.session() as session:
            return int(session.scalar(select(func.count()).select_from(latest_audit_calls(
                CallRow.id, since=since, until=until).where(AuditRow.verdict == "pass", ~has_finding).subquery()))
                or 0)

    def agent_first_days(self) -> dict[str, str]:
        """The day of each agent's first call in the database: when a new agent started."""
        with self.session() as session:
            return {agent: day for agent, day in session.execute(
                select(CallRow.agent_id, func.min(func.substr(CallRow.started_at, 1, 10)))
                .where(CallRow.agent_id.is_not(None), CallRow.started_at.is_not(None)).group_by(CallRow.agent_id))}

    def draw_calls(self, plan: str, plan_version: str, since: str, until: str) -> tuple[int, set[str]] | None:
        """The latest draw of this plan version over these days, and its call ids; None when there is none."""
        with self.session() as session:
            draw_pk = session.scalar(select(func.max(SampleDrawRow.id)).where(
                SampleDrawRow.plan == plan, SampleDrawRow.plan_version == plan_version,
                SampleDrawRow.since == since, SampleDrawRow.until == until))
            if draw_pk is None:
                return None
            return draw_pk, set(session.scalars(select(CallRow.call_id).join(SampleRow, SampleRow.call_pk == CallRow.id)
                                                .where(SampleRow.draw_pk == draw_pk)))

    def save_draw(self, *, plan: str, plan_version: str, seed: str, since: str, until: str, pool: int,
                  drawn_by: str, samples: Iterable[dict[str, Any]]) -> int:
        """Record a draw and its calls (dicts: call_pk, reason, stratum, flagged, weight); return the draw's id."""
        samples = list(samples)
        with self.session() as session, session.begin():
            row = SampleDrawRow(plan=plan, plan_version=plan_version, seed=seed, since=since, until=until, pool=pool,
                                calls=len(samples), drawn_by=drawn_by.strip() or "(unnamed)",
                                created_at=utc_timestamp())
            session.add(row)
            session.flush()
            if samples:
                session.connection().execute(insert(SampleRow.__table__), [s | {"draw_pk": row.id} for s in samples])
            return row.id

    def record_sample_run(self, *, plan: str, plan_version: str, since: str | None, until: str | None,
                          draw_id: int | None, new_draw: bool, calls: int, ran_by: str,
                          problem: str | None = None) -> int:
        """Log one run of a draw (the command, cron's or a person's, or the app's button), whatever it found."""
        with self.session() as session, session.begin():
            row = SampleRunRow(plan=plan, plan_version=plan_version, since=since, until=until, draw_pk=draw_id,
                               new_draw=new_draw, calls=calls, ran_by=ran_by.strip() or "(unnamed)",
                               ran_at=utc_timestamp(), problem=problem)
            session.add(row)
            session.flush()
            return row.id

    def sample_runs(self, plan: str | None = None, limit: int = 20) -> list[dict[str, Any]]:
        """The latest runs of the draw (of one plan, by name), newest first."""
        query = select(SampleRunRow).order_by(SampleRunRow.id.desc()).limit(limit)
        if plan is not None:
            query = query.where(SampleRunRow.plan == plan)
        with self.session() as session:
            rows = session.scalars(query).all()
        return [{"run_id": r.id, "plan": r.plan, "plan_version": r.plan_version, "since": r.since, "until": r.until,
                 "draw_id": r.draw_pk, "new_draw": r.new_draw, "calls": r.calls, "ran_by": r.ran_by,
                 "ran_at": r.ran_at, "problem": r.problem} for r in rows]

    def draws(self, limit: int = 20) -> list[dict[str, Any]]:
        with self.session() as session:
            rows = session.scalars(select(SampleDrawRow).order_by(SampleDrawRow.id.desc()).limit(limit)).all()
        return [{"draw_id": r.id, "plan": r.plan, "plan_version": r.plan_version, "seed": r.seed, "since": r.since,
                 "until": r.until, "pool": r.pool, "calls": r.calls, "drawn_by": r.drawn_by,
                 "created_at": r.created_at} for r in rows]

    def add_sample_verdict(self, call_id: str, reviewer: str, verdict: str, missed: Iterable[str] = (),
                           note: str = "") -> SampleVerdictRow:
        """Append a reviewer's verdict on a whole sampled call to its hash-chained trail."""
        missed = sorted(set(missed))
        if verdict not in SAMPLE_VERDICTS:
            raise StorageError(None, f"a sampled call's verdict is one of {', '.join(SAMPLE_VERDICTS)}, "
                                     f"not '{verdict}'")
        if verdict == "pass" and missed:
            raise StorageError(None, "a call judged 合格 (pass) has no missed items")
        if not reviewer.strip():
            raise StorageError(None, "a verdict needs the reviewer's name")
        with self.session() as session, session.begin():
            call_pk = session.scalar(select(CallRow.id).where(CallRow.call_id == call_id))
            if call_pk is None or session.scalar(select(SampleRow.id).where(SampleRow.call_pk == call_pk).limit(1)) \
                    is None:
                raise StorageError(None, f"call '{call_id}' is not a sampled (抽检) call")
            prev_hash = _last_hash(session, SampleVerdictRow)
            row = SampleVerdictRow(call_pk=call_pk, reviewer=reviewer.strip(), created_at=utc_timestamp(),
                                   verdict=verdict, missed=json.dumps(missed, ensure_ascii=False), note=note,
                                   prev_hash=prev_hash, row_hash="")
            row.row_hash = sample_verdict_hash(row)
            session.add(row)
        return row

    def sample_verdicts(self) -> list[SampleVerdictRow]:
        with self.session() as session:
            return list(session.scalars(select(SampleVerdictRow).order_by(SampleVerdictRow.id)))

    def sampled_calls(self, since: str | None = None, until: str | None = None) -> list[dict[str, Any]]:
        """Every sampled call of the period once (its latest draw's reason, stratum and weight), with the latest
        whole-call verdict (None until a reviewer gives one)."""
        latest_sample = select(func.max(SampleRow.id)).group_by(SampleRow.call_pk)
        query = call_filters(select(CallRow.call_id, CallRow.agent_id, CallRow.started_at, SampleRow.reason,
                                    SampleRow.stratum, SampleRow.flagged, SampleRow.weight, SampleRow.call_pk)
                             .join(SampleRow, SampleRow.call_pk == CallRow.id)
                             .where(SampleRow.id.in_(latest_sample)), since=since, until=until)
        with self.session() as session:
            rows = [dict(row) for row in session.execute(query.order_by(CallRow.call_id)).mappings()]
            verdicts = {}
            for call_pk, verdict, missed, reviewer in session.execute(
                    select(SampleVerdictRow.call_pk, SampleVerdictRow.verdict, SampleVerdictRow.missed,
                           SampleVerdictRow.reviewer).order_by(SampleVerdictRow.id)):
                verdicts[call_pk] = (verdict, json.loads(missed), reviewer)
        for row in rows:
            verdict, missed, reviewer = verdicts.get(row.pop("call_pk"), (None, [], None))
            row.update(verdict=verdict, missed=missed, reviewer=reviewer)
        return rows

    def sample_status(self, call_id: str) -> dict[str, Any] | None:
        """A call's 抽检 state: None when no draw sent it to people; else its latest draw (id, reason) and the
        latest whole-call verdict (None until given), with who gave it and what was missed."""
        with self.session() as session:
            found = session.execute(select(SampleRow.draw_pk, SampleRow.reason, SampleRow.call_pk)
                                    .join(CallRow, CallRow.id == SampleRow.call_pk).where(CallRow.call_id == call_id)
                                    .order_by(SampleRow.id.desc()).limit(1)).first()
            if found is None:
                return None
            verdict = session.scalars(select(SampleVerdictRow).where(SampleVerdictRow.call_pk == found.call_pk)
                                      .order_by(SampleVerdictRow.id.desc()).limit(1)).first()
        return {"draw_id": found.draw_pk, "reason": found.reason,
                "verdict": verdict.verdict if verdict else None,
                "missed": json.loads(verdict.missed) if verdict else [],
                "reviewer": verdict.reviewer if verdict else None, "note": verdict.note if verdict else ""}

    # -- accuracy ------------------------------------------------------------------------------------------------------

    def reviewed_findings(self, since: str | None = None, until: str | None = None) -> list[dict[str, Any]]:
        """Every finding (of any audit) of a call in the period whose reviews decided it: rule, category, whether the
        learned reader made it, its source (``reviewer`` when a person added it), and the effect that counts (upheld, dismissed, severity_changed; see
        ``audit.review_policy.review_state``, kept on the finding as each review is filed)."""
        query = call_filters(select(FindingRow.id, CallRow.call_id, FindingRow.rule_id, FindingRow.category,
                                    FindingRow.match_kind, FindingRow.review_verdict, FindingRow.source)
                             .join(AuditRow, AuditRow.id == FindingRow.audit_pk)
                             .join(CallRow, CallRow.id == AuditRow.call_pk)
                             .where(FindingRow.review_verdict.is_not(None)), since=since, until=until)
        with self.session() as session:
            found = session.execute(query).all()
        return [{"finding_id": pk, "call_id": call_id, "rule_id": rule_id, "category": category,
                 "model": match_kind == "model", "effect": effect, "source": source}
                for pk, call_id, rule_id, category, match_kind, effect, source in found]

    def judged_turns(self) -> list[dict[str, Any]]:
        """Every agent turn of a stored transcript with a finding a person decided (upheld, dismissed, severity
        changed, or added by a reviewer), once, with the text the auditor read and each decided finding's category,
        effect and quote: the learned reader's labelled data from the database (``audit train --from-db``). Calls
        stored without a transcript have no turn text and are left out."""
        query = (select(AuditRow.transcript_pk, CallRow.call_id, FindingRow.turn, FindingRow.category,
                        FindingRow.review_verdict, FindingRow.quote)
                 .join(AuditRow, AuditRow.id == FindingRow.audit_pk).join(CallRow, CallRow.id == AuditRow.call_pk)
                 .where(FindingRow.review_verdict.is_not(None), FindingRow.speaker == "agent",
                        AuditRow.transcript_pk.is_not(None)).order_by(FindingRow.id))
        turns: dict[tuple[int, int], dict[str, Any]] = {}
        with self.session() as session:
            for transcript_pk, call_id, turn, category, effect, quote in session.execute(query):
                entry = turns.setdefault((transcript_pk, turn), {"call_id": call_id, "turn": turn, "findings": []})
                entry["findings"].append((category, effect, quote))
            bodies = {}
            for chunk in _chunks(sorted({pk for pk, _ in turns})):
                bodies.update(session.execute(select(TranscriptRow.id, TranscriptRow.body)
                                              .where(TranscriptRow.id.in_(chunk))).all())
        judged = []
        for (transcript_pk, turn), entry in turns.items():
            segments = json.loads(bodies[transcript_pk]).get("segments") or []
            if 0 <= turn < len(segments) and segments[turn].get("speaker") == "agent":
                judged.append(entry | {"text": segments[turn].get("text", "")})
        return judged

    def qa_setting(self, key: str) -> dict[str, str] | None:
        with self.session() as session:
            row = session.get(QaSettingRow, key)
            return None if row is None else {"value": row.value, "set_by": row.set_by, "set_at": row.set_at}

    def set_qa_setting(self, key: str, value: str, set_by: str) -> None:
        with self.session() as session, session.begin():
            row = session.get(QaSettingRow, key)
            if row is None:
                session.add(QaSettingRow(key=key, value=value, set_by=set_by, set_at=utc_timestamp()))
            else:
                row.value, row.set_by, row.set_at = value, set_by, utc_timestamp()
