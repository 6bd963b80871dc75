"""The reads: the rows ``audit.aggregate`` and the regulator's export take, and what the review app's pages show.

Each is a bounded query: the queue is filtered, sorted and paged in SQL and the overview is counted in SQL, so a
database of 50,000 calls never travels to the app whole. Rows come back as plain dicts so that nothing outside this
package touches an ORM object. Every read of several calls reads the latest audit of each (``latest_audit_calls``).
"""

from __future__ import annotations

import json
from typing import Any, Callable

from sqlalchemy import Integer, and_, case, cast, exists, func, or_, select
from sqlalchemy.orm import Session

from audit import review_policy
from audit.storage.results import finding_dict, item_dict, scorecard_named
from audit.storage.schema import (AuditRow, CallItemRow, CallRow, ContactViolationRow, DisclosureRow, FindingRow,
                                  ReviewRow, SampleRow, SampleVerdictRow, SignalRow, TranscriptRow)
from audit.storage.trail import review_dict


def latest_audits():
    """(call_pk, audit_pk) of every call's latest audit: a re-audit with a new rule pack or scorecard supersedes."""
    return select(AuditRow.call_pk, func.max(AuditRow.id).label("audit_pk")).group_by(AuditRow.call_pk).subquery()


def call_filters(query, *, since=None, until=None, teams=(), agent_ids=(), call_ids=()):
    """``query`` (which reads ``calls``) narrowed to the calls started between two days (inclusive, YYYY-MM-DD; a
    longer timestamp counts by its day; an undated call by the day it was stored) of these teams and agents (and
    these call ids: a batch); an empty filter keeps everything."""
    if since:
        query = query.where(func.substr(CallRow.started_at, 1, 10) >= str(since)[:10])
    if until:
        query = query.where(func.substr(CallRow.started_at, 1, 10) <= str(until)[:10])
    if teams:
        query = query.where(CallRow.team.in_(list(teams)))
    if agent_ids:
        query = query.where(CallRow.agent_id.in_(list(agent_ids)))
    if call_ids:
        query = query.where(CallRow.call_id.in_(list(call_ids)))
    return query


def latest_audit_calls(*columns, **filters):
    """A select of ``columns`` from each call joined with its latest audit, narrowed by ``call_filters``."""
    latest = latest_audits()
    return call_filters(select(*columns).select_from(CallRow).join(latest, latest.c.call_pk == CallRow.id)
                        .join(AuditRow, AuditRow.id == latest.c.audit_pk), **filters)


def latest_audit_of(call_id: str):
    """(CallRow, AuditRow) of one call's latest audit; for one call an index lookup, not ``latest_audits``' scan."""
    return (select(CallRow, AuditRow).join(AuditRow, AuditRow.call_pk == CallRow.id)
            .where(CallRow.call_id == call_id).order_by(AuditRow.id.desc()).limit(1))


def _findings_of(audit_pks):
    return select(FindingRow.id).where(FindingRow.audit_pk.in_(audit_pks))


class Queries:
    """The reads' part of ``Store``; each method reads in one session of ``session``."""

    session: Callable[[], Session]

    def findings(self, call_id: str) -> list[FindingRow]:
        """The findings of a call's latest audit."""
        with self.session() as session:
            found = session.execute(latest_audit_of(call_id)).first()
            if found is None:
                return []
            return list(session.scalars(select(FindingRow).where(FindingRow.audit_pk == found.AuditRow.id)
                                        .order_by(FindingRow.id)))

    def counts(self) -> dict[str, int]:
        with self.session() as session:
            return {table.__tablename__: session.query(table).count()
                    for table in (CallRow, TranscriptRow, AuditRow, FindingRow, DisclosureRow, SignalRow, ReviewRow)}

    def aggregate_rows(self, *, since: str | None = None, until: str | None = None, teams=(), agent_ids=(),
                       with_disclosures: bool = True) -> dict[str, list[dict[str, Any]]]:
        """The latest audit of every call in the filters (see ``call_filters``), as the rows ``audit.aggregate``
        takes: calls (machine and after-review figures), findings (with their review state, see
        ``audit.review_policy``), disclosures, signals. The database applies the filters, so the agents page loads one
        period, not every call ever audited. ``with_disclosures`` False leaves disclosures and signals out (empty):
        enough for critical calls and scores."""
        filters = dict(since=since, until=until, teams=teams, agent_ids=agent_ids)
        audit_pks = latest_audit_calls(AuditRow.id, **filters)
        with self.session() as session:
            calls = session.execute(latest_audit_calls(  # columns, not whole rows: an audit row carries its JSON body
                AuditRow.id, CallRow.call_id, CallRow.agent_id, CallRow.agent_name, CallRow.team, CallRow.started_at,
                AuditRow.score, AuditRow.verdict, AuditRow.call_time_violation, AuditRow.reviewed_verdict,
                AuditRow.reviewed_score, AuditRow.reviewed_critical, **filters)).mappings().all()
            call_of = {call["id"]: call["call_id"] for call in calls}
            findings = session.execute(select(FindingRow.id, FindingRow.audit_pk, FindingRow.category,
                                              FindingRow.severity, FindingRow.speaker, FindingRow.review_status,
                                              FindingRow.review_verdict, FindingRow.review_severity,
                                              FindingRow.source)
                                       .where(FindingRow.audit_pk.in_(audit_pks))).all()
            disclosures = session.execute(select(DisclosureRow.audit_pk, DisclosureRow.disclosure, DisclosureRow.status)
                                          .where(DisclosureRow.audit_pk.in_(audit_pks))).all() if with_disclosures else []
            signals = session.execute(select(SignalRow.audit_pk, SignalRow.signal)
                                      .where(SignalRow.audit_pk.in_(audit_pks))).all() if with_disclosures else []
        return {
            "calls": [{key: call[key] for key in ("call_id", "agent_id", "agent_name", "team", "started_at", "score",
                                                  "verdict", "call_time_violation", "reviewed_verdict",
                                                  "reviewed_score", "reviewed_critical")} for call in calls],
            "findings": [{"call_id": call_of[f.audit_pk], "finding_id": f.id, "category": f.category,
                          "severity": f.severity, "speaker": f.speaker, "review_status": f.review_status,
                          "review_verdict": f.review_verdict, "review_severity": f.review_severity,
                          "source": f.source}
                         for f in findings],
            "disclosures": [{"call_id": call_of[a], "disclosure": d, "status": s} for a, d, s in disclosures],
            "signals": [{"call_id": call_of[a], "signal": s} for a, s in signals],
        }

    def scorecard_totals(self, *, since: str | None = None, until: str | None = None, teams=(),
                         agent_ids=()) -> dict[str, list[dict[str, Any]]]:
        """What ``audit.aggregate.agent_scorecards_from_totals`` takes, counted by the database: the calls in the
        filters (one row each, as ``aggregate_rows``' calls, with ``complaint``, ``vulnerable`` and
        ``machine_critical``: a critical machine finding on an agent turn), and the findings and disclosures summed
        per agent, team and category or disclosure -- a few hundred rows where ``aggregate_rows`` reads every finding
        and eight disclosures per call. Which findings count is ``audit.review_policy.counts_against_agent`` (after
        reviews) or the machine's view (agent turns, none a reviewer added), restated here in SQL; tests hold the two
        paths to the same figures."""
        filters = dict(since=since, until=until, teams=teams, agent_ids=agent_ids)
        scope = latest_audit_calls(AuditRow.id.label("audit_pk"), CallRow.agent_id, CallRow.team,
                                   **filters).subquery()

        def signal(name):
            return exists().where(SignalRow.audit_pk == AuditRow.id, SignalRow.signal == name)

        machine = and_(FindingRow.speaker == "agent",
                       FindingRow.source.is_distinct_from(review_policy.REVIEWER_SOURCE))
        reviewed = or_(and_(FindingRow.speaker == "agent", FindingRow.review_verdict.is_distinct_from("dismissed")),
                       and_(FindingRow.speaker == "unknown",
                            FindingRow.review_verdict.in_(list(review_policy.CONFIRMING))))
        machine_critical = exists().where(FindingRow.audit_pk == AuditRow.id, machine,
                                          FindingRow.severity == "critical")

        def total(condition):
            return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)

        judged = DisclosureRow.status.in_(["present", "missing"])
        with self.session() as session:
            calls = session.execute(latest_audit_calls(
                CallRow.call_id, CallRow.agent_id, CallRow.agent_name, CallRow.team, CallRow.started_at,
                AuditRow.score, AuditRow.verdict, AuditRow.call_time_violation, AuditRow.reviewed_verdict,
                AuditRow.reviewed_score, AuditRow.reviewed_critical, signal("complaint_intent").label("complaint"),
                signal("vulnerability").label("vulnerable"), machine_critical.label("machine_critical"),
                **filters)).mappings().all()
            findings = session.execute(
                select(scope.c.agent_id, scope.c.team, FindingRow.category, total(reviewed), total(machine))
                .join(scope, scope.c.audit_pk == FindingRow.audit_pk)
                .group_by(scope.c.agent_id, scope.c.team, FindingRow.category)).all()
            disclosures = session.execute(
                select(scope.c.agent_id, scope.c.team, DisclosureRow.disclosure,
                       total(DisclosureRow.status == "present"), total(judged))
                .join(scope, scope.c.audit_pk == DisclosureRow.audit_pk)
                .group_by(scope.c.agent_id, scope.c.team, DisclosureRow.disclosure)).all()
        flags = ("complaint", "vulnerable", "machine_critical")
        return {
            "calls": [{key: bool(value) if key in flags else value for key, value in call.items()} for call in calls],
            "findings": [{"agent_id": a, "team": team, "category": c, "reviewed": int(n), "raw": int(raw)}
                         for a, team, c, n, raw in findings],
            "disclosures": [{"agent_id": a, "team": team, "disclosure": d, "present": int(p), "judged": int(j)}
                            for a, team, d, p, j in disclosures],
        }

    def export_rows(self, since: str | None = None, until: str | None = None) -> dict[str, list[dict[str, Any]]]:
        """Everything the regulator's package holds for calls started between two dates (inclusive, YYYY-MM-DD):
        the latest audit of each call with its findings, disclosures and the reviews of those findings. The
        findings' ``source`` is ``machine``, ``reviewer`` (added by a person) or ``dial_log`` (a contact-frequency
        violation, also a call-level item: ``item_id``, no turn or quote); a call's ``contact_violations`` counts
        those not dismissed."""
        audit_pks = latest_audit_calls(AuditRow.id, since=since, until=until)
        with self.session() as session:
            audits = session.execute(latest_audit_calls(CallRow, AuditRow, since=since, until=until)
                                     .order_by(CallRow.started_at, CallRow.call_id)).all()
            call_of = {audit.id: call.call_id for call, audit in audits}
            findings = session.scalars(select(FindingRow).where(FindingRow.audit_pk.in_(audit_pks))
                                       .order_by(FindingRow.id)).all()
            items = session.scalars(select(CallItemRow).where(CallItemRow.audit_pk.in_(audit_pks))
                                    .order_by(CallItemRow.id)).all()
            reviews = session.scalars(select(ReviewRow).where(or_(
                ReviewRow.finding_pk.in_(_findings_of(audit_pks)),
                ReviewRow.item_pk.in_(select(CallItemRow.id).where(CallItemRow.audit_pk.in_(audit_pks)))))
                                      .order_by(ReviewRow.id)).all()
            disclosures = session.scalars(select(DisclosureRow).where(DisclosureRow.audit_pk.in_(audit_pks))
                                          .order_by(DisclosureRow.id)).all()
            basis = dict(session.execute(select(ContactViolationRow.rule_id, func.max(ContactViolationRow.basis))
                                         .group_by(ContactViolationRow.rule_id)).all())
        contact = [i for i in items if i.kind == review_policy.CONTACT_FREQUENCY]
        standing: dict[int, int] = {}
        for item in contact:
            if item.review_verdict != "dismissed":
                standing[item.audit_pk] = standing.get(item.audit_pk, 0) + 1
        return {
            "calls": [{"call_id": c.call_id, "agent_id": c.agent_id, "agent_name": c.agent_name, "team": c.team,
                       "started_at": c.started_at, "undated": c.undated, "debtor_tz": c.debtor_tz,
                       "duration_s": c.duration_s, "audio_path": c.audio_path, "audio_sha256": c.audio_sha256,
                       "channel_layout": c.channel_layout, "machine_verdict": a.verdict, "machine_score": a.score,
                       "reviewed_verdict": a.reviewed_verdict, "reviewed_score": a.reviewed_score,
                       "open_items": a.open_items, "contact_violations": standing.get(a.id, 0),
                       "critical": a.critical,
                       "call_time_violation": a.call_time_violation, "profile": a.profile,
                       "rule_pack_version": a.rule_pack_version, "scorecard": a.scorecard,
                       "scorecard_version": a.scorecard_version, "reader_version": a.reader_version,
                       "model_id": a.model_id, "code_version": a.code_version, "audited_at": a.created_at}
                      for c, a in audits],
            "findings": [{"finding_id": f.id, "item_id": None, "call_id": call_of[f.audit_pk], "source": f.source,
                          "rule_id": f.rule_id,
                          "category": f.category, "severity": f.severity, "review_status": f.review_status,
                          "reviewed_severity": review_policy.effective_severity(finding_dict(f)),
                          "counts_against_agent": review_policy.counts_against_agent(finding_dict(f)),
                          "turn": f.turn, "speaker": f.speaker,
                          "quote": f.quote, "start_s": f.start_s, "end_s": f.end_s, "pinyin_match": f.pinyin_match,
                          "match_kind": f.match_kind, "model_score": f.score, "needs_review": f.needs_review,
                          "legal_basis": "；".join(json.loads(f.legal_basis)), "explanation": f.explanation}
                         for f in findings] + [
                {"finding_id": None, "item_id": i.id, "call_id": call_of[i.audit_pk], "source": "dial_log",
                 "rule_id": i.rule_id, "category": review_policy.CONTACT_FREQUENCY, "severity": i.severity,
                 "review_status": i.review_status, "reviewed_severity": i.severity,
                 "counts_against_agent": i.review_verdict != "dismissed", "turn": None, "speaker": None, "quote": None,
                 "start_s": None, "end_s": None, "pinyin_match": None, "match_kind": None, "model_score": None,
                 "needs_review": None, "legal_basis": "；".join(json.loads(basis.get(i.rule_id) or "[]")),
                 "explanation": i.text} for i in contact],
            "disclosures": [{"call_id": call_of[d.audit_pk], "disclosure": d.disclosure, "status": d.status,
                             "rule_id": d.rule_id, "turn": d.turn, "quote": d.quote, "start_s": d.start_s,
                             "explanation": d.explanation} for d in disclosures],
            "call_items": [{"item_id": i.id, "call_id": call_of[i.audit_pk], "kind": i.kind, "rule_id": i.rule_id,
                            "severity": i.severity, "text": i.text, "review_status": i.review_status} for i in items],
            "reviews": [review_dict(r) for r in reviews],
        }

    # -- the review app ------------------------------------------------------------------------------------------------

    @staticmethod
    def _queue_query(*, categories=(), severities=(), agent_ids=(), teams=(), since=None, until=None, verdicts=(),
                     review_status="all", call_ids=(), sampled_only=False):
        """Flagged calls (latest audit has a finding or a call-level item, or does not pass before or after review)
        and 抽检 calls (a sampling draw sent them to people), with their item figures. Verdict, score, severity and
        order are those after review (audit.review_policy); ``unreviewed`` is every call not yet closed (an item
        without a verdict, an appeal pending, or a sampled call without its whole-call verdict)."""
        per_audit = (select(FindingRow.audit_pk.label("audit_pk"), func.count(FindingRow.id).label("findings"))
                     .group_by(FindingRow.audit_pk).subquery())
        per_items = (select(CallItemRow.audit_pk.label("audit_pk"), func.count(CallItemRow.id).label("call_items"))
                     .group_by(CallItemRow.audit_pk).subquery())
        findings = func.coalesce(per_audit.c.findings, 0)
        items = findings + func.coalesce(per_items.c.call_items, 0)
        worst = func.coalesce(AuditRow.reviewed_worst, review_policy.NO_FINDING)
        sampled = select(SampleRow.id).where(SampleRow.call_pk == CallRow.id).exists()
        judged = select(SampleVerdictRow.id).where(SampleVerdictRow.call_pk == CallRow.id).exists()
        query = (latest_audit_calls(
            CallRow.call_id, CallRow.agent_id, CallRow.agent_name, CallRow.team, CallRow.started_at, CallRow.undated,
            CallRow.duration_s, AuditRow.id.label("audit_pk"), AuditRow.reviewed_score.label("score"),
            AuditRow.reviewed_verdict.label("verdict"), AuditRow.score.label("machine_score"),
            AuditRow.verdict.label("machine_verdict"), AuditRow.reviewed_critical.label("critical"),
            AuditRow.call_time_violation, findings.label("findings"), items.label("items"),
            (items - AuditRow.open_items).label("reviewed"), AuditRow.open_items, worst.label("worst"),
            sampled.label("sampled"), since=since, until=until, teams=teams, agent_ids=agent_ids, call_ids=call_ids)
                 .outerjoin(per_audit, per_audit.c.audit_pk == AuditRow.id)
                 .outerjoin(per_items, per_items.c.audit_pk == AuditRow.id)
                 .where(or_(items > 0, AuditRow.verdict != "pass", AuditRow.reviewed_verdict != "pass", sampled)))
        if sampled_only:
            query = query.where(sampled)
        if verdicts:
            query = query.where(AuditRow.reviewed_verdict.in_(list(verdicts)))
        if categories or severities:
            match = [FindingRow.audit_pk == AuditRow.id, FindingRow.review_verdict.is_distinct_from("dismissed")]
            if categories:
                match.append(FindingRow.category.in_(list(categories)))
            if severities:
                match.append(func.coalesce(FindingRow.review_severity, FindingRow.severity).in_(list(severities)))
            query = query.where(exists().where(and_(*match)))
        if review_status == "unreviewed":
            query = query.where(or_(AuditRow.open_items > 0, and_(sampled, ~judged)))
        elif review_status == "reviewed":
            query = query.where(AuditRow.open_items == 0, or_(~sampled, judged))
        elif review_status == "nothing_to_review":
            query = query.where(findings == 0, ~sampled)
        return query, worst

    def queue_page(self, *, limit: int = 50, offset: int = 0, **filters: Any) -> tuple[list[dict[str, Any]], int]:
        """One page of the review queue, worst first (severity, then score, then call id; all after review), and the
        number of calls that match. A row's ``categories`` are those of its findings not dismissed, and
        ``contact_frequency`` for a contact-frequency item not dismissed. ``filters``: categories, severities,
        agent_ids, teams, since, until, verdicts, call_ids, review_status (all / unreviewed / reviewed /
        nothing_to_review), sampled_only (抽检 calls only)."""
        query, worst = self._queue_query(**filters)
        with self.session() as session:
            total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
            rows = session.execute(query.order_by(worst, AuditRow.reviewed_score, CallRow.call_id)
                                   .limit(max(1, int(limit))).offset(max(0, int(offset)))).mappings().all()
            rows = [dict(row) | {"sampled": bool(row["sampled"])} for row in rows]
            categories: dict[int, set[str]] = {}
            for audit_pk, category in session.execute(select(FindingRow.audit_pk, FindingRow.category).where(
                    FindingRow.audit_pk.in_([row["audit_pk"] for row in rows]),
                    FindingRow.review_verdict.is_distinct_from("dismissed"))):
                categories.setdefault(audit_pk, set()).add(category)
            for audit_pk, kind in session.execute(select(CallItemRow.audit_pk, CallItemRow.kind).where(
                    CallItemRow.audit_pk.in_([row["audit_pk"] for row in rows]),
                    CallItemRow.kind == review_policy.CONTACT_FREQUENCY,
                    CallItemRow.review_verdict.is_distinct_from("dismissed"))):
                categories.setdefault(audit_pk, set()).add(kind)  # shown beside the findings' categories
        for row in rows:
            row["categories"] = sorted(categories.get(row["audit_pk"], ()))
        return rows, int(total)

    def filter_options(self) -> dict[str, Any]:
        """What the filters offer: agents (id, name, team), teams and the span of call dates."""
        with self.session() as session:
            agents = session.execute(select(CallRow.agent_id, func.max(CallRow.agent_name), func.max(CallRow.team))
                                     .where(CallRow.agent_id.is_not(None)).group_by(CallRow.agent_id)
                                     .order_by(CallRow.agent_id)).all()
            teams = session.scalars(select(CallRow.team).where(CallRow.team.is_not(None)).distinct()
                                    .order_by(CallRow.team)).all()
            first, last = session.execute(select(func.min(func.substr(CallRow.started_at, 1, 10)),
                                                 func.max(func.substr(CallRow.started_at, 1, 10)))).one()
            categories = session.scalars(select(FindingRow.category).distinct().order_by(FindingRow.category)).all()
        return {"agents": [{"agent_id": a, "agent_name": n, "team": t} for a, n, t in agents], "teams": list(teams),
                "first_day": first, "last_day": last, "categories": list(categories)}

    def overview(self, *, since: str | None = None, until: str | None = None, teams=(), agent_ids=(),
                 worst_agents: int = 10) -> dict[str, Any]:
        """The overview's figures for the latest audit of each call in the filters, counted by the database:
        calls, verdicts, critical calls and findings, the unreviewed queue size, findings by category and by day,
        and the agents with the most critical calls (then the lowest mean score). All after review: verdicts and
        scores as audit.review_policy decides them, dismissed findings left out, severities as a reviewer set them."""
        scope = latest_audit_calls(AuditRow.id.label("audit_pk"), CallRow.agent_id, CallRow.agent_name, CallRow.team,
                                   CallRow.started_at, AuditRow.reviewed_score.label("score"),
                                   AuditRow.reviewed_verdict.label("verdict"),
                                   AuditRow.reviewed_critical.label("critical"),
                                   since=since, until=until, teams=teams, agent_ids=agent_ids).subquery()
        critical = cast(scope.c.critical, Integer)

        def calls_where(condition):
            return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)

        with self.session() as session:
            # one pass over the calls, per agent (worst first); the headline figures are the sums of its rows
            agents = session.execute(
                select(scope.c.agent_id, func.max(scope.c.agent_name), func.max(scope.c.team), func.count(),
                       func.avg(scope.c.score), func.coalesce(func.sum(critical), 0),
                       calls_where(scope.c.verdict == "fail"), calls_where(scope.c.verdict == "review"))
                .group_by(scope.c.agent_id)
                .order_by((func.sum(critical) * 1.0 / func.count()).desc(), func.avg(scope.c.score), scope.c.agent_id)
            ).all()
            day = func.substr(scope.c.started_at, 1, 10)
            # one pass over the findings, by day, category and severity; the two charts are sums of it
            severity = func.coalesce(FindingRow.review_severity, FindingRow.severity)
            counted = session.execute(select(day, FindingRow.category, severity, func.count())
                                      .join(scope, scope.c.audit_pk == FindingRow.audit_pk)
                                      .where(FindingRow.review_verdict.is_distinct_from("dismissed"))
                                      .group_by(day, FindingRow.category, severity)).all()
            query, _ = self._queue_query(since=since, until=until, teams=teams, agent_ids=agent_ids,
                                         review_status="unreviewed")
            unreviewed = session.scalar(select(func.count()).select_from(query.subquery())) or 0
        calls, failed, review, critical_calls = (sum(int(row[i] or 0) for row in agents) for i in (3, 6, 7, 5))
        agents = [row for row in agents if row[0] is not None][:worst_agents]
        by_category: dict[tuple[str, str], int] = {}
        by_day: dict[tuple[str, str], int] = {}
        for day_, category, severity, n in counted:
            by_category[(category, severity)] = by_category.get((category, severity), 0) + n
            if day_:
                by_day[(day_, category)] = by_day.get((day_, category), 0) + n
        return {
            "calls": int(calls), "fail": int(failed), "review": int(review), "critical_calls": int(critical_calls),
            "critical_findings": sum(n for (_, severity), n in by_category.items() if severity == "critical"),
            "findings": sum(by_category.values()), "unreviewed": unreviewed,
            "findings_by_category": [{"category": c, "severity": s, "findings": n}
                                     for (c, s), n in sorted(by_category.items())],
            "findings_by_day": [{"day": d, "category": c, "findings": n} for (d, c), n in sorted(by_day.items())],
            "worst_agents": [{"agent_id": a, "agent_name": name, "team": team, "calls": n,
                              "mean_score": float(mean) if mean is not None else None, "critical_calls": int(crit or 0),
                              "fail_calls": int(fail or 0)} for a, name, team, n, mean, crit, fail, _ in agents],
        }

    def call_detail(self, call_id: str) -> dict[str, Any] | None:
        """One call as the detail page shows it: the call, its latest audit (the ``audit scan`` line) with its result
        after review (``result``: verdict, score, the score breakdown), its transcript, and the audit's findings and
        call-level items, each with its review state and every review of it in trail order."""
        with self.session() as session:
            found = session.execute(latest_audit_of(call_id)).first()
            if found is None:
                return None
            call, audit = found
            transcript = session.get(TranscriptRow, audit.transcript_pk) if audit.transcript_pk else None
            findings = session.scalars(select(FindingRow).where(FindingRow.audit_pk == audit.id)
                                       .order_by(FindingRow.turn, FindingRow.char_start, FindingRow.id)).all()
            items = session.scalars(select(CallItemRow).where(CallItemRow.audit_pk == audit.id)
                                    .order_by(CallItemRow.id)).all()
            reviews: dict[tuple[str, int], list[dict[str, Any]]] = {}
            for review in session.scalars(select(ReviewRow).where(or_(
                    ReviewRow.finding_pk.in_([f.id for f in findings]), ReviewRow.item_pk.in_([i.id for i in items])))
                                          .order_by(ReviewRow.id)):
                key = ("finding", review.finding_pk) if review.finding_pk is not None else ("item", review.item_pk)
                reviews.setdefault(key, []).append(review_dict(review))
            audits = session.scalar(select(func.count()).select_from(AuditRow).where(AuditRow.call_pk == call.id))
        body = json.loads(audit.body) if audit.body else {}
        finding_rows = [finding_dict(f) | {"reviews": reviews.get(("finding", f.id), [])} for f in findings]
        item_rows = [item_dict(i) | {"reviews": reviews.get(("item", i.id), [])} for i in items]
        result = review_policy.call_result(body, finding_rows, item_rows, scorecard_named(audit.scorecard))
        return {
            "call": {"call_id": call.call_id, "audio_path": call.audio_path, "audio_sha256": call.audio_sha256,
                     "duration_s": call.duration_s, "agent_id": call.agent_id, "agent_name": call.agent_name,
                     "team": call.team, "started_at": call.started_at, "undated": call.undated,
                     "debtor_tz": call.debtor_tz, "channel_layout": call.channel_layout},
            "audit": {"audit_id": audit.id, "score": audit.score, "verdict": audit.verdict, "critical": audit.critical,
                      "call_time_violation": audit.call_time_violation, "profile": audit.profile,
                      "rule_pack_version": audit.rule_pack_version, "scorecard": audit.scorecard,
                      "scorecard_version": audit.scorecard_version, "reader_version": audit.reader_version,
                      "model_id": audit.model_id, "created_at": audit.created_at,
                      "audits_of_call": int(audits or 0), "reviewed_verdict": audit.reviewed_verdict,
                      "reviewed_score": audit.reviewed_score, "open_items": audit.open_items,
                      "body": body},
            "result": result,
            "transcript": json.loads(transcript.body) if transcript else None,
            "findings": finding_rows,
            "items": item_rows,
        }

    def call_reviews(self, call_id: str) -> list[dict[str, Any]]:
        """Every review of any finding or call-level item of any audit of the call, in trail order, with what it
        judges (a finding's category, rule and quote; an item's kind and text)."""
        with self.session() as session:
            audit_pks = select(AuditRow.id).join(CallRow, CallRow.id == AuditRow.call_pk).where(
                CallRow.call_id == call_id)
            rows = session.execute(
                select(ReviewRow, FindingRow.category, FindingRow.rule_id, FindingRow.quote, CallItemRow.kind,
                       CallItemRow.text)
                .outerjoin(FindingRow, FindingRow.id == ReviewRow.finding_pk)
                .outerjoin(CallItemRow, CallItemRow.id == ReviewRow.item_pk)
                .where(or_(FindingRow.audit_pk.in_(audit_pks), CallItemRow.audit_pk.in_(audit_pks)))
                .order_by(ReviewRow.id)).all()
        return [review_dict(review) | {"category": category, "rule_id": rule_id, "quote": quote, "kind": kind,
                                       "text": text}
                for review, category, rule_id, quote, kind, text in rows]

    def agent_findings(self, agent_id: str, *, since: str | None = None, until: str | None = None,
                       limit: int = 5000) -> list[dict[str, Any]]:
        """The findings on an agent's calls (latest audit of each), newest call first, with their review state: what a
        coaching sheet is made of."""
        query = (latest_audit_calls(FindingRow, CallRow.call_id, CallRow.started_at, since=since, until=until,
                                    agent_ids=(agent_id,))
                 .join(FindingRow, FindingRow.audit_pk == AuditRow.id))
        with self.session() as session:
            found = session.execute(query.order_by(CallRow.started_at.desc(), FindingRow.turn, FindingRow.id)
                                    .limit(limit)).all()
        return [finding_dict(f) | {"call_id": call_id, "started_at": started_at} for f, call_id, started_at in found]
