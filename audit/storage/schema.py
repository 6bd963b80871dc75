"""The tables, and the Alembic migrations that build them.

A table changed here needs a migration in ``audit/migrations/versions`` too: the tests compare the two.
"""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

from sqlalchemy import Boolean, Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from audit.errors import AuditError


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


class SignInAttemptRow(Base):
    """One try at the review app's sign-in form: the user name typed (an account or not), when, and whether it
    succeeded. The failures since an account's last success set how long the next try waits (audit.accounts)."""
    __tablename__ = "sign_in_attempts"
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(100), index=True)
    created_at: Mapped[str] = mapped_column(String(40))
    succeeded: Mapped[bool] = mapped_column(Boolean)


def utc_timestamp() -> str:
    """The moment, as every ``created_at`` column stores it: ISO 8601 in UTC, to the microsecond."""
    return datetime.now(timezone.utc).isoformat(timespec="microseconds")


MIGRATIONS = Path(__file__).parent.parent / "migrations"
FIRST_REVISION = "0001"  # the tables a database made before migrations existed already has


def _alembic_config(connection):
    """Alembic's settings in code, the migrations to run on ``connection``: no alembic.ini to keep in step."""
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

