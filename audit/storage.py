"""The database: calls, transcripts, audits with their findings, disclosures and signals, and the review trail.

This is the only module that imports SQLAlchemy. An SQLite file is the embedded default; a shared deployment
points ``AUDIT_DB_URL`` at PostgreSQL. Ingesting the same call twice changes nothing; auditing it again with another
rule-pack or scorecard version adds an audit and keeps the old one. Reviews are append-only: each row stores the
hash of the previous row, so editing or deleting a past verdict breaks the chain and ``verify_trail`` says where.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterable, Iterator

from sqlalchemy import (Boolean, Float, ForeignKey, Integer, String, Text, UniqueConstraint, create_engine, event,
                        func, insert, select)
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker

from audit import __version__, settings
from audit.errors import AuditError
from audit.models import CallAudit, Transcript

REVIEW_VERDICTS = ("upheld", "dismissed", "severity_changed", "appeal", "appeal_upheld", "appeal_rejected")
GENESIS_HASH = "0" * 64


class StorageError(AuditError):
    """The database cannot be opened, or an operation would break its rules (e.g. one call id for two audios)."""


class Base(DeclarativeBase):
    pass


class CallRow(Base):
    __tablename__ = "calls"
    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[str] = mapped_column(String(200), unique=True, index=True)
    audio_path: Mapped[str] = mapped_column(Text, default="")
    audio_sha256: Mapped[str] = mapped_column(String(64), index=True)
    duration_s: Mapped[float | None] = mapped_column(Float)
    agent_id: Mapped[str | None] = mapped_column(String(100), index=True)
    agent_name: Mapped[str | None] = mapped_column(String(200))
    team: Mapped[str | None] = mapped_column(String(200), index=True)
    started_at: Mapped[str | None] = mapped_column(String(40), index=True)
    debtor_tz: Mapped[str | None] = mapped_column(String(64))
    channel_layout: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[str] = mapped_column(String(40))


class TranscriptRow(Base):
    __tablename__ = "transcripts"
    __table_args__ = (UniqueConstraint("call_pk", "model_id", "options_hash"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    call_pk: Mapped[int] = mapped_column(ForeignKey("calls.id"), index=True)
    model_id: Mapped[str] = mapped_column(String(200))
    options_hash: Mapped[str] = mapped_column(String(64))
    body: Mapped[str] = mapped_column(Text)  # the Transcript as JSON, exactly as written to <call_id>.json
    created_at: Mapped[str] = mapped_column(String(40))


class AuditRow(Base):
    __tablename__ = "audits"
    __table_args__ = (UniqueConstraint("call_pk", "transcript_pk", "rule_pack_version", "scorecard_version",
                                       "reader_version", name="uq_audits_version"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    call_pk: Mapped[int] = mapped_column(ForeignKey("calls.id"), index=True)
    transcript_pk: Mapped[int | None] = mapped_column(ForeignKey("transcripts.id"))
    profile: Mapped[str] = mapped_column(String(40))
    rule_pack_version: Mapped[str] = mapped_column(String(40))
    scorecard: Mapped[str] = mapped_column(String(100), default="")
    scorecard_version: Mapped[str] = mapped_column(String(40), default="")
    reader_version: Mapped[str] = mapped_column(String(60), default="", server_default="")
    model_id: Mapped[str] = mapped_column(String(200), default="")
    code_version: Mapped[str] = mapped_column(String(40))
    score: Mapped[float] = mapped_column(Float)
    verdict: Mapped[str] = mapped_column(String(16), index=True)
    critical: Mapped[bool] = mapped_column(Boolean)
    call_time_violation: Mapped[bool] = mapped_column(Boolean)
    body: Mapped[str] = mapped_column(Text)  # the whole CallAudit as JSON (the `audit scan` line)
    created_at: Mapped[str] = mapped_column(String(40))


class FindingRow(Base):
    __tablename__ = "findings"
    id: Mapped[int] = mapped_column(primary_key=True)
    audit_pk: Mapped[int] = mapped_column(ForeignKey("audits.id"), index=True)
    rule_id: Mapped[str] = mapped_column(String(40))
    category: Mapped[str] = mapped_column(String(40), index=True)
    severity: Mapped[str] = mapped_column(String(16))
    turn: Mapped[int] = mapped_column(Integer)
    speaker: Mapped[str] = mapped_column(String(16))
    char_start: Mapped[int] = mapped_column(Integer)
    char_end: Mapped[int] = mapped_column(Integer)
    quote: Mapped[str] = mapped_column(Text)
    start_s: Mapped[float | None] = mapped_column(Float)
    end_s: Mapped[float | None] = mapped_column(Float)
    pinyin_match: Mapped[bool] = mapped_column(Boolean)
    needs_review: Mapped[bool] = mapped_column(Boolean)
    legal_basis: Mapped[str] = mapped_column(Text)  # JSON list
    explanation: Mapped[str] = mapped_column(Text)
    match_kind: Mapped[str] = mapped_column(String(16), default="", server_default="")  # term, pattern, …, model
    score: Mapped[float | None] = mapped_column(Float)  # the learned reader's probability, for its findings


class DisclosureRow(Base):
    __tablename__ = "disclosures"
    id: Mapped[int] = mapped_column(primary_key=True)
    audit_pk: Mapped[int] = mapped_column(ForeignKey("audits.id"), index=True)
    disclosure: Mapped[str] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(16))
    rule_id: Mapped[str] = mapped_column(String(40))
    turn: Mapped[int | None] = mapped_column(Integer)
    quote: Mapped[str | None] = mapped_column(Text)
    start_s: Mapped[float | None] = mapped_column(Float)
    explanation: Mapped[str] = mapped_column(Text)


class SignalRow(Base):
    __tablename__ = "signals"
    id: Mapped[int] = mapped_column(primary_key=True)
    audit_pk: Mapped[int] = mapped_column(ForeignKey("audits.id"), index=True)
    signal: Mapped[str] = mapped_column(String(40))
    turn: Mapped[int] = mapped_column(Integer)
    quote: Mapped[str] = mapped_column(Text)
    start_s: Mapped[float | None] = mapped_column(Float)
    details: Mapped[str] = mapped_column(Text)  # JSON object


class ReviewRow(Base):
    __tablename__ = "reviews"
    id: Mapped[int] = mapped_column(primary_key=True)
    finding_pk: Mapped[int] = mapped_column(ForeignKey("findings.id"), index=True)
    reviewer: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[str] = mapped_column(String(40))
    verdict: Mapped[str] = mapped_column(String(32))
    new_severity: Mapped[str | None] = mapped_column(String(16))
    note: Mapped[str] = mapped_column(Text, default="")
    prev_hash: Mapped[str] = mapped_column(String(64))
    row_hash: Mapped[str] = mapped_column(String(64), unique=True)


class ExportRow(Base):
    """Who exported which calls, when, and whether personal numbers were masked: chained like the reviews, so an
    export cannot be hidden after the fact."""
    __tablename__ = "exports"
    id: Mapped[int] = mapped_column(primary_key=True)
    exported_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[str] = mapped_column(String(40))
    since: Mapped[str | None] = mapped_column(String(40))
    until: Mapped[str | None] = mapped_column(String(40))
    masked: Mapped[bool] = mapped_column(Boolean)
    calls: Mapped[int] = mapped_column(Integer)
    findings: Mapped[int] = mapped_column(Integer)
    folder: Mapped[str] = mapped_column(Text)
    manifest_sha256: Mapped[str] = mapped_column(String(64))
    prev_hash: Mapped[str] = mapped_column(String(64))
    row_hash: Mapped[str] = mapped_column(String(64), unique=True)


class UserRow(Base):
    """A signed-in user of the review app. Only a password hash (argon2id) is kept; see audit.accounts."""
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(100), unique=True, index=True)
    display_name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(16))
    team: Mapped[str | None] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(200))
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[str] = mapped_column(String(40))


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="microseconds")


def database_url(path_or_url: str | Path | None = None) -> str:
    """``AUDIT_DB_URL`` wins; otherwise a URL is used as given and a path becomes an SQLite file."""
    configured = settings.db_url()
    if configured:
        return configured
    value = str(path_or_url or "audit.db")
    return value if "://" in value else f"sqlite:///{Path(value).expanduser().resolve()}"


@dataclass(frozen=True)
class TrailCheck:
    ok: bool
    reviews: int
    problem: str | None = None
    exports: int = 0


@dataclass(frozen=True)
class StoredAudit:
    audit_line: dict[str, Any]  # the `audit scan` shape, as written when the call was audited
    transcript: dict[str, Any]  # the Transcript JSON
    duration_s: float


@dataclass
class _Known:
    """What the database already holds for a batch of calls being saved, keyed the way ``Store._save`` asks."""

    calls: dict[str, CallRow]  # by call_id
    transcripts: dict[tuple[int, str, str], int]  # (call pk, model id, options hash) -> transcript pk
    audits: dict[tuple[int, int | None, str, str], int]  # (call pk, transcript pk, rule pack, scorecard) -> audit pk

    @classmethod
    def fetch(cls, session: Session, call_ids: set[str]) -> _Known:
        known = cls({}, {}, {})
        ordered = sorted(call_ids)
        for offset in range(0, len(ordered), 500):  # bound the IN list (SQLite's variable limit)
            calls = session.scalars(select(CallRow).where(CallRow.call_id.in_(ordered[offset:offset + 500]))).all()
            known.calls.update((call.call_id, call) for call in calls)
            pks = [call.id for call in calls]
            for pk, call_pk, model_id, options_hash in session.execute(
                    select(TranscriptRow.id, TranscriptRow.call_pk, TranscriptRow.model_id, TranscriptRow.options_hash)
                    .where(TranscriptRow.call_pk.in_(pks))):
                known.transcripts[call_pk, model_id, options_hash] = pk
            for pk, call_pk, transcript_pk, rule_pack, scorecard, reader in session.execute(
                    select(AuditRow.id, AuditRow.call_pk, AuditRow.transcript_pk, AuditRow.rule_pack_version,
                           AuditRow.scorecard_version, AuditRow.reader_version)
                    .where(AuditRow.call_pk.in_(pks)).order_by(AuditRow.id)):
                known.audits.setdefault((call_pk, transcript_pk, rule_pack, scorecard, reader), pk)
        return known


class Store:
    """One database. Methods are whole transactions: a crash mid-way leaves the database as it was before."""

    def __init__(self, path_or_url: str | Path | None = None):
        self.url = database_url(path_or_url)
        try:
            if self.url.startswith("sqlite:///") and self.url != "sqlite:///:memory:":
                Path(self.url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
            # SQLite: wait up to 30 s for a writer (a batch, the review app) instead of failing with 'locked'.
            sqlite = self.url.startswith("sqlite")
            self.engine = create_engine(self.url, connect_args={"timeout": 30} if sqlite else {})
            if sqlite:
                event.listen(self.engine, "connect", _sqlite_pragmas)
            migrate(self.engine)
        except (SQLAlchemyError, OSError) as error:
            raise StorageError(self.url, f"cannot open the database ({error.__class__.__name__}: {error})") from error
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    def session(self) -> Session:
        return self._sessions()

    # -- ingestion ----------------------------------------------------------------------------------------------------

    def save(self, transcript: Transcript | None, audit: CallAudit, audit_line: dict[str, Any]) -> int:
        """Store a call, its transcript and one audit of it; return the audit's id. Saving the same thing again
        returns the existing id and writes nothing."""
        try:
            return self.save_many([(transcript, audit, audit_line)])[0]
        except SQLAlchemyError as error:  # e.g. the database went away: this call fails, the batch goes on
            raise StorageError(self.url, f"call {audit.call_id} not saved ({error.__class__.__name__}: "
                                         f"{str(error).splitlines()[0]})") from error

    def save_many(self, items: Iterable[tuple[Transcript | None, CallAudit, dict[str, Any]]]) -> list[int]:
        """``save`` for many calls in one transaction (a re-audit of thousands of stored calls commits once). What is
        already stored (calls, transcripts, audits) is looked up for the whole batch at once, not call by call."""
        items = list(items)
        with self.session() as session, session.begin():
            known = _Known.fetch(session, {audit.call_id for _, audit, _ in items})
            return [self._save(session, known, *item) for item in items]

    def _save(self, session: Session, known: _Known, transcript: Transcript | None, audit: CallAudit,
              audit_line: dict[str, Any]) -> int:
        call = self._call(session, known, transcript, audit.call_id)
        transcript_pk = self._transcript(session, known, call, transcript) if transcript else None
        audit_key = (call.id, transcript_pk, audit.rule_pack_version, audit.scorecard_version, audit.reader_version)
        if audit_key in known.audits:
            return known.audits[audit_key]
        row = AuditRow(call_pk=call.id, transcript_pk=transcript_pk, profile=audit.profile,
                       rule_pack_version=audit.rule_pack_version, scorecard=audit.scorecard,
                       scorecard_version=audit.scorecard_version, reader_version=audit.reader_version,
                       model_id=transcript.model_id if transcript else "", code_version=__version__,
                       score=audit.score, verdict=audit.verdict, critical=audit.critical,
                       call_time_violation=audit.call_time_violation,
                       body=json.dumps(audit_line, ensure_ascii=False), created_at=_now())
        session.add(row)
        session.flush()
        known.audits[audit_key] = row.id
        # Core multi-row INSERTs rather than one ORM object per row: a re-audit of thousands of calls spends its
        # time in the rules, not in the unit of work.
        children = (
            (FindingRow, [dict(audit_pk=row.id, rule_id=f.rule_id, category=f.category, severity=f.severity,
                               turn=f.turn, speaker=f.speaker, char_start=f.char_start, char_end=f.char_end,
                               quote=f.quote, start_s=f.start_s, end_s=f.end_s, pinyin_match=f.pinyin_match,
                               needs_review=f.needs_review, explanation=f.explanation, match_kind=f.match_kind,
                               score=f.score,
                               legal_basis=json.dumps(list(f.legal_basis), ensure_ascii=False))
                          for f in audit.findings]),
            (DisclosureRow, [dict(audit_pk=row.id, disclosure=d.disclosure, status=d.status, rule_id=d.rule_id,
                                  turn=d.turn, quote=d.quote, start_s=d.start_s, explanation=d.explanation)
                             for d in audit.disclosures]),
            (SignalRow, [dict(audit_pk=row.id, signal=s.signal, turn=s.turn, quote=s.quote, start_s=s.start_s,
                              details=json.dumps(s.details, ensure_ascii=False)) for s in audit.signals]),
        )
        for table, rows in children:
            if rows:  # on the connection: the ORM's bulk path costs more than the INSERT itself
                session.connection().execute(insert(table.__table__), rows)
        return row.id

    @staticmethod
    def _call(session: Session, known: _Known, transcript: Transcript | None, call_id: str) -> CallRow:
        call = known.calls.get(call_id)
        metadata = transcript.metadata if transcript else None
        if call is not None:
            if transcript and call.audio_sha256 and call.audio_sha256 != transcript.audio_sha256:
                raise StorageError(transcript.audio_path, f"call id '{call_id}' is already stored for another "
                                                          f"recording ({call.audio_path}); give each call its own id")
            return call
        call = CallRow(
            call_id=call_id, audio_path=transcript.audio_path if transcript else "",
            audio_sha256=transcript.audio_sha256 if transcript else "",
            duration_s=transcript.duration_s if transcript else None,
            agent_id=metadata.agent_id if metadata else None, agent_name=metadata.agent_name if metadata else None,
            team=metadata.team if metadata else None, started_at=metadata.started_at if metadata else None,
            debtor_tz=metadata.debtor_tz if metadata else None,
            channel_layout=transcript.channel_layout if transcript else None, created_at=_now())
        session.add(call)
        session.flush()
        known.calls[call_id] = call
        return call

    @staticmethod
    def _transcript(session: Session, known: _Known, call: CallRow, transcript: Transcript) -> int:
        options_hash = hashlib.sha256(json.dumps(transcript.asr_options, sort_keys=True).encode()).hexdigest()
        key = (call.id, transcript.model_id, options_hash)
        if key not in known.transcripts:
            row = TranscriptRow(call_pk=call.id, model_id=transcript.model_id, options_hash=options_hash,
                                body=json.dumps(transcript.to_dict(), ensure_ascii=False), created_at=_now())
            session.add(row)
            session.flush()
            known.transcripts[key] = row.id
        return known.transcripts[key]

    # -- reading ------------------------------------------------------------------------------------------------------

    def audited_call_ids(self) -> set[str]:
        with self.session() as session:
            return set(session.scalars(select(CallRow.call_id).join(AuditRow, AuditRow.call_pk == CallRow.id)))

    def stored_audit(self, call_id: str, audio_sha256: str, model_id: str, rule_pack_version: str,
                     scorecard_version: str, reader_version: str = "") -> StoredAudit | None:
        """The audit of this recording already made with this model, rule pack, reader and scorecard, if any: what
        lets an interrupted batch resume without redoing or duplicating a call."""
        with self.session() as session:
            found = session.execute(
                select(CallRow, AuditRow, TranscriptRow).join(AuditRow, AuditRow.call_pk == CallRow.id)
                .join(TranscriptRow, TranscriptRow.id == AuditRow.transcript_pk)
                .where(CallRow.call_id == call_id, CallRow.audio_sha256 == audio_sha256,
                       AuditRow.model_id == model_id, AuditRow.rule_pack_version == rule_pack_version,
                       AuditRow.scorecard_version == scorecard_version, AuditRow.reader_version == reader_version)
                .order_by(AuditRow.id.desc()).limit(1)).first()
        if found is None:
            return None
        call, audit, transcript = found
        return StoredAudit(json.loads(audit.body), json.loads(transcript.body), call.duration_s or 0.0)

    def stored_transcripts(self, since: str | None = None, until: str | None = None) -> Iterator[dict[str, Any]]:
        """The newest transcript of every call started between two dates (inclusive, YYYY-MM-DD), as Transcript
        JSON, in call order: what a re-audit with a new rule pack or scorecard reads instead of the audio."""
        with self.session() as session:
            newest = (select(TranscriptRow.call_pk, func.max(TranscriptRow.id).label("transcript_pk"))
                      .group_by(TranscriptRow.call_pk).subquery())
            query = (select(TranscriptRow.body).join(newest, newest.c.transcript_pk == TranscriptRow.id)
                     .join(CallRow, CallRow.id == TranscriptRow.call_pk).order_by(CallRow.id))
            if since:
                query = query.where(func.substr(CallRow.started_at, 1, 10) >= since[:10])
            if until:
                query = query.where(func.substr(CallRow.started_at, 1, 10) <= until[:10])
            for body in session.scalars(query.execution_options(yield_per=500)):
                yield json.loads(body)

    def findings(self, call_id: str) -> list[FindingRow]:
        """The findings of a call's latest audit."""
        with self.session() as session:
            audit = session.scalar(select(AuditRow).join(CallRow).where(CallRow.call_id == call_id)
                                   .order_by(AuditRow.id.desc()).limit(1))
            if audit is None:
                return []
            return list(session.scalars(select(FindingRow).where(FindingRow.audit_pk == audit.id)
                                        .order_by(FindingRow.id)))

    def aggregate_rows(self) -> dict[str, list[dict[str, Any]]]:
        """The latest audit of every call, as the rows ``audit.aggregate`` takes: calls, findings (with the latest
        effective review of each), disclosures, signals. An upheld appeal dismisses a finding; a rejected one
        upholds it; a pending appeal changes nothing."""
        effect = {"upheld": "upheld", "dismissed": "dismissed", "severity_changed": "severity_changed",
                  "appeal_upheld": "dismissed", "appeal_rejected": "upheld"}
        with self.session() as session:
            latest = (select(AuditRow.call_pk, func.max(AuditRow.id).label("audit_pk"))
                      .group_by(AuditRow.call_pk).subquery())
            audits = session.execute(select(CallRow, AuditRow).join(latest, latest.c.call_pk == CallRow.id)
                                     .join(AuditRow, AuditRow.id == latest.c.audit_pk)).all()
            call_of = {audit.id: call.call_id for call, audit in audits}
            reviews: dict[int, ReviewRow] = {}
            for review in session.scalars(select(ReviewRow).order_by(ReviewRow.id)):
                if review.verdict in effect:
                    reviews[review.finding_pk] = review
            findings = session.scalars(select(FindingRow).where(FindingRow.audit_pk.in_(call_of))).all()
            disclosures = session.scalars(select(DisclosureRow).where(DisclosureRow.audit_pk.in_(call_of))).all()
            signals = session.scalars(select(SignalRow).where(SignalRow.audit_pk.in_(call_of))).all()
        return {
            "calls": [{"call_id": call.call_id, "agent_id": call.agent_id, "agent_name": call.agent_name,
                       "team": call.team, "started_at": call.started_at, "score": audit.score,
                       "verdict": audit.verdict, "call_time_violation": audit.call_time_violation}
                      for call, audit in audits],
            "findings": [{"call_id": call_of[f.audit_pk], "finding_id": f.id, "category": f.category,
                          "severity": f.severity, "speaker": f.speaker,
                          "review_verdict": effect[reviews[f.id].verdict] if f.id in reviews else None,
                          "review_severity": reviews[f.id].new_severity if f.id in reviews else None}
                         for f in findings],
            "disclosures": [{"call_id": call_of[d.audit_pk], "disclosure": d.disclosure, "status": d.status}
                            for d in disclosures],
            "signals": [{"call_id": call_of[s.audit_pk], "signal": s.signal} for s in signals],
        }

    def export_rows(self, since: str | None = None, until: str | None = None) -> dict[str, list[dict[str, Any]]]:
        """Everything the regulator's package holds for calls started between two dates (inclusive, YYYY-MM-DD):
        the latest audit of each call with its findings, disclosures and the reviews of those findings."""
        with self.session() as session:
            latest = (select(AuditRow.call_pk, func.max(AuditRow.id).label("audit_pk"))
                      .group_by(AuditRow.call_pk).subquery())
            query = (select(CallRow, AuditRow).join(latest, latest.c.call_pk == CallRow.id)
                     .join(AuditRow, AuditRow.id == latest.c.audit_pk).order_by(CallRow.started_at, CallRow.call_id))
            if since:
                query = query.where(func.substr(CallRow.started_at, 1, 10) >= since[:10])
            if until:
                query = query.where(func.substr(CallRow.started_at, 1, 10) <= until[:10])
            audits = session.execute(query).all()
            call_of = {audit.id: call.call_id for call, audit in audits}
            findings = session.scalars(select(FindingRow).where(FindingRow.audit_pk.in_(call_of))
                                       .order_by(FindingRow.id)).all()
            finding_ids = {f.id for f in findings}
            reviews = [r for r in session.scalars(select(ReviewRow).order_by(ReviewRow.id)) if r.finding_pk in finding_ids]
            disclosures = session.scalars(select(DisclosureRow).where(DisclosureRow.audit_pk.in_(call_of))
                                          .order_by(DisclosureRow.id)).all()
        return {
            "calls": [{"call_id": c.call_id, "agent_id": c.agent_id, "agent_name": c.agent_name, "team": c.team,
                       "started_at": c.started_at, "debtor_tz": c.debtor_tz, "duration_s": c.duration_s,
                       "audio_path": c.audio_path, "audio_sha256": c.audio_sha256, "channel_layout": c.channel_layout,
                       "verdict": a.verdict, "score": a.score, "critical": a.critical,
                       "call_time_violation": a.call_time_violation, "profile": a.profile,
                       "rule_pack_version": a.rule_pack_version, "scorecard": a.scorecard,
                       "scorecard_version": a.scorecard_version, "reader_version": a.reader_version,
                       "model_id": a.model_id, "code_version": a.code_version, "audited_at": a.created_at}
                      for c, a in audits],
            "findings": [{"finding_id": f.id, "call_id": call_of[f.audit_pk], "rule_id": f.rule_id,
                          "category": f.category, "severity": f.severity, "turn": f.turn, "speaker": f.speaker,
                          "quote": f.quote, "start_s": f.start_s, "end_s": f.end_s, "pinyin_match": f.pinyin_match,
                          "match_kind": f.match_kind, "model_score": f.score, "needs_review": f.needs_review,
                          "legal_basis": "；".join(json.loads(f.legal_basis)), "explanation": f.explanation}
                         for f in findings],
            "disclosures": [{"call_id": call_of[d.audit_pk], "disclosure": d.disclosure, "status": d.status,
                             "rule_id": d.rule_id, "turn": d.turn, "quote": d.quote, "start_s": d.start_s,
                             "explanation": d.explanation} for d in disclosures],
            "reviews": [{"review_id": r.id, "finding_id": r.finding_pk, "reviewer": r.reviewer,
                         "created_at": r.created_at, "verdict": r.verdict, "new_severity": r.new_severity,
                         "note": r.note, "row_hash": r.row_hash} for r in reviews],
        }

    def counts(self) -> dict[str, int]:
        with self.session() as session:
            return {table.__tablename__: session.query(table).count()
                    for table in (CallRow, TranscriptRow, AuditRow, FindingRow, DisclosureRow, SignalRow, ReviewRow)}

    # -- review trail -------------------------------------------------------------------------------------------------

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
            last = session.scalar(select(ReviewRow).order_by(ReviewRow.id.desc()).limit(1).with_for_update())
            row = ReviewRow(finding_pk=finding_id, reviewer=reviewer.strip(), created_at=_now(), verdict=verdict,
                            new_severity=new_severity, note=note, prev_hash=last.row_hash if last else GENESIS_HASH,
                            row_hash="")
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
            last = session.scalar(select(ExportRow).order_by(ExportRow.id.desc()).limit(1).with_for_update())
            row = ExportRow(exported_by=exported_by.strip() or "(unnamed)", created_at=_now(), since=since,
                            until=until, masked=masked, calls=calls, findings=findings, folder=folder,
                            manifest_sha256=manifest_sha256, prev_hash=last.row_hash if last else GENESIS_HASH,
                            row_hash="")
            row.row_hash = export_hash(row)
            session.add(row)
        return row

    def exports(self) -> list[ExportRow]:
        with self.session() as session:
            return list(session.scalars(select(ExportRow).order_by(ExportRow.id)))

    def verify_trail(self) -> TrailCheck:
        """Recompute both chains (reviews, exports) from their first row: any edited, deleted or reordered row breaks
        them, and the problem names the row."""
        reviews, exports = list(self.reviews()), self.exports()
        for label, rows, hash_of in (("review", reviews, review_hash), ("export", exports, export_hash)):
            previous = GENESIS_HASH
            for row in rows:
                if row.prev_hash != previous:
                    return TrailCheck(False, len(reviews), f"{label} {row.id}: its link to the previous {label} is "
                                                           f"broken (a {label} was deleted or inserted before it)")
                if hash_of(row) != row.row_hash:
                    return TrailCheck(False, len(reviews), f"{label} {row.id}: its content no longer matches its "
                                                           "hash (the row was edited)")
                previous = row.row_hash
        return TrailCheck(True, len(reviews), exports=len(exports))
    # -- users ------------------------------------------------------------------------------------------------------

    def add_user(self, username: str, display_name: str, role: str, team: str | None, password_hash: str) -> UserRow:
        with self.session() as session, session.begin():
            if session.scalar(select(UserRow).where(UserRow.username == username)) is not None:
                raise StorageError(None, f"user '{username}' already exists")
            row = UserRow(username=username, display_name=display_name, role=role, team=team,
                          password_hash=password_hash, disabled=False, created_at=_now())
            session.add(row)
        return row

    def user(self, username: str) -> UserRow | None:
        with self.session() as session:
            return session.scalar(select(UserRow).where(UserRow.username == username))

    def users(self) -> list[UserRow]:
        with self.session() as session:
            return list(session.scalars(select(UserRow).order_by(UserRow.username)))

    def update_user(self, username: str, **changes: Any) -> UserRow:
        """Change a user's password hash, role, team, name or disabled flag."""
        with self.session() as session, session.begin():
            row = session.scalar(select(UserRow).where(UserRow.username == username))
            if row is None:
                raise StorageError(None, f"there is no user '{username}'")
            for name, value in changes.items():
                setattr(row, name, value)
        return row

    # -- the review app's reads ---------------------------------------------------------------------------------------
    # What the Streamlit pages need, each a bounded query: the queue is filtered, sorted and paged in SQL and the
    # overview is counted in SQL, so a database of 50,000 calls never travels to the app whole. Rows come back as
    # plain dicts (like aggregate_rows) so that nothing outside this module touches an ORM object.
    # (SQLAlchemy names beyond the module's imports are imported inside the methods so this section stays
    # self-contained.)

    APP_REVIEW_EFFECT = {"upheld": "upheld", "dismissed": "dismissed", "severity_changed": "severity_changed",
                         "appeal_upheld": "dismissed", "appeal_rejected": "upheld"}  # as in aggregate_rows

    @staticmethod
    def _app_review_dict(review: ReviewRow) -> dict[str, Any]:
        return {"review_id": review.id, "finding_id": review.finding_pk, "reviewer": review.reviewer,
                "created_at": review.created_at, "verdict": review.verdict, "new_severity": review.new_severity,
                "note": review.note, "row_hash": review.row_hash}

    @staticmethod
    def _app_latest_audits():
        return (select(AuditRow.call_pk, func.max(AuditRow.id).label("audit_pk"))
                .group_by(AuditRow.call_pk).subquery())

    @staticmethod
    def _app_call_filters(query, *, since=None, until=None, teams=(), agent_ids=()):
        if since:
            query = query.where(func.substr(CallRow.started_at, 1, 10) >= str(since)[:10])
        if until:
            query = query.where(func.substr(CallRow.started_at, 1, 10) <= str(until)[:10])
        if teams:
            query = query.where(CallRow.team.in_(list(teams)))
        if agent_ids:
            query = query.where(CallRow.agent_id.in_(list(agent_ids)))
        return query

    def _app_queue_query(self, *, categories=(), severities=(), agent_ids=(), teams=(), since=None, until=None,
                         verdicts=(), review_status="all"):
        """Flagged calls (latest audit has a finding, or its verdict is not pass) with their finding figures."""
        from sqlalchemy import and_, case, exists, or_

        latest = self._app_latest_audits()
        reviewed = select(ReviewRow.finding_pk).distinct().subquery()
        rank = case((FindingRow.severity == "critical", 0), (FindingRow.severity == "major", 1), else_=2)
        per_audit = (select(FindingRow.audit_pk.label("audit_pk"), func.count(FindingRow.id).label("findings"),
                            func.min(rank).label("worst"), func.count(reviewed.c.finding_pk).label("reviewed"))
                     .outerjoin(reviewed, reviewed.c.finding_pk == FindingRow.id)
                     .group_by(FindingRow.audit_pk).subquery())
        findings = func.coalesce(per_audit.c.findings, 0)
        reviewed_n = func.coalesce(per_audit.c.reviewed, 0)
        # a call in the quiet hours is as serious as a critical finding (both fail the call outright)
        worst = case((AuditRow.call_time_violation.is_(True), 0), else_=func.coalesce(per_audit.c.worst, 3))
        query = (select(CallRow.call_id, CallRow.agent_id, CallRow.agent_name, CallRow.team, CallRow.started_at,
                        CallRow.duration_s, AuditRow.id.label("audit_pk"), AuditRow.score, AuditRow.verdict,
                        AuditRow.critical, AuditRow.call_time_violation, findings.label("findings"),
                        reviewed_n.label("reviewed"), worst.label("worst"))
                 .join(latest, latest.c.call_pk == CallRow.id).join(AuditRow, AuditRow.id == latest.c.audit_pk)
                 .outerjoin(per_audit, per_audit.c.audit_pk == AuditRow.id)
                 .where(or_(findings > 0, AuditRow.verdict != "pass")))
        query = self._app_call_filters(query, since=since, until=until, teams=teams, agent_ids=agent_ids)
        if verdicts:
            query = query.where(AuditRow.verdict.in_(list(verdicts)))
        if categories or severities:
            match = [FindingRow.audit_pk == AuditRow.id]
            if categories:
                match.append(FindingRow.category.in_(list(categories)))
            if severities:
                match.append(FindingRow.severity.in_(list(severities)))
            query = query.where(exists().where(and_(*match)))
        if review_status == "unreviewed":
            query = query.where(findings > reviewed_n)
        elif review_status == "reviewed":
            query = query.where(findings > 0, findings == reviewed_n)
        elif review_status == "nothing_to_review":
            query = query.where(findings == 0)
        return query, worst

    def queue_page(self, *, limit: int = 50, offset: int = 0, **filters: Any) -> tuple[list[dict[str, Any]], int]:
        """One page of the review queue, worst first (severity, then score, then call id), and the number of calls
        that match. ``filters``: categories, severities, agent_ids, teams, since, until, verdicts, review_status
        (all / unreviewed / reviewed / nothing_to_review)."""
        query, worst = self._app_queue_query(**filters)
        with self.session() as session:
            total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
            rows = session.execute(query.order_by(worst, AuditRow.score, CallRow.call_id)
                                   .limit(max(1, int(limit))).offset(max(0, int(offset)))).mappings().all()
            rows = [dict(row) for row in rows]
            categories: dict[int, set[str]] = {}
            for audit_pk, category in session.execute(select(FindingRow.audit_pk, FindingRow.category).where(
                    FindingRow.audit_pk.in_([row["audit_pk"] for row in rows]))):
                categories.setdefault(audit_pk, set()).add(category)
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
        and the agents with the most critical calls (then the lowest mean score). Machine figures: reviews are
        applied by audit.aggregate on the agents page."""
        from sqlalchemy import Integer as SqlInteger, case, cast

        latest = self._app_latest_audits()
        scope = self._app_call_filters(
            select(AuditRow.id.label("audit_pk"), CallRow.agent_id, CallRow.agent_name, CallRow.team,
                   CallRow.started_at, AuditRow.score, AuditRow.verdict, AuditRow.critical)
            .join(latest, latest.c.call_pk == CallRow.id).join(AuditRow, AuditRow.id == latest.c.audit_pk),
            since=since, until=until, teams=teams, agent_ids=agent_ids).subquery()
        critical = cast(scope.c.critical, SqlInteger)
        with self.session() as session:
            calls, failed, review, critical_calls = session.execute(select(
                func.count(), func.coalesce(func.sum(case((scope.c.verdict == "fail", 1), else_=0)), 0),
                func.coalesce(func.sum(case((scope.c.verdict == "review", 1), else_=0)), 0),
                func.coalesce(func.sum(critical), 0))).one()
            day = func.substr(scope.c.started_at, 1, 10)
            # one pass over the findings, by day, category and severity; the two charts are sums of it
            counted = session.execute(select(day, FindingRow.category, FindingRow.severity, func.count())
                                      .join(scope, scope.c.audit_pk == FindingRow.audit_pk)
                                      .group_by(day, FindingRow.category, FindingRow.severity)).all()
            agents = session.execute(
                select(scope.c.agent_id, func.max(scope.c.agent_name), func.max(scope.c.team), func.count(),
                       func.avg(scope.c.score), func.sum(critical),
                       func.sum(case((scope.c.verdict == "fail", 1), else_=0)))
                .where(scope.c.agent_id.is_not(None)).group_by(scope.c.agent_id)
                .order_by((func.sum(critical) * 1.0 / func.count()).desc(), func.avg(scope.c.score), scope.c.agent_id)
                .limit(worst_agents)).all()
        unreviewed = self.queue_page(limit=1, since=since, until=until, teams=teams, agent_ids=agent_ids,
                                     review_status="unreviewed")[1]
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
                              "fail_calls": int(fail or 0)} for a, name, team, n, mean, crit, fail in agents],
        }

    def call_detail(self, call_id: str) -> dict[str, Any] | None:
        """One call as the detail page shows it: the call, its latest audit (the ``audit scan`` line), its transcript,
        and the audit's findings, each with every review of it in trail order."""
        with self.session() as session:
            found = session.execute(select(CallRow, AuditRow).join(AuditRow, AuditRow.call_pk == CallRow.id)
                                    .where(CallRow.call_id == call_id).order_by(AuditRow.id.desc()).limit(1)).first()
            if found is None:
                return None
            call, audit = found
            transcript = session.get(TranscriptRow, audit.transcript_pk) if audit.transcript_pk else None
            findings = session.scalars(select(FindingRow).where(FindingRow.audit_pk == audit.id)
                                       .order_by(FindingRow.turn, FindingRow.char_start, FindingRow.id)).all()
            reviews: dict[int, list[dict[str, Any]]] = {}
            for review in session.scalars(select(ReviewRow).where(ReviewRow.finding_pk.in_([f.id for f in findings]))
                                          .order_by(ReviewRow.id)):
                reviews.setdefault(review.finding_pk, []).append(self._app_review_dict(review))
            audits = session.scalar(select(func.count()).select_from(AuditRow).where(AuditRow.call_pk == call.id))
        return {
            "call": {"call_id": call.call_id, "audio_path": call.audio_path, "audio_sha256": call.audio_sha256,
                     "duration_s": call.duration_s, "agent_id": call.agent_id, "agent_name": call.agent_name,
                     "team": call.team, "started_at": call.started_at, "debtor_tz": call.debtor_tz,
                     "channel_layout": call.channel_layout},
            "audit": {"audit_id": audit.id, "score": audit.score, "verdict": audit.verdict, "critical": audit.critical,
                      "call_time_violation": audit.call_time_violation, "profile": audit.profile,
                      "rule_pack_version": audit.rule_pack_version, "scorecard": audit.scorecard,
                      "scorecard_version": audit.scorecard_version, "reader_version": audit.reader_version,
                      "model_id": audit.model_id, "created_at": audit.created_at,
                      "audits_of_call": int(audits or 0),
                      "body": json.loads(audit.body) if audit.body else {}},
            "transcript": json.loads(transcript.body) if transcript else None,
            "findings": [{"finding_id": f.id, "rule_id": f.rule_id, "category": f.category, "severity": f.severity,
                          "turn": f.turn, "speaker": f.speaker, "char_start": f.char_start, "char_end": f.char_end,
                          "quote": f.quote, "start_s": f.start_s, "end_s": f.end_s, "pinyin_match": f.pinyin_match,
                          "needs_review": f.needs_review, "match_kind": f.match_kind, "model_score": f.score,
                          "legal_basis": json.loads(f.legal_basis), "explanation": f.explanation,
                          "reviews": reviews.get(f.id, [])} for f in findings],
        }

    def call_reviews(self, call_id: str) -> list[dict[str, Any]]:
        """Every review of any finding of any audit of the call, in trail order, with the finding it judges."""
        with self.session() as session:
            rows = session.execute(
                select(ReviewRow, FindingRow.category, FindingRow.rule_id, FindingRow.quote)
                .join(FindingRow, FindingRow.id == ReviewRow.finding_pk)
                .join(AuditRow, AuditRow.id == FindingRow.audit_pk).join(CallRow, CallRow.id == AuditRow.call_pk)
                .where(CallRow.call_id == call_id).order_by(ReviewRow.id)).all()
        return [self._app_review_dict(review) | {"category": category, "rule_id": rule_id, "quote": quote}
                for review, category, rule_id, quote in rows]

    def agent_findings(self, agent_id: str, *, since: str | None = None, until: str | None = None,
                       limit: int = 5000) -> list[dict[str, Any]]:
        """The findings on an agent's calls (latest audit of each), newest call first, with the effect of their latest
        review: what a coaching sheet is made of."""
        latest = self._app_latest_audits()
        query = self._app_call_filters(
            select(FindingRow, CallRow.call_id, CallRow.started_at)
            .join(AuditRow, AuditRow.id == FindingRow.audit_pk).join(latest, latest.c.audit_pk == AuditRow.id)
            .join(CallRow, CallRow.id == AuditRow.call_pk).where(CallRow.agent_id == agent_id),
            since=since, until=until)
        with self.session() as session:
            found = session.execute(query.order_by(CallRow.started_at.desc(), FindingRow.turn, FindingRow.id)
                                    .limit(limit)).all()
            effective: dict[int, ReviewRow] = {}
            for review in session.scalars(select(ReviewRow).where(ReviewRow.finding_pk.in_(
                    [finding.id for finding, _, _ in found])).order_by(ReviewRow.id)):
                if review.verdict in self.APP_REVIEW_EFFECT:
                    effective[review.finding_pk] = review
        return [{"finding_id": f.id, "call_id": call_id, "started_at": started_at, "rule_id": f.rule_id,
                 "category": f.category, "severity": f.severity, "speaker": f.speaker, "turn": f.turn,
                 "quote": f.quote, "start_s": f.start_s, "explanation": f.explanation,
                 "review_verdict": self.APP_REVIEW_EFFECT[effective[f.id].verdict] if f.id in effective else None,
                 "review_severity": effective[f.id].new_severity if f.id in effective else None}
                for f, call_id, started_at in found]

    def aggregate_rows_between(self, *, since: str | None = None, until: str | None = None, teams=(),
                               agent_ids=()) -> dict[str, list[dict[str, Any]]]:
        """``aggregate_rows`` for the calls in a period / team / agent only, the filters applied by the database (so
        the agents page loads one period, not every call ever audited)."""
        latest = self._app_latest_audits()
        scope = self._app_call_filters(  # columns, not whole rows: an audit row carries its whole JSON body
            select(AuditRow.id, CallRow.call_id, CallRow.agent_id, CallRow.agent_name, CallRow.team,
                   CallRow.started_at, AuditRow.score, AuditRow.verdict, AuditRow.call_time_violation)
            .join(latest, latest.c.call_pk == CallRow.id).join(AuditRow, AuditRow.id == latest.c.audit_pk),
            since=since, until=until, teams=teams, agent_ids=agent_ids)
        audit_ids = self._app_call_filters(
            select(AuditRow.id).join(latest, latest.c.audit_pk == AuditRow.id)
            .join(CallRow, CallRow.id == AuditRow.call_pk),
            since=since, until=until, teams=teams, agent_ids=agent_ids)
        with self.session() as session:
            calls = session.execute(scope).mappings().all()
            call_of = {call["id"]: call["call_id"] for call in calls}
            findings = session.execute(select(FindingRow.id, FindingRow.audit_pk, FindingRow.category,
                                              FindingRow.severity, FindingRow.speaker)
                                       .where(FindingRow.audit_pk.in_(audit_ids))).all()
            reviews: dict[int, tuple[str, str | None]] = {}
            for finding_pk, verdict, new_severity in session.execute(
                    select(ReviewRow.finding_pk, ReviewRow.verdict, ReviewRow.new_severity)
                    .join(FindingRow, FindingRow.id == ReviewRow.finding_pk)
                    .where(FindingRow.audit_pk.in_(audit_ids)).order_by(ReviewRow.id)):
                if verdict in self.APP_REVIEW_EFFECT:
                    reviews[finding_pk] = (self.APP_REVIEW_EFFECT[verdict], new_severity)
            disclosures = session.execute(select(DisclosureRow.audit_pk, DisclosureRow.disclosure, DisclosureRow.status)
                                          .where(DisclosureRow.audit_pk.in_(audit_ids))).all()
            signals = session.execute(select(SignalRow.audit_pk, SignalRow.signal)
                                      .where(SignalRow.audit_pk.in_(audit_ids))).all()
        return {
            "calls": [{key: call[key] for key in ("call_id", "agent_id", "agent_name", "team", "started_at", "score",
                                                  "verdict", "call_time_violation")} for call in calls],
            "findings": [{"call_id": call_of[f.audit_pk], "finding_id": f.id, "category": f.category,
                          "severity": f.severity, "speaker": f.speaker,
                          "review_verdict": reviews[f.id][0] if f.id in reviews else None,
                          "review_severity": reviews[f.id][1] if f.id in reviews else None}
                         for f in findings],
            "disclosures": [{"call_id": call_of[a], "disclosure": d, "status": s} for a, d, s in disclosures],
            "signals": [{"call_id": call_of[a], "signal": s} for a, s in signals],
        }



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


MIGRATIONS = Path(__file__).with_name("migrations")


def _alembic_config(connection):
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def migrate(engine) -> None:
    """Bring the schema to the newest migration. A database made before migrations existed (0.1.0 created its tables
    directly) is first marked as being at the first migration, whose tables it already has."""
    from alembic import command
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory
    from sqlalchemy import inspect

    with engine.begin() as connection:
        config = _alembic_config(connection)
        current = MigrationContext.configure(connection).get_current_revision()
        if current == ScriptDirectory.from_config(config).get_current_head():
            return  # the common case: opening an up-to-date database costs one query, not a migration run
        if current is None and inspect(connection).has_table("calls"):
            command.stamp(config, FIRST_REVISION)
        command.upgrade(config, "head")


FIRST_REVISION = "0001"


def _sqlite_pragmas(connection, _record) -> None:
    """WAL lets the review app read while a batch writes; foreign keys are off by default in SQLite."""
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()
