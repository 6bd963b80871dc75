"""The one review policy: what a verdict does to a finding or a call-level item, a call's verdict and score after its
reviews, and that every reader -- the call's page data, the queue, the overview, the agents' figures, the export and
``audit agents`` -- shows that same result. Real SQLite, real auditor, the 13 sample calls as scripted."""

import csv
import shutil
import sqlite3

import pytest
from typer.testing import CliRunner

from audit import review_policy
from audit.aggregate import agent_scorecards
from audit.auditor import Auditor
from audit.cli import app
from audit.export import export_package
from audit.models import CallMetadata
from audit.scan import audit_to_line
from audit.scorecard import REASON_MODEL, REASON_UNKNOWN_SPEAKER, REASON_VULNERABLE, load_scorecard
from audit.storage import Store
from conftest import load_script, script_transcript

NIGHT, VULNERABLE, INSULTS = "c08_late_night_2240", "c13_vulnerable_promise", "c05_insults"


@pytest.fixture
def store(scripted_db, tmp_path):
    shutil.copy(scripted_db, tmp_path / "audit.db")
    return Store(tmp_path / "audit.db")


def unreviewed(store, **filters) -> set[str]:
    return {row["call_id"] for row in store.queue_page(limit=100, review_status="unreviewed", **filters)[0]}


def queue_row(store, call_id):
    return next(row for row in store.queue_page(limit=100, review_status="all")[0] if row["call_id"] == call_id)


# -- the vocabulary ---------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("speaker", "verdict", "counts"), [
    ("agent", None, True), ("agent", "upheld", True), ("agent", "dismissed", False),
    ("unknown", None, False), ("unknown", "upheld", True), ("unknown", "severity_changed", True),
    ("customer", "upheld", False),
])
def test_which_findings_count_against_an_agent(speaker, verdict, counts):
    assert review_policy.counts_against_agent({"speaker": speaker, "review_verdict": verdict}) is counts


@pytest.mark.parametrize(("reviews", "state"), [
    ([], ("unreviewed", None, None)),
    ([("upheld", None)], ("upheld", "upheld", None)),
    ([("severity_changed", "critical")], ("severity_changed", "severity_changed", "critical")),
    ([("severity_changed", "critical"), ("upheld", None)], ("upheld", "upheld", "critical")),  # confirmed as changed
    ([("upheld", None), ("appeal", None)], ("appealed", "upheld", None)),  # counts as before, but open again
    ([("upheld", None), ("appeal", None), ("appeal_upheld", None)], ("dismissed", "dismissed", None)),
    ([("severity_changed", "minor"), ("appeal", None), ("appeal_rejected", None)], ("upheld", "upheld", "minor")),
    ([("appeal", None)], ("appealed", None, None)),
])
def test_a_findings_state_follows_its_reviews_in_trail_order(reviews, state):
    got = review_policy.review_state(reviews)
    assert (got.status, got.verdict, got.severity) == state


@pytest.mark.parametrize(("line", "kinds"), [
    ({"verdict": "fail", "call_time_violation": True, "call_time": {"explanation": "22:40"}}, ["call_time"]),
    ({"verdict": "review", "review_reasons": [REASON_VULNERABLE]}, ["review_reason"]),
    ({"verdict": "review", "review_reasons": [REASON_UNKNOWN_SPEAKER, REASON_MODEL], "findings": [{}]}, []),
    ({"verdict": "fail", "findings": []}, ["verdict"]),  # failed on points alone: the verdict itself is the item
    ({"verdict": "pass"}, []),
])
def test_call_level_items_are_what_no_finding_answers(line, kinds):
    assert [item.kind for item in review_policy.call_items(line)] == kinds


# -- the result after review, through every reader ----------------------------------------------------------------------

def test_without_reviews_every_call_keeps_its_machine_verdict_and_score(store):
    for call_id in store.audited_call_ids():
        detail = store.call_detail(call_id)
        audit, result = detail["audit"], detail["result"]
        assert (audit["reviewed_verdict"], audit["reviewed_score"]) == (audit["verdict"], audit["score"]), call_id
        assert (result.verdict, result.score) == (audit["verdict"], audit["score"]), call_id


def agents_row(store, agent_id):
    return agent_scorecards(**store.aggregate_rows()).set_index("agent_id").loc[agent_id]


def exported_calls(store, folder):
    export_package(store, folder)
    with open(folder / "calls.csv", encoding="utf-8-sig") as handle:
        calls = {row["call_id"]: row for row in csv.DictReader(handle)}
    with open(folder / "findings.csv", encoding="utf-8-sig") as handle:
        return calls, list(csv.DictReader(handle))


def pass_on_review(store, call_id: str) -> None:
    """The machine failed the call on its insults plus 「投诉去吧」 (a complaint dismissed); a reviewer dismisses the
    latter, and the call passes after review with its insults standing."""
    assert queue_row(store, call_id)["verdict"] == "fail"
    for finding in store.findings(call_id):
        if finding.category == "improper_conduct":
            store.add_review(finding.id, "质检-王", "dismissed", "客户先说要投诉，语气问题")
    assert queue_row(store, call_id)["verdict"] == "pass"


def test_a_raised_severity_fails_the_call_in_header_queue_overview_export_and_agents_alike(store, tmp_path):
    pass_on_review(store, INSULTS)
    before = agents_row(store, "A2002")
    failed_before = store.overview()["fail"]
    finding = next(f for f in store.findings(INSULTS) if f.category == "insult")
    store.add_review(finding.id, "质检-李", "severity_changed", "当面辱骂", "critical")

    assert store.call_detail(INSULTS)["result"].verdict == "fail"  # the call's header
    row = queue_row(store, INSULTS)
    assert (row["verdict"], row["machine_verdict"], row["worst"]) == ("fail", "fail", 0)
    assert store.overview()["fail"] == failed_before + 1
    calls, findings = exported_calls(store, tmp_path / "package")
    assert (calls[INSULTS]["machine_verdict"], calls[INSULTS]["reviewed_verdict"]) == ("fail", "fail")
    changed = next(f for f in findings if f["finding_id"] == str(finding.id))
    assert (changed["severity"], changed["review_status"], changed["reviewed_severity"]) == (
        "major", "severity_changed", "critical")
    after = agents_row(store, "A2002")
    assert after["pass_rate"] < before["pass_rate"] and after["critical_per_100"] > before["critical_per_100"]
    cli = CliRunner().invoke(app, ["agents", "--db", str(tmp_path / "audit.db")])
    assert cli.exit_code == 0 and f"{after['pass_rate']:.2f}" in cli.output


def test_a_dismissed_finding_stops_deducting_and_failing(store, tmp_path):
    machine = store.call_detail(INSULTS)
    deducted = sum(d["points"] for d in machine["audit"]["body"]["deductions"] if d["item"].startswith("finding:"))
    for finding in machine["findings"]:
        store.add_review(finding["finding_id"], "质检-李", "dismissed", "客户先骂")

    detail = store.call_detail(INSULTS)
    result = detail["result"]
    assert result.score == detail["audit"]["reviewed_score"] == queue_row(store, INSULTS)["score"]
    assert result.score == pytest.approx(machine["audit"]["score"] + deducted) and deducted > 0
    dismissed = [d for d in result.deductions if d["status"] == "dismissed"]
    assert len(dismissed) == len(machine["findings"]) and {d["points"] for d in dismissed} == {0.0}
    calls, findings = exported_calls(store, tmp_path / "package")
    assert float(calls[INSULTS]["reviewed_score"]) == result.score
    assert float(calls[INSULTS]["machine_score"]) == machine["audit"]["score"]
    assert {f["review_status"] for f in findings if f["call_id"] == INSULTS} == {"dismissed"}

    critical = store.findings("c12_unofficial_channel")  # a failing call: dismiss what failed it
    for f in critical:
        store.add_review(f.id, "质检-李", "dismissed")
    assert store.call_detail("c12_unofficial_channel")["result"].verdict == "pass"


def test_a_scorecard_points_a_raised_severity_by_its_new_severity():
    card = load_scorecard("default")
    line = {"verdict": "pass", "score": card.start - card.severity["minor"], "findings": [],
            "deductions": [{"item": "finding:improper_conduct", "points": card.severity["minor"], "reason": "x"}]}
    finding = {"finding_id": 1, "category": "improper_conduct", "severity": "minor", "speaker": "agent",
               "review_status": "severity_changed", "review_verdict": "severity_changed", "review_severity": "major"}
    if card.categories.get("improper_conduct") and card.categories["improper_conduct"].deduct is not None:
        pytest.skip("the default scorecard points improper_conduct by category, not severity")
    result = review_policy.call_result(line, [finding], [], card)
    assert result.score == card.start - card.severity["major"]


# -- the queue: every call that needs a person, until closed --------------------------------------------------------------

@pytest.mark.parametrize(("call_id", "kind"), [(NIGHT, "call_time"), (VULNERABLE, "review_reason")])
def test_night_and_vulnerable_calls_wait_in_the_default_queue_until_closed(store, call_id, kind):
    assert call_id in unreviewed(store)
    assert store.overview()["unreviewed"] == len(unreviewed(store))
    item = store.call_detail(call_id)["items"][0]
    assert item["kind"] == kind
    store.add_item_review(item["item_id"], "质检-李", "upheld", "已核实")
    assert call_id not in unreviewed(store)
    assert store.call_detail(call_id)["result"].closed
    assert store.verify_trail().ok
    trail = store.call_reviews(call_id)
    assert [(r["kind"], r["verdict"], r["reviewer"]) for r in trail] == [(kind, "upheld", "质检-李")]


def test_a_pending_appeal_reopens_a_closed_call(store):
    item = store.call_detail(NIGHT)["items"][0]
    store.add_item_review(item["item_id"], "质检-李", "upheld")
    store.add_item_review(item["item_id"], "组长-赵", "appeal", "客户约定晚上回电")
    assert NIGHT in unreviewed(store)
    store.add_item_review(item["item_id"], "质检-李", "appeal_upheld")
    assert NIGHT not in unreviewed(store)
    assert queue_row(store, NIGHT)["verdict"] == "pass"  # the quiet-hours violation no longer fails it


def test_a_dismissed_call_time_violation_no_longer_fails_the_call(store):
    item = store.call_detail(NIGHT)["items"][0]
    store.add_item_review(item["item_id"], "质检-李", "dismissed", "元数据时间有误")
    result = store.call_detail(NIGHT)["result"]
    assert (result.verdict, result.critical, result.score) == ("pass", False, 100.0)
    assert agents_row(store, "A1002")["critical_per_100"] == 0.0


@pytest.mark.parametrize("verdict", ["severity_changed", "nonsense"])
def test_a_call_level_item_refuses_a_verdict_it_cannot_take(store, verdict):
    from audit.storage import StorageError

    item = store.call_detail(NIGHT)["items"][0]
    with pytest.raises(StorageError, match="not one of"):
        store.add_item_review(item["item_id"], "质检-李", verdict)


def test_an_edited_item_review_breaks_the_trail(store, tmp_path):
    item = store.call_detail(VULNERABLE)["items"][0]
    store.add_item_review(item["item_id"], "质检-李", "upheld")
    with sqlite3.connect(tmp_path / "audit.db") as raw:
        raw.execute("UPDATE reviews SET verdict = 'dismissed' WHERE item_pk IS NOT NULL")
    check = store.verify_trail()
    assert not check.ok and "edited" in check.problem


def test_an_undated_upload_is_filed_under_the_day_it_was_audited_and_reaches_the_queue(store):
    script = load_script("c04_violence_threat") | {"call_id": "upload-1"}
    transcript = script_transcript(script, CallMetadata("upload-1", file="uploads/x/upload-1.opus"))  # no metadata
    audit = Auditor().audit_transcript(transcript)
    store.save(transcript, audit, audit_to_line(audit))

    call = store.call_detail("upload-1")["call"]
    assert call["undated"] and call["started_at"]
    day = call["started_at"][:10]
    assert store.filter_options()["last_day"] >= day
    assert "upload-1" in unreviewed(store, since=day, until=day)
    assert unreviewed(store, call_ids=("upload-1",)) == {"upload-1"}  # the batch's own queue
    assert not store.call_detail(NIGHT)["call"]["undated"]


def test_a_database_from_before_reviewable_items_gets_them_and_keeps_its_verdicts(store, tmp_path):
    from alembic import command
    from sqlalchemy import create_engine

    from audit.storage import _alembic_config

    finding = store.findings(INSULTS)[0]
    store.add_review(finding.id, "质检-李", "severity_changed", "", "critical")
    store.engine.dispose()
    with create_engine(f"sqlite:///{tmp_path / 'audit.db'}").begin() as connection:  # SQLite's foreign keys off,
        command.downgrade(_alembic_config(connection), "0004")  # as a table rebuilt in place needs

    upgraded = Store(tmp_path / "audit.db")
    assert NIGHT in unreviewed(upgraded) and VULNERABLE in unreviewed(upgraded)
    assert queue_row(upgraded, INSULTS)["verdict"] == "fail"
    assert upgraded.verify_trail().ok
