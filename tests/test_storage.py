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
    with pytest.raises(StorageError, match="cannot open the database"):
        Store(tmp_path / "missing-folder" / "sub" / "audit.db")


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
