"""Findings a reviewer adds where the machine missed one: placed in the transcript, chained in the trail, counted for
the agent like an upheld finding, exported with ``source: reviewer``, counted as misses in recall, kept on re-audit."""

import csv

import pytest
from sqlalchemy import update
from typer.testing import CliRunner

from audit.aggregate import agent_scorecards
from audit.auditor import Auditor
from audit.cli import app
from audit.export import export_package
from audit.qa import accuracy
from audit.reviewer_findings import ReviewerFindingError, parse_audio_time, place
from audit.scan import audit_to_line
from audit.storage import FindingRow, Store
from qa_calls import TURNS, segmented_call as transcript

@pytest.fixture(scope="module")
def auditor():
    return Auditor()


@pytest.fixture
def store(tmp_path, auditor):
    store = Store(tmp_path / "audit.db")
    for call_id, agent in (("r1", "A1"), ("r2", "A1"), ("r3", "A2")):
        t = transcript(call_id, agent)
        audit = auditor.audit_transcript(t)
        assert audit.verdict == "pass" and not audit.findings, audit  # the machine missed it
        store.save(t, audit, audit_to_line(audit))
    return store


def agent_row(store, agent):
    table = agent_scorecards(**store.aggregate_rows())
    return table[table["agent_id"] == agent].iloc[0]


@pytest.mark.parametrize(("where", "turn", "char_start", "quote"), [
    (dict(turn=2, quote="你家里人也不好过"), 2, TURNS[2][1].index("你家里人也"), "你家里人也不好过"),
    (dict(turn=4), 4, 0, TURNS[4][1]),  # the whole turn
    (dict(at_s=9.0), 2, 0, TURNS[2][1]),  # the turn said at 9 s
    (dict(at_s=15.2), 3, None, None),  # a customer's turn: refused
    (dict(turn=2, quote="没说过的话"), 2, None, None),
    (dict(turn=9), 9, None, None),
])
def test_a_missed_finding_is_placed_on_the_agents_words_or_refused(where, turn, char_start, quote):
    body = transcript("x", "A1").to_dict()
    if quote is None:
        with pytest.raises(ReviewerFindingError):
            place(body, "intimidation", "critical", "", **where)
        return
    missed = place(body, "intimidation", "critical", " 威胁人身安全 ", **where)
    assert (missed.turn, missed.char_start, missed.quote, missed.note) == (turn, char_start, quote, "威胁人身安全")
    assert missed.char_end == missed.char_start + len(quote) and missed.speaker == "agent"


@pytest.mark.parametrize(("typed", "seconds"), [
    ("83.5", 83.5), ("83", 83.0), ("1:23", 83.0), ("1:23.5", 83.5), (" 0:09 ", 9.0), ("1：23", 83.0),  # full-width
    ("1:02:03", 3723.0), ("0:00", 0.0), (".5", 0.5),
])
def test_a_time_in_the_audio_is_read_as_seconds_or_minutes_and_seconds(typed, seconds):
    assert parse_audio_time(typed) == seconds


@pytest.mark.parametrize("typed", ["", "abc", "-3", "1:60", "1:60:00", "1:2:3:4", "1.5:20", "1 :23", "1:23:"])
def test_what_is_not_a_time_in_the_audio_is_refused_saying_how_to_write_one(typed):
    with pytest.raises(ReviewerFindingError, match=r"not a time in the audio: write seconds \(83.5\) or "
                                                   r"minutes:seconds \(1:23\)"):
        parse_audio_time(typed)


@pytest.mark.parametrize(("at_s", "problem"), [
    (17.5, r"0:17.5 \(17.5 s\) is past the call's end at 0:17 \(17 s\)"),
    (83.0, r"1:23 \(83 s\) is past the call's end at 0:17"),
    (-1.0, "not a time in the audio"),
])
def test_a_time_past_the_calls_end_is_refused_naming_the_end(at_s, problem):
    with pytest.raises(ReviewerFindingError, match=problem):
        place(transcript("x", "A1").to_dict(), "intimidation", "critical", "", at_s=at_s)


def test_the_calls_last_moment_places_on_its_last_turn():
    assert place(transcript("x", "A1").to_dict(), "intimidation", "critical", "", at_s=17.0).turn == 4


@pytest.mark.parametrize(("category", "severity"), [("threats", "critical"), ("intimidation", "huge")])
def test_an_unknown_category_or_severity_is_refused(category, severity):
    with pytest.raises(ReviewerFindingError, match=category if category == "threats" else severity):
        place(transcript("x", "A1").to_dict(), category, severity, "", turn=2)


def test_a_reviewer_added_finding_changes_the_agents_figures_and_the_call(store):
    before = agent_row(store, "A1")
    assert (before["pass_rate"], before["critical_per_100"]) == (1.0, 0.0)
    finding, review = store.add_reviewer_finding("r1", "质检员甲", "intimidation", "critical", "暗示人身威胁",
                                                 turn=2, quote="你家里人也不好过")
    assert (finding.source, review.verdict, review.finding_pk) == ("reviewer", "added", finding.id)
    detail = store.call_detail("r1")
    assert detail["audit"]["reviewed_verdict"] == "fail" and detail["result"].critical
    assert detail["audit"]["reviewed_score"] < detail["audit"]["score"]
    [added] = [f for f in detail["findings"] if f["source"] == "reviewer"]
    assert (added["review_status"], added["explanation"]) == ("upheld", "暗示人身威胁")
    after = agent_row(store, "A1")
    assert (after["pass_rate"], after["critical_per_100"], after["findings_intimidation"]) == (0.5, 50.0, 1)
    assert after["mean_score"] < before["mean_score"]
    assert agent_row(store, "A2")["critical_per_100"] == 0.0  # another agent's figures stay
    raw = agent_scorecards(**store.aggregate_rows(), reviewed=False)
    assert raw[raw["agent_id"] == "A1"].iloc[0]["critical_per_100"] == 0.0  # not the machine's view


def test_an_upheld_appeal_takes_a_reviewer_added_finding_back_out(store):
    finding, _ = store.add_reviewer_finding("r1", "质检员甲", "intimidation", "critical", turn=2)
    store.add_review(finding.id, "坐席A1", "appeal")
    store.add_review(finding.id, "组长", "appeal_upheld")
    assert store.call_detail("r1")["audit"]["reviewed_verdict"] == "pass"


def test_the_export_carries_reviewer_added_findings_with_their_source(store, tmp_path):
    store.add_reviewer_finding("r2", "质检员甲", "intimidation", "major", "夜路", turn=2, quote="你家里人也不好过")
    export_package(store, tmp_path / "pkg", exported_by="t")
    with open(tmp_path / "pkg" / "findings.csv", encoding="utf-8-sig") as handle:
        rows = list(csv.DictReader(handle))
    assert [(r["call_id"], r["source"], r["rule_id"], r["quote"], r["counts_against_agent"]) for r in rows] == [
        ("r2", "reviewer", "REVIEWER", "你家里人也不好过", "True")]
    with open(tmp_path / "pkg" / "calls.csv", encoding="utf-8-sig") as handle:
        calls = {r["call_id"]: r for r in csv.DictReader(handle)}
    assert calls["r2"]["machine_verdict"] == "pass"
    assert float(calls["r2"]["reviewed_score"]) < float(calls["r2"]["machine_score"])


@pytest.mark.parametrize("column, value", [("category", "insult"), ("quote", "家里人"), ("severity", "minor"),
                                           ("explanation", "改过的备注")])
def test_editing_a_reviewer_added_finding_breaks_the_trail(store, column, value):
    finding, _ = store.add_reviewer_finding("r1", "质检员甲", "intimidation", "critical", "原备注", turn=2,
                                            quote="你家里人也不好过")
    assert store.verify_trail().ok
    with store.session() as session, session.begin():
        session.execute(update(FindingRow).where(FindingRow.id == finding.id).values({column: value}))
    check = store.verify_trail()
    assert not check.ok and "edited" in check.problem


def test_recall_counts_reviewer_added_findings_as_misses_and_precision_leaves_them_out(store):
    store.add_reviewer_finding("r1", "质检员甲", "intimidation", "critical", turn=2, quote="你家里人也不好过")
    store.add_reviewer_finding("r3", "质检员乙", "intimidation", "critical", turn=2, quote="你家里人也不好过")
    report = accuracy.accuracy_report(store)
    assert all(p.key != "REVIEWER" for p in report.rules + report.reader)
    [recall] = [r for r in report.recall if r.category == "intimidation"]
    assert (recall.found_calls, recall.missed_added, recall.missed_estimate) == (0, 2, 2.0)


def test_a_re_audit_keeps_what_a_reviewer_added(store, auditor):
    finding, _ = store.add_reviewer_finding("r1", "质检员甲", "intimidation", "critical", turn=2)
    t = transcript("r1", "A1")
    audit = auditor.audit_transcript(t)
    store.save(t, audit.__class__(**{**audit.__dict__, "rule_pack_version": "another"}), audit_to_line(audit))
    detail = store.call_detail("r1")
    assert detail["audit"]["audits_of_call"] == 2
    [carried] = [f for f in detail["findings"] if f["source"] == "reviewer"]
    assert carried["finding_id"] != finding.id and carried["review_status"] == "upheld"
    assert detail["audit"]["reviewed_verdict"] == "fail" and store.verify_trail().ok


def test_review_add_on_the_command_line(store, tmp_path):
    db = store.url.removeprefix("sqlite:///")
    result = CliRunner().invoke(app, ["review", "add", "r3", "--turn", "2", "--quote", "你家里人也不好过", "--category",
                                      "intimidation", "--severity", "critical", "--note", "漏检", "--reviewer", "乙",
                                      "--db", db])
    assert result.exit_code == 0, result.output
    assert "added to r3" in result.output and store.call_detail("r3")["audit"]["reviewed_verdict"] == "fail"
    bad = CliRunner().invoke(app, ["review", "add", "r3", "--turn", "1", "--category", "intimidation", "--severity",
                                   "critical", "--reviewer", "乙", "--db", db])
    assert bad.exit_code == 2 and "customer" in bad.output


@pytest.mark.parametrize(("at", "stored_start_s", "exit_code", "says"), [
    ("0:09", 9.0, 0, "turn 2"), ("9", 9.0, 0, "turn 2"), ("0:18", None, 2, "past the call's end at 0:17"),
    ("nine", None, 2, "not a time in the audio"),
])
def test_review_add_at_a_time_in_the_audio_on_the_command_line(store, at, stored_start_s, exit_code, says):
    db = store.url.removeprefix("sqlite:///")
    result = CliRunner().invoke(app, ["review", "add", "r3", "--at", at, "--category", "intimidation", "--severity",
                                      "critical", "--reviewer", "乙", "--db", db])
    assert result.exit_code == exit_code and says in result.output, result.output
    added = [f for f in store.call_detail("r3")["findings"] if f["source"] == "reviewer"]
    assert [(f["turn"], f["start_s"]) for f in added] == ([(2, stored_start_s)] if stored_start_s else [])
