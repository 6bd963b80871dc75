"""What the review app shows, as data: dates people read, a call's time of day in the debtor's zone, the one-line
summary of what went wrong, quality measures against the scorecard's limits, and the score breakdown's items."""

import pytest

from audit.display import deduction_lines, local_minute, quality_measures, summary_items, time_of_day
from audit.scorecard import load_scorecard


@pytest.mark.parametrize(("stored", "shown"), [("2026-11-06T22:40:31+08:00", "2026-11-06 22:40"),
                                               ("2026-11-06T22:40:00", "2026-11-06 22:40"),
                                               ("", ""), (None, ""), ("not a date", "not a date")])
def test_a_moment_reads_as_date_hour_and_minute(stored, shown):
    assert local_minute(stored) == shown


@pytest.mark.parametrize(("started_at", "debtor_tz", "local", "zone"), [
    ("2026-11-05T22:40:00+08:00", "Asia/Shanghai", "2026-11-05 22:40", "Asia/Shanghai"),
    ("2026-11-05T22:40:00+08:00", "+06:00", "2026-11-05 20:40", "+06:00"),  # an offset, as CRMs export it
    ("2026-11-05T22:40:00+08:00", None, "2026-11-05 22:40", "+08:00"),  # the start time's own offset
    ("2026-11-05T12:00:00+08:00", "America/New_York", "2026-11-04 23:00", "America/New_York"),
])
def test_the_time_of_day_is_the_debtors(started_at, debtor_tz, local, zone):
    moment = time_of_day(started_at, debtor_tz)
    assert (moment.local, moment.zone) == (local, zone)


def test_an_unknown_start_has_no_time_of_day():
    assert time_of_day(None, "Asia/Shanghai") is None and time_of_day("yesterday", None) is None


def finding(finding_id, category, severity, start_s):
    return {"finding_id": finding_id, "category": category, "severity": severity, "start_s": start_s}


def test_the_summary_puts_the_night_first_then_the_worst_findings_then_what_the_customer_said():
    findings = [finding(1, "intimidation", "critical", 37.0), finding(2, "violence_threat", "critical", 46.0),
                finding(3, "intimidation", "critical", 50.0), finding(4, "insult", "major", 10.0),
                finding(5, "harassment", "minor", 5.0)]
    signals = [{"signal": "vulnerability", "start_s": 72.0}, {"signal": "promise_to_pay", "start_s": 80.0}]
    items = summary_items(findings, signals, call_time_violation=True, dismissed=[5])
    assert [(i.kind, i.code, i.start_s) for i in items] == [
        ("call_time", "call_time", None), ("category", "intimidation", 37.0), ("category", "violence_threat", 46.0),
        ("category", "insult", 10.0), ("signal", "vulnerability", 72.0)]


def test_a_severity_a_reviewer_changed_is_the_one_the_summary_ranks_by():
    lowered = {**finding(1, "violence_threat", "critical", 10.0), "effective_severity": "minor"}
    items = summary_items([lowered, finding(2, "insult", "major", 20.0)], [], False)
    assert [i.code for i in items] == ["insult", "violence_threat"]


def test_quality_measures_stand_beside_the_scorecards_limits():
    measures = {m.measure: m for m in quality_measures(
        {"agent_talk_share": 0.9, "agent_chars_per_min": 100.0, "overlap_count": None, "duration_s": 64.0},
        load_scorecard("default").quality)}
    assert (measures["agent_talk_share"].high, measures["agent_talk_share"].outside) == (0.85, True)
    assert (measures["agent_chars_per_min"].low, measures["agent_chars_per_min"].outside) == (120, True)
    assert not measures["overlap_count"].outside  # not measured is not a breach
    assert (measures["duration_s"].low, measures["duration_s"].high) == (None, None)


def test_score_breakdown_items_split_into_kind_code_and_evidence():
    lines = deduction_lines([
        {"item": "finding:intimidation", "points": 40, "reason": "CN-INT-001 去你小区转转 (turn 7, critical)"},
        {"item": "disclosure:recording_notice", "points": 10, "reason": "CN-DIS-006 缺少告知 missing recording_notice"},
        {"item": "quality:agent_talk_share", "points": 5, "reason": "0.9 above 0.85"},
        {"item": "call_time", "points": 40, "reason": "Call started between 22:00 and 08:00"}])
    assert [(l.kind, l.code, l.points, l.rule_id, l.quote, l.turn) for l in lines] == [
        ("finding", "intimidation", 40.0, "CN-INT-001", "去你小区转转", 7),
        ("disclosure", "recording_notice", 10.0, "CN-DIS-006", "", None),
        ("quality", "agent_talk_share", 5.0, "", "", None), ("call_time", "", 40.0, "", "", None)]
