"""``Store``, one database: opening it, saving audited calls, and the reads that let a batch resume or re-audit.

Ingesting the same call twice changes nothing; auditing it again with another rule-pack, reader or scorecard version
adds an audit and keeps the old one (the findings reviewers added to the old one, and its contact-frequency items
with their verdicts, are carried to the new). The trail, users, reads and the QA loop's tables are mixed in from
their modules.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Iterator

from sqlalchemy import create_engine, event, func, insert, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from audit import __version__, settings
from audit.models import CallAudit, Transcript
from audit.review_policy import CONTACT_FREQUENCY, REVIEWER_SOURCE
from audit.storage.dials import DialStore
from audit.storage.qa import QaStore
from audit.storage.queries import Queries, call_filters
from audit.storage.results import first_result, refresh, result_columns
from audit.storage.schema import (AuditRow, CallItemRow, CallRow, ContactViolationRow, DisclosureRow, FindingRow,
                                  SignalRow, StorageError, TranscriptRow, migrate, utc_timestamp)
from audit.storage.trail import ReviewTrail
from audit.storage.users import UserAccounts


def database_url(path_or_url: str | Path | None = None) -> str:
    """``AUDIT_DB_URL`` wins; otherwise a URL is used as given and a path becomes an SQLite file."""
    configured = settings.db_url()
    if configured:
        return configured
    value = str(path_or_url or "audit.db")
    return value if "://" in value else f"sqlite:///{Path(value).expanduser().resolve()}"


@dataclass(frozen=True)
class StoredAudit:
    audit_line: dict[str, Any]  # the `audit scan` shape, as written when the call was audited
    transcript: dict[str, Any]  # the Transcript JSON
    duration_s: float


@dataclass(frozen=True)
class _Known:
    """What the database already holds for a batch of calls being saved, keyed the way ``Store._save`` asks. The
    dicts grow as the batch saves, so a call twice in one batch is saved once."""

    calls: dict[str, CallRow]  # by call_id
    transcripts: dict[tuple[int, str, str], int]  # (call pk, model id, options hash) -> transcript pk
    # (call pk, transcript pk, rule pack, scorecard, reader) -> audit pk
    audits: dict[tuple[int, int | None, str, str, str], int]
    with_added: set[int]  # audits holding a reviewer-added finding (a re-audit carries it)
    with_contact: set[int]  # audits holding a contact-frequency item (a re-audit carries it)
    violated: set[str]  # call ids with a stored contact-frequency violation (a new audit gets its items)

    @classmethod
    def fetch(cls, session: Session, call_ids: set[str]) -> _Known:
        known = cls({}, {}, {}, set(), set(), set())
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
            known.with_added.update(session.scalars(
                select(FindingRow.audit_pk).join(AuditRow, AuditRow.id == FindingRow.audit_pk)
                .where(AuditRow.call_pk.in_(pks), FindingRow.source == REVIEWER_SOURCE).distinct()))
            known.with_contact.update(session.scalars(
                select(CallItemRow.audit_pk).join(AuditRow, AuditRow.id == CallItemRow.audit_pk)
                .where(AuditRow.call_pk.in_(pks), CallItemRow.kind == CONTACT_FREQUENCY).distinct()))
            known.violated.update(session.scalars(select(ContactViolationRow.call_id).where(
                ContactViolationRow.call_id.in_(ordered[offset:offset + 500])).distinct()))
        return known


class Store(ReviewTrail, UserAccounts, Queries, QaStore, DialStore):
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

    # -- ingestion -----------------------------------------------------------------------------------------------------

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
        earlier = max((pk for key, pk in known.audits.items() if key[0] == call.id), default=None)
        items, result = first_result(audit_line, audit.scorecard)
        row = AuditRow(call_pk=call.id, transcript_pk=transcript_pk, profile=audit.profile,
                       rule_pack_version=audit.rule_pack_version, scorecard=audit.scorecard,
                       scorecard_version=audit.scorecard_version, reader_version=audit.reader_version,
                       model_id=transcript.model_id if transcript else "", code_version=__version__,
                       score=audit.score, verdict=audit.verdict, critical=audit.critical,
                       call_time_violation=audit.call_time_violation,
                       body=json.dumps(audit_line, ensure_ascii=False), created_at=utc_timestamp(),
                       **result_columns(result))
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
            (CallItemRow, [dict(audit_pk=row.id, kind=item["kind"], text=item["text"]) for item in items]),
        )
        for table, rows in children:
            if rows:  # on the connection: the ORM's bulk path costs more than the INSERT itself
                session.connection().execute(insert(table.__table__), rows)
        if earlier in known.with_added:
            if self.carry_reviewer_findings(session, earlier, row.id):
                known.with_added.add(row.id)
        if earlier in known.with_contact or audit.call_id in known.violated:
            if self.carry_contact_items(session, earlier if earlier in known.with_contact else None, row.id,
                                        audit.call_id):
                known.with_contact.add(row.id)
                refresh(session, [row.id])
        return row.id

    @staticmethod
    def _call(session: Session, known: _Known, transcript: Transcript | None, call_id: str) -> CallRow:
        call = known.calls.get(call_id)
        metadata = transcript.metadata if transcript else None
        if call is not None:
            if transcript and call.audio_sha256 and call.audio_sha256 != transcript.audio_sha256:
                raise StorageError(transcript.audio_path, f"call id '{call_id}' is already stored for another "
                                                          f"recording ({call.audio_path}); give each call its own id")
            if metadata and metadata.debtor_id and not call.debtor_id:  # a metadata CSV given the column later
                call.debtor_id = metadata.debtor_id
            return call
        call = CallRow(
            call_id=call_id, audio_path=transcript.audio_path if transcript else "",
            audio_sha256=transcript.audio_sha256 if transcript else "",
            duration_s=transcript.duration_s if transcript else None,
            agent_id=metadata.agent_id if metadata else None, agent_name=metadata.agent_name if metadata else None,
            team=metadata.team if metadata else None, debtor_tz=metadata.debtor_tz if metadata else None,
            debtor_id=metadata.debtor_id if metadata else None,
            channel_layout=transcript.channel_layout if transcript else None, created_at=utc_timestamp())
        call.started_at = metadata.started_at if metadata and metadata.started_at else None
        if call.started_at is None:  # dated by when it was stored, and flagged, so date filters still find it
            call.started_at, call.undated = call.created_at, True
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
                                body=json.dumps(transcript.to_dict(), ensure_ascii=False), created_at=utc_timestamp())
            session.add(row)
            session.flush()
            known.transcripts[key] = row.id
        return known.transcripts[key]

    # -- resuming and re-auditing --------------------------------------------------------------------------------------

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
            query = call_filters(select(TranscriptRow.body).join(newest, newest.c.transcript_pk == TranscriptRow.id)
                                 .join(CallRow, CallRow.id == TranscriptRow.call_pk).order_by(CallRow.id),
                                 since=since, until=until)
            for body in session.scalars(query.execution_options(yield_per=500)):
                yield json.loads(body)


def _sqlite_pragmas(connection, _record) -> None:
    """WAL lets the review app read while a batch writes; foreign keys are off by default in SQLite."""
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()
