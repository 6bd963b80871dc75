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
    # no start time was given: ``started_at`` holds when the call was first stored, so date filters still find it
    undated: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    debtor_id: Mapped[str | None] = mapped_column(String(100), index=True)  # whom the call was to (dial-log limits)


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
    # the call after its reviews (audit.review_policy.call_result), kept current by every review filed
    reviewed_verdict: Mapped[str | None] = mapped_column(String(16), index=True)
    reviewed_score: Mapped[float | None] = mapped_column(Float)
    reviewed_critical: Mapped[bool | None] = mapped_column(Boolean)
    reviewed_worst: Mapped[int | None] = mapped_column(Integer)  # severity rank, 0 = critical, 3 = none
    open_items: Mapped[int] = mapped_column(Integer, default=0, server_default="0")  # 0: closed


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
    # where its reviews leave it (audit.review_policy.review_state), kept current by every review filed
    review_status: Mapped[str] = mapped_column(String(20), default="unreviewed", server_default="unreviewed")
    review_verdict: Mapped[str | None] = mapped_column(String(20))
    review_severity: Mapped[str | None] = mapped_column(String(16))
    # "machine", or "reviewer": a finding the machine missed, added by a person (its "added" review chains it)
    source: Mapped[str] = mapped_column(String(16), default="machine", server_default="machine")


class CallItemRow(Base):
    """A call-level item a person judges like a finding: a call-time violation, a review reason no finding carries,
    the machine verdict of a call with nothing else to judge (audit.review_policy.call_items), or a contact-frequency
    violation from the dial logs (audit.review_policy.contact_item)."""
    __tablename__ = "call_items"
    id: Mapped[int] = mapped_column(primary_key=True)
    audit_pk: Mapped[int] = mapped_column(ForeignKey("audits.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    text: Mapped[str] = mapped_column(Text)
    review_status: Mapped[str] = mapped_column(String(20), default="unreviewed", server_default="unreviewed")
    review_verdict: Mapped[str | None] = mapped_column(String(20))
    # a contact-frequency item's rule, severity and identity (rule|debtor|number|day): what keeps a re-import or a
    # re-check from adding it twice
    rule_id: Mapped[str | None] = mapped_column(String(40))
    severity: Mapped[str | None] = mapped_column(String(16))
    item_key: Mapped[str | None] = mapped_column(String(300), index=True)


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
    finding_pk: Mapped[int | None] = mapped_column(ForeignKey("findings.id"), index=True)  # one of these two
    item_pk: Mapped[int | None] = mapped_column(ForeignKey("call_items.id"), index=True)
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


class SampleDrawRow(Base):
    """One 抽检 draw: which plan (by content version) picked calls of which days, with which seed."""
    __tablename__ = "sample_draws"
    id: Mapped[int] = mapped_column(primary_key=True)
    plan: Mapped[str] = mapped_column(String(100))
    plan_version: Mapped[str] = mapped_column(String(40))
    seed: Mapped[str] = mapped_column(String(64))
    since: Mapped[str] = mapped_column(String(10))
    until: Mapped[str] = mapped_column(String(10))
    pool: Mapped[int] = mapped_column(Integer)  # unflagged calls in the period, the population sampled
    calls: Mapped[int] = mapped_column(Integer)
    drawn_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[str] = mapped_column(String(40))


class SampleRow(Base):
    """A call a draw sent to people: why (rate, boost, new_agent), its stratum (agent and ISO week) and its weight
    (calls of the stratum per call drawn), which turns sampled misses into an estimate for all unflagged calls."""
    __tablename__ = "samples"
    __table_args__ = (UniqueConstraint("draw_pk", "call_pk"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    draw_pk: Mapped[int] = mapped_column(ForeignKey("sample_draws.id"), index=True)
    call_pk: Mapped[int] = mapped_column(ForeignKey("calls.id"), index=True)
    reason: Mapped[str] = mapped_column(String(16))
    stratum: Mapped[str] = mapped_column(String(120))
    flagged: Mapped[bool] = mapped_column(Boolean)  # the machine had flagged it (a new agent's call)
    weight: Mapped[float] = mapped_column(Float)


class SampleRunRow(Base):
    """One run of ``audit sample`` (or the app's 「立即抽取」): when, by whom, which period, and the draw it recorded
    or found already recorded (draw_pk None when it failed: ``problem`` says why). What the app shows of the
    schedule."""
    __tablename__ = "sample_runs"
    id: Mapped[int] = mapped_column(primary_key=True)
    plan: Mapped[str] = mapped_column(String(100))
    plan_version: Mapped[str] = mapped_column(String(40))
    since: Mapped[str | None] = mapped_column(String(10))
    until: Mapped[str | None] = mapped_column(String(10))
    draw_pk: Mapped[int | None] = mapped_column(ForeignKey("sample_draws.id"))
    new_draw: Mapped[bool] = mapped_column(Boolean)  # False: the same draw was already recorded
    calls: Mapped[int] = mapped_column(Integer)
    ran_by: Mapped[str] = mapped_column(String(200))
    ran_at: Mapped[str] = mapped_column(String(40), index=True)
    problem: Mapped[str | None] = mapped_column(Text)


class SampleVerdictRow(Base):
    """A reviewer's verdict on a whole sampled call (合格 pass / 不合格 fail, with the categories the machine missed);
    hash-chained like the reviews."""
    __tablename__ = "sample_verdicts"
    id: Mapped[int] = mapped_column(primary_key=True)
    call_pk: Mapped[int] = mapped_column(ForeignKey("calls.id"), index=True)
    reviewer: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[str] = mapped_column(String(40))
    verdict: Mapped[str] = mapped_column(String(16))
    missed: Mapped[str] = mapped_column(Text)  # JSON list of categories
    note: Mapped[str] = mapped_column(Text, default="")
    prev_hash: Mapped[str] = mapped_column(String(64))
    row_hash: Mapped[str] = mapped_column(String(64), unique=True)


class QaSettingRow(Base):
    """A setting of the QA loop an admin changes (e.g. the precision under which a rule is listed), and who did."""
    __tablename__ = "qa_settings"
    key: Mapped[str] = mapped_column(String(60), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
    set_by: Mapped[str] = mapped_column(String(200))
    set_at: Mapped[str] = mapped_column(String(40))


class DialRow(Base):
    """One attempt of a dial log: answered or not; a recording's call id when there is one."""
    __tablename__ = "dials"
    __table_args__ = (UniqueConstraint("debtor_id", "number", "dialed_at", name="uq_dials_attempt"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    debtor_id: Mapped[str] = mapped_column(String(100), index=True)
    number: Mapped[str] = mapped_column(String(40))
    dialed_at: Mapped[str] = mapped_column(String(40))
    day: Mapped[str] = mapped_column(String(10))  # the local day of dialed_at, as its own UTC offset gives it
    answered: Mapped[bool] = mapped_column(Boolean)
    agent_id: Mapped[str | None] = mapped_column(String(100))
    call_id: Mapped[str | None] = mapped_column(String(200), index=True)
    source: Mapped[str] = mapped_column(Text)
    imported_at: Mapped[str] = mapped_column(String(40))


class ContactViolationRow(Base):
    """A debtor (or number) and day over a contact-frequency limit of the profile, on one call involved (call_id
    None when no recorded call was: unanswered attempts)."""
    __tablename__ = "contact_violations"
    id: Mapped[int] = mapped_column(primary_key=True)
    rule_id: Mapped[str] = mapped_column(String(40))
    debtor_id: Mapped[str] = mapped_column(String(100), index=True)
    number: Mapped[str | None] = mapped_column(String(40))
    day: Mapped[str] = mapped_column(String(10), index=True)
    window_days: Mapped[int] = mapped_column(Integer)
    max_contacts: Mapped[int] = mapped_column(Integer)
    counted: Mapped[int] = mapped_column(Integer)
    call_id: Mapped[str | None] = mapped_column(String(200), index=True)
    severity: Mapped[str] = mapped_column(String(16))
    basis: Mapped[str] = mapped_column(Text)  # JSON list
    explanation: Mapped[str] = mapped_column(Text)
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
FIRST_REVISION = "0001"  # what a database with tables but no Alembic revision is stamped as: it has those tables


def _alembic_config(connection):
    """Alembic's settings in code, the migrations to run on ``connection``: no alembic.ini to keep in step."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def migrate(engine) -> None:
    """Bring the schema to the newest migration. A database that has tables but no Alembic revision (0.1.0 created
    its tables directly) is first marked as being at the first migration, whose tables it already has."""
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

