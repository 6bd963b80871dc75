"""The database on a real SQLite file: idempotent ingestion, audits per rule-pack version, the review trail."""

import dataclasses
import sqlite3

import pytest

from audit.auditor import Auditor
from audit.models import Turn
from audit.scan import audit_to_line
from audit.storage import Store, StorageError

TURNS = (Turn("agent", "您好，我是长河银行的王芳，工号八七二一，本次通话将被录音。请问是张伟本人吗？"),
         Turn("customer", "是我。"),
         Turn("agent", "你这个老赖，再不还我就找人收拾你。"))


@pytest.fixture(scope="module")
def audit():
    return Auditor().audit("call-1", TURNS, "2026-11-05T10:00:00+08:00", "Asia/Shanghai")


@pytest.fixture
def store(tmp_path):
    return Store(tmp_path / "audit.db")


def save(store, audit):
    return store.save(None, audit, audit_to_line(audit))


def test_saving_the_same_audit_twice_changes_nothing(store, audit):
    first = save(store, audit)
    counts = store.counts()
    assert save(store, audit) == first
    assert store.counts() == counts
    assert counts["calls"] == 1 and counts["audits"] == 1 and counts["findings"] == len(audit.findings) == 2
    assert counts["disclosures"] == 8


def test_new_rule_pack_version_adds_an_audit_and_keeps_the_old(store, audit):
    save(store, audit)
    save(store, dataclasses.replace(audit, rule_pack_version="0123456789ab"))
    save(store, dataclasses.replace(audit, scorecard="outsourced", scorecard_version="feedfacecafe"))
    assert store.counts()["audits"] == 3 and store.counts()["calls"] == 1


def test_findings_keep_their_evidence(store, audit):
    save(store, audit)
    stored = {f.category: f for f in store.findings("call-1")}
    assert stored["violence_threat"].quote in TURNS[2].text and stored["violence_threat"].turn == 2
    assert "刑法" in stored["violence_threat"].legal_basis


def test_reviews_chain_and_an_edited_row_is_detected(store, audit, tmp_path):
    save(store, audit)
    insult, threat = sorted(store.findings("call-1"), key=lambda f: f.category)
    store.add_review(threat.id, "质检-李", "upheld", "clear threat")
    store.add_review(insult.id, "质检-李", "severity_changed", "borderline", new_severity="minor")
    store.add_review(insult.id, "坐席-王芳", "appeal", "I was quoting the customer")
    assert store.verify_trail().ok and store.verify_trail().reviews == 3
    with sqlite3.connect(tmp_path / "audit.db") as raw:  # someone edits a verdict behind the tool's back
        raw.execute("UPDATE reviews SET verdict = 'dismissed' WHERE id = 1")
    check = store.verify_trail()
    assert not check.ok and "review 1" in check.problem and "edited" in check.problem


def test_a_deleted_review_breaks_the_chain(store, audit, tmp_path):
    save(store, audit)
    finding = store.findings("call-1")[0]
    for verdict in ("upheld", "dismissed", "upheld"):
        store.add_review(finding.id, "质检-李", verdict)
    with sqlite3.connect(tmp_path / "audit.db") as raw:
        raw.execute("DELETE FROM reviews WHERE id = 2")
    check = store.verify_trail()
    assert not check.ok and "review 3" in check.problem and "deleted" in check.problem


@pytest.mark.parametrize(
    ("verdict", "severity", "reviewer", "message"),
    [("maybe", None, "李", "not one of"), ("severity_changed", None, "李", "needs the new severity"),
     ("upheld", None, "  ", "reviewer's name")],
)
def test_bad_reviews_are_refused(store, audit, verdict, severity, reviewer, message):
    save(store, audit)
    finding = store.findings("call-1")[0]
    with pytest.raises(StorageError, match=message):
        store.add_review(finding.id, reviewer, verdict, new_severity=severity)
    assert store.counts()["reviews"] == 0


def test_one_call_id_for_two_recordings_is_refused(store, sample_transcripts):
    first, second = list(sample_transcripts.values())[:2]
    auditor = Auditor()
    store.save(first, auditor.audit_transcript(first), {})
    impostor = dataclasses.replace(second, call_id=first.call_id)
    with pytest.raises(StorageError, match="already stored for another recording"):
        store.save(impostor, auditor.audit_transcript(impostor), {})
    assert store.counts()["transcripts"] == 1


def test_unopenable_database_is_a_clear_error(tmp_path):
    (tmp_path / "a-file").write_text("not a folder")
    with pytest.raises(StorageError, match="cannot open the database"):
        Store(tmp_path / "a-file" / "audit.db")


def test_a_missing_folder_for_the_database_is_created(tmp_path):
    Store(tmp_path / "new" / "sub" / "audit.db")
    assert (tmp_path / "new" / "sub" / "audit.db").is_file()


def _schema(path):
    with sqlite3.connect(path) as raw:
        tables = [row[0] for row in raw.execute("SELECT name FROM sqlite_master WHERE type='table' ORDER BY name")]
        version = raw.execute("SELECT version_num FROM alembic_version").fetchall() if "alembic_version" in tables \
            else None
    return tables, version


def test_a_new_database_is_at_the_newest_migration(store, tmp_path):
    from alembic.script import ScriptDirectory

    from audit.storage import MIGRATIONS, _alembic_config

    tables, version = _schema(tmp_path / "audit.db")
    head = ScriptDirectory.from_config(_alembic_config(None)).get_current_head()
    newest = sorted(p.stem for p in (MIGRATIONS / "versions").glob("0*.py"))[-1]
    assert version == [(head,)] and head in (newest, newest[:4])  # "0004" for 0004_learned_reader.py, or the whole name
    assert {"calls", "transcripts", "audits", "findings", "disclosures", "signals", "reviews", "exports",
            "sign_in_attempts"} <= set(tables)


def test_a_database_from_before_migrations_is_upgraded_in_place_keeping_its_rows(audit, tmp_path):
    """0.1.0 created its tables directly (no alembic_version, no exports or users table): opening it keeps every row."""
    from alembic import command
    from sqlalchemy import create_engine

    from audit.storage import FIRST_REVISION, _alembic_config

    path = tmp_path / "old.db"
    with create_engine(f"sqlite:///{path}").begin() as connection:  # the first schema, as 0.1.0 made it
        command.upgrade(_alembic_config(connection), FIRST_REVISION)
        connection.exec_driver_sql("DROP TABLE alembic_version")
    with sqlite3.connect(path) as raw:
        raw.execute("INSERT INTO calls (call_id, audio_path, audio_sha256, created_at) VALUES ('old-1', '', '', 'x')")
    store = Store(path)
    tables, version = _schema(path)
    assert "exports" in tables and version and version[0][0] != "0001"
    assert store.counts()["calls"] == 1
    save(store, audit)  # and it works as a current database
    assert store.counts()["calls"] == 2


def test_an_edited_export_record_is_detected(store, audit, tmp_path):
    from audit.export import export_package

    save(store, audit)
    export_package(store, tmp_path / "package", exported_by="合规-赵")
    check = store.verify_trail()
    assert check.ok and check.exports == 1 and store.exports()[0].exported_by == "合规-赵"
    with sqlite3.connect(tmp_path / "audit.db") as raw:  # hide that the export was unmasked
        raw.execute("UPDATE exports SET masked = 0")
    check = store.verify_trail()
    assert not check.ok and "export 1" in check.problem


def test_a_dismissed_finding_stops_counting_in_the_agents_reviewed_figures(store):
    from audit.aggregate import agent_scorecards
    from audit.models import CallMetadata, Transcript

    auditor = Auditor()
    turns = (Turn("agent", "您好，我是长河银行的王芳，工号八七二一，本次通话将被录音。请问是张伟本人吗？"),
             Turn("customer", "是我。"), Turn("agent", "我是法院执行局的，马上来抓你。"))
    transcript = Transcript("c9", "ab" * 32, 60.0, "zh", "m", {}, (), metadata=CallMetadata(
        "c9", agent_id="A9", agent_name="王芳", team="一组", started_at="2026-11-05T10:00:00+08:00"))
    audit = auditor.audit("c9", turns, "2026-11-05T10:00:00+08:00")
    store.save(transcript, audit, audit_to_line(audit))
    before = agent_scorecards(**store.aggregate_rows()).iloc[0]
    assert before["critical_per_100"] == 100.0 and before["pass_rate"] == 0.0
    for finding in store.findings("c9"):
        store.add_review(finding.id, "质检-李", "dismissed", "recording of a role-play training call")
    after = agent_scorecards(**store.aggregate_rows()).iloc[0]
    raw = agent_scorecards(**store.aggregate_rows(), reviewed=False).iloc[0]
    assert after["critical_per_100"] == 0.0 and after["pass_rate"] == 1.0
    assert raw["critical_per_100"] == 100.0  # the machine's figures stay visible beside the reviewed ones


def test_verify_trail_command_exits_1_on_a_tampered_trail(store, audit, tmp_path):
    from typer.testing import CliRunner

    from audit.cli import app

    save(store, audit)
    store.add_review(store.findings("call-1")[0].id, "质检-李", "upheld")
    db = str(tmp_path / "audit.db")
    assert CliRunner().invoke(app, ["verify-trail", "--db", db]).exit_code == 0
    with sqlite3.connect(db) as raw:
        raw.execute("UPDATE reviews SET note = 'changed later' WHERE id = 1")
    result = CliRunner().invoke(app, ["verify-trail", "--db", db])
    assert result.exit_code == 1 and "edited" in result.output


def test_the_migrations_build_exactly_the_schema_the_models_describe(store):
    """A model changed without a migration would work on new databases and break every existing one."""
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    from audit.storage import Base

    with store.engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection, opts={"compare_type": True}),
                                       Base.metadata)
    assert differences == []
