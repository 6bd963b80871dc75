"""The database: calls, transcripts, audits with their findings, disclosures and signals, and the review trail.

This is the only module that imports SQLAlchemy. An SQLite file is the embedded default; a shared deployment
points ``AUDIT_DB_URL`` at PostgreSQL. Ingesting the same call twice changes nothing; auditing it again with another
rule-pack or scorecard version adds an audit and keeps the old one. Reviews are append-only: each row stores the
hash of the previous row, so editing or deleting a past verdict breaks the chain and ``verify_trail`` says where.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterator

from sqlalchemy import (Boolean, Float, ForeignKey, Integer, String, Text, UniqueConstraint, create_engine, event,
                        func, select)
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker

from audit import __version__
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
    __table_args__ = (UniqueConstraint("call_pk", "transcript_pk", "rule_pack_version", "scorecard_version"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    call_pk: Mapped[int] = mapped_column(ForeignKey("calls.id"), index=True)
    transcript_pk: Mapped[int | None] = mapped_column(ForeignKey("transcripts.id"))
    profile: Mapped[str] = mapped_column(String(40))
    rule_pack_version: Mapped[str] = mapped_column(String(40))
    scorecard: Mapped[str] = mapped_column(String(100), default="")
    scorecard_version: Mapped[str] = mapped_column(String(40), default="")
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


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="microseconds")


def database_url(path_or_url: str | Path | None = None) -> str:
    """``AUDIT_DB_URL`` wins; otherwise a URL is used as given and a path becomes an SQLite file."""
    if os.environ.get("AUDIT_DB_URL"):
        return os.environ["AUDIT_DB_URL"]
    value = str(path_or_url or "audit.db")
    return value if "://" in value else f"sqlite:///{Path(value).expanduser().resolve()}"


@dataclass(frozen=True)
class TrailCheck:
    ok: bool
    reviews: int
    problem: str | None = None


class Store:
    """One database. Methods are whole transactions: a crash mid-way leaves the database as it was before."""

    def __init__(self, path_or_url: str | Path | None = None):
        self.url = database_url(path_or_url)
        try:
            self.engine = create_engine(self.url)
            if self.url.startswith("sqlite"):
                event.listen(self.engine, "connect", _sqlite_pragmas)
            Base.metadata.create_all(self.engine)
        except SQLAlchemyError as error:
            raise StorageError(self.url, f"cannot open the database ({error.__class__.__name__}: {error})") from error
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    def session(self) -> Session:
        return self._sessions()

    # -- ingestion ----------------------------------------------------------------------------------------------------

    def save(self, transcript: Transcript | None, audit: CallAudit, audit_line: dict[str, Any]) -> int:
        """Store a call, its transcript and one audit of it; return the audit's id. Saving the same thing again
        returns the existing id and writes nothing."""
        with self.session() as session, session.begin():
            call = self._call(session, transcript, audit.call_id)
            transcript_pk = self._transcript(session, call, transcript) if transcript else None
            same_transcript = (AuditRow.transcript_pk.is_(None) if transcript_pk is None
                               else AuditRow.transcript_pk == transcript_pk)
            existing = session.scalar(select(AuditRow).where(
                AuditRow.call_pk == call.id, same_transcript, AuditRow.rule_pack_version == audit.rule_pack_version,
                AuditRow.scorecard_version == audit.scorecard_version))
            if existing:
                return existing.id
            row = AuditRow(call_pk=call.id, transcript_pk=transcript_pk, profile=audit.profile,
                           rule_pack_version=audit.rule_pack_version, scorecard=audit.scorecard,
                           scorecard_version=audit.scorecard_version,
                           model_id=transcript.model_id if transcript else "", code_version=__version__,
                           score=audit.score, verdict=audit.verdict, critical=audit.critical,
                           call_time_violation=audit.call_time_violation,
                           body=json.dumps(audit_line, ensure_ascii=False), created_at=_now())
            session.add(row)
            session.flush()
            session.add_all(FindingRow(
                audit_pk=row.id, rule_id=f.rule_id, category=f.category, severity=f.severity, turn=f.turn,
                speaker=f.speaker, char_start=f.char_start, char_end=f.char_end, quote=f.quote, start_s=f.start_s,
                end_s=f.end_s, pinyin_match=f.pinyin_match, needs_review=f.needs_review,
                legal_basis=json.dumps(list(f.legal_basis), ensure_ascii=False), explanation=f.explanation)
                for f in audit.findings)
            session.add_all(DisclosureRow(
                audit_pk=row.id, disclosure=d.disclosure, status=d.status, rule_id=d.rule_id, turn=d.turn,
                quote=d.quote, start_s=d.start_s, explanation=d.explanation) for d in audit.disclosures)
            session.add_all(SignalRow(
                audit_pk=row.id, signal=s.signal, turn=s.turn, quote=s.quote, start_s=s.start_s,
                details=json.dumps(s.details, ensure_ascii=False)) for s in audit.signals)
            return row.id

    @staticmethod
    def _call(session: Session, transcript: Transcript | None, call_id: str) -> CallRow:
        call = session.scalar(select(CallRow).where(CallRow.call_id == call_id))
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
        return call

    @staticmethod
    def _transcript(session: Session, call: CallRow, transcript: Transcript) -> int:
        options_hash = hashlib.sha256(json.dumps(transcript.asr_options, sort_keys=True).encode()).hexdigest()
        row = session.scalar(select(TranscriptRow).where(
            TranscriptRow.call_pk == call.id, TranscriptRow.model_id == transcript.model_id,
            TranscriptRow.options_hash == options_hash))
        if row is None:
            row = TranscriptRow(call_pk=call.id, model_id=transcript.model_id, options_hash=options_hash,
                                body=json.dumps(transcript.to_dict(), ensure_ascii=False), created_at=_now())
            session.add(row)
            session.flush()
        return row.id

    # -- reading ------------------------------------------------------------------------------------------------------

    def audited_call_ids(self) -> set[str]:
        with self.session() as session:
            return set(session.scalars(select(CallRow.call_id).join(AuditRow, AuditRow.call_pk == CallRow.id)))

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
                       "scorecard_version": a.scorecard_version, "model_id": a.model_id,
                       "code_version": a.code_version, "audited_at": a.created_at} for c, a in audits],
            "findings": [{"finding_id": f.id, "call_id": call_of[f.audit_pk], "rule_id": f.rule_id,
                          "category": f.category, "severity": f.severity, "turn": f.turn, "speaker": f.speaker,
                          "quote": f.quote, "start_s": f.start_s, "end_s": f.end_s, "pinyin_match": f.pinyin_match,
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

    def verify_trail(self) -> TrailCheck:
        """Recompute the chain from the first review: any edited, deleted or reordered row breaks it."""
        previous, count = GENESIS_HASH, 0
        for row in self.reviews():
            count += 1
            if row.prev_hash != previous:
                return TrailCheck(False, count, f"review {row.id}: its link to the previous review is broken "
                                                "(a review was deleted or inserted before it)")
            if review_hash(row) != row.row_hash:
                return TrailCheck(False, count, f"review {row.id}: its content no longer matches its hash "
                                                "(the row was edited)")
            previous = row.row_hash
        return TrailCheck(True, count)


def review_hash(row: ReviewRow) -> str:
    """sha256 over the previous hash and every field a reviewer or auditor relies on."""
    content = json.dumps([row.prev_hash, row.finding_pk, row.reviewer, row.created_at, row.verdict,
                          row.new_severity, row.note], ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(content.encode("utf-8")).hexdigest()


def _sqlite_pragmas(connection, _record) -> None:
    """WAL lets the review app read while a batch writes; foreign keys are off by default in SQLite."""
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()
