"""Scorecards from hand-built storage rows: reviewer verdicts applied (the calls' results after review computed by
the review policy, as the storage layer keeps them), raw figures beside them."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from audit.aggregate import (AGENT_COLUMNS, TEAM_COLUMNS, TREND_COLUMNS, agent_scorecards, raw_and_reviewed,
                             team_scorecards, weekly_trend)
from audit.review_policy import call_items, call_result
from audit.scorecard import REASON_UNVERIFIABLE, REASON_VULNERABLE


def call(call_id, agent_id="a1", *, team="east", started_at="2024-03-05T10:00:00+08:00", score=80.0,
         verdict="pass", call_time_violation=False, agent_name=None):
    return dict(call_id=call_id, agent_id=agent_id, agent_name=agent_name or agent_id.upper(), team=team,
                started_at=started_at, score=score, verdict=verdict, call_time_violation=call_time_violation,
                reviewed_verdict=verdict, reviewed_score=score, reviewed_critical=call_time_violation)


def after_review(calls, findings, reasons=(), item_verdict=None):
    """The calls with their results after review, as ``audit.storage`` keeps them (no scorecard: scores stand)."""
    done = []
    for c in calls:
        mine = [f for f in findings if f["call_id"] == c["call_id"]]
        line = {"verdict": c["verdict"], "score": c["score"], "call_time_violation": c["call_time_violation"],
                "critical": c["verdict"] == "fail", "review_reasons": list(reasons), "findings": mine}
        items = [{"kind": i.kind, "review_status": item_verdict or "unreviewed", "review_verdict": item_verdict}
                 for i in call_items(line)]
        result = call_result(line, mine, items, None)
        done.append(c | {"reviewed_verdict": result.verdict, "reviewed_score": result.score,
                         "reviewed_critical": result.critical})
    return done


def finding(call_id, finding_id=1, *, category="threat", severity="critical", speaker="agent", review=None,
            review_severity=None):
    return dict(call_id=call_id, finding_id=finding_id, category=category, severity=severity, speaker=speaker,
                review_verdict=review, review_severity=review_severity, review_status=review or "unreviewed")


def disclosure(call_id, status, disclosure_id="identity"):
    return dict(call_id=call_id, disclosure=disclosure_id, status=status)


def signal(call_id, name):
    return dict(call_id=call_id, signal=name)


def only_row(table: pd.DataFrame) -> pd.Series:
    assert len(table) == 1
    return table.iloc[0]


# --- reviews --------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("reviewed, pass_rate, critical_per_100, threats", [
    (True, 1.0, 0.0, 0),
    (False, 0.0, 100.0, 1),
])
def test_dismissed_critical_finding_passes_a_failing_call_only_after_reviews(reviewed, pass_rate, critical_per_100,
                                                                             threats):
    findings = [finding("c1", review="dismissed")]
    calls = after_review([call("c1", verdict="fail", score=60.0)], findings)
    row = only_row(agent_scorecards(calls, findings, [], [], reviewed=reviewed))
    assert (row.pass_rate, row.critical_per_100, row.findings_threat) == (pass_rate, critical_per_100, threats)
    assert row.mean_score == 60.0  # no scorecard to rescore with here: the score stands


@pytest.mark.parametrize("severity, review_severity, reviewed, critical_per_100, pass_rate", [
    ("critical", "major", True, 0.0, 1.0),    # downgraded: no longer critical
    ("critical", "major", False, 100.0, 0.0),
    ("major", "critical", True, 100.0, 0.0),  # upgraded: critical, and the call fails
    ("major", "critical", False, 0.0, 1.0),
])
def test_severity_changed_review_decides_whether_the_finding_is_critical(severity, review_severity, reviewed,
                                                                          critical_per_100, pass_rate):
    verdict = "fail" if severity == "critical" else "pass"
    findings = [finding("c1", severity=severity, review="severity_changed", review_severity=review_severity)]
    calls = after_review([call("c1", verdict=verdict)], findings)
    row = only_row(agent_scorecards(calls, findings, [], [], reviewed=reviewed))
    assert (row.critical_per_100, row.pass_rate) == (critical_per_100, pass_rate)
    assert row.findings_threat == 1  # still a finding, whatever its severity


@pytest.mark.parametrize("speaker, review, reviewed, counted", [
    ("unknown", "upheld", True, 1),
    ("unknown", "severity_changed", True, 1),  # a severity change confirms the finding
    ("unknown", None, True, 0),
    ("unknown", "dismissed", True, 0),
    ("unknown", "upheld", False, 0),  # raw figures: machine view, agent turns only
    ("agent", None, True, 1),
    ("agent", "upheld", True, 1),
    ("agent", "dismissed", True, 0),
    ("agent", "dismissed", False, 1),
])
def test_which_findings_count_toward_the_agent(speaker, review, reviewed, counted):
    findings = [finding("c1", category="abuse", severity="critical", speaker=speaker, review=review,
                        review_severity="critical" if review == "severity_changed" else None)]
    calls = after_review([call("c1", verdict="review")], findings)
    row = only_row(agent_scorecards(calls, findings, [], [], reviewed=reviewed))
    assert row.findings_abuse == counted
    assert row.critical_per_100 == 100.0 * counted


@pytest.mark.parametrize("machine, findings, reasons, item_verdict, expected", [
    ("review", [finding("c1", speaker="unknown", severity="major")], [], None, "review"),  # not reviewed yet
    ("review", [finding("c1", speaker="unknown", severity="major", review="dismissed")], [], None, "pass"),
    ("review", [finding("c1", speaker="unknown", severity="major", review="upheld")], [], None, "pass"),
    ("review", [finding("c1", speaker="unknown", severity="critical", review="upheld")], [], None, "fail"),
    ("review", [finding("c1", review="dismissed")], [REASON_VULNERABLE], None, "review"),  # the reason is open
    ("review", [finding("c1", review="dismissed")], [REASON_VULNERABLE], "upheld", "pass"),  # ... and closed
    ("review", [finding("c1", review="dismissed")], [REASON_UNVERIFIABLE], None, "review"),
    ("fail", [finding("c1", review="dismissed"), finding("c1", 2, severity="minor")], [], None, "pass"),
    ("pass", [], [], None, "pass"),
])
def test_reviewed_verdict(machine, findings, reasons, item_verdict, expected):
    calls = after_review([call("c1", verdict=machine)], findings, reasons, item_verdict)
    row = only_row(agent_scorecards(calls, findings, [], []))
    assert row.pass_rate == (1.0 if expected == "pass" else 0.0)
    assert row.critical_per_100 == (100.0 if expected == "fail" else 0.0)


@pytest.mark.parametrize("item_verdict, critical_per_100, pass_rate", [
    (None, 100.0, 0.0), ("upheld", 100.0, 0.0),
    ("dismissed", 0.0, 1.0),  # e.g. the start time in the metadata was wrong
])
def test_call_time_violation_fails_the_call_until_a_reviewer_dismisses_it(item_verdict, critical_per_100, pass_rate):
    findings = [finding("c1", review="dismissed")]
    calls = after_review([call("c1", verdict="fail", call_time_violation=True)], findings, item_verdict=item_verdict)
    row = only_row(agent_scorecards(calls, findings, [], []))
    assert (row.critical_per_100, row.pass_rate) == (critical_per_100, pass_rate)


# --- measures -------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("statuses, rate", [
    (["present", "present", "missing"], 2 / 3),
    (["present", "missing", "not_applicable", "unverifiable"], 0.5),
    (["present", "not_applicable"], 1.0),
    (["missing", "unverifiable"], 0.0),
    (["not_applicable", "unverifiable"], None),  # nothing to judge: NaN, not 0
])
def test_compliance_rate_ignores_not_applicable_and_unverifiable(statuses, rate):
    calls = [call(f"c{i}") for i in range(len(statuses))]
    disclosures = [disclosure(f"c{i}", status) for i, status in enumerate(statuses)]
    got = only_row(agent_scorecards(calls, [], disclosures, [])).disclosure_identity
    assert math.isnan(got) if rate is None else got == pytest.approx(rate)


def test_figures_per_100_calls_count_calls_not_signals():
    findings = [finding("c0"), finding("c0", 2)]  # two critical findings, one critical call
    calls = after_review([call(f"c{i}", verdict="fail" if i == 0 else "pass") for i in range(8)], findings)
    signals = [signal("c1", "complaint_intent"), signal("c1", "complaint_intent"),
               signal("c2", "vulnerability"), signal("c3", "vulnerability"), signal("c4", "promise_to_pay")]
    row = only_row(agent_scorecards(calls, findings, [], signals))
    assert (row.calls, row.critical_per_100, row.complaints_per_100, row.vulnerability_per_100) == (8, 12.5, 12.5, 25.0)
    assert row.findings_threat == 2


def test_mean_and_median_score():
    calls = [call("c1", score=50.0), call("c2", score=70.0), call("c3", score=100.0)]
    row = only_row(agent_scorecards(calls, [], [], []))
    assert (row.mean_score, row.median_score) == (pytest.approx(220 / 3), 70.0)


def test_team_roll_up_sums_calls_across_agents():
    calls = [call("c1", "a1", score=100.0), call("c2", "a1", score=90.0), call("c3", "a2", score=40.0),
             call("c4", "a3", team="west", score=70.0)]
    findings = [finding("c1", category="abuse", severity="minor"), finding("c3", category="abuse", severity="major")]
    table = team_scorecards(calls, findings, [], []).set_index("team")
    assert table.loc["east", ["agents", "calls", "findings_abuse"]].tolist() == [2, 3, 2]
    assert table.loc["east", "mean_score"] == pytest.approx(230 / 3)  # over calls, not a mean of agent means
    assert table.loc["west", ["agents", "calls"]].tolist() == [1, 1]


def test_ranking_by_critical_rate_then_mean_score():
    calls = [call("b1", "bad", score=99.0, verdict="fail"), call("b2", "bad", score=99.0),
             call("g1", "good", score=90.0), call("t1", "tie", score=90.0), call("s1", "strong", score=95.0)]
    table = agent_scorecards(after_review(calls, [finding("b1")]), [finding("b1")], [], [])
    assert table[["agent_id", "rank"]].values.tolist() == [["strong", 1], ["good", 2], ["tie", 2], ["bad", 4]]


# --- trend and filters ----------------------------------------------------------------------------------------------

def test_weekly_trend_buckets_by_the_local_week():
    calls = [call("c1", started_at="2024-03-04T09:00:00+08:00", score=60.0),   # Monday
             call("c2", started_at="2024-03-10T23:30:00+08:00", score=80.0),   # Sunday, same week
             call("c3", started_at="2024-03-11T00:30:00+08:00", score=90.0),   # Monday local (Sunday in UTC)
             call("c4", "a2", started_at="2024-03-06T12:00:00-05:00"),
             call("c5", started_at=None)]                                       # no date: no week
    table = weekly_trend(calls, [], [], [])
    assert list(table.columns) == TREND_COLUMNS
    assert table[["week_start", "agent_id", "calls", "mean_score"]].values.tolist() == [
        [pd.Timestamp("2024-03-04"), "a1", 2, 70.0],
        [pd.Timestamp("2024-03-04"), "a2", 1, 80.0],
        [pd.Timestamp("2024-03-11"), "a1", 1, 90.0],
    ]
    assert weekly_trend(calls, [], [], [], agent_id="a2")["calls"].tolist() == [1]


@pytest.mark.parametrize("filters, expected_calls", [
    ({}, {"a1": 3, "a2": 1, "a3": 1}),
    ({"team": "west"}, {"a3": 1}),
    ({"since": "2024-03-05"}, {"a1": 2, "a2": 1, "a3": 1}),
    ({"until": "2024-03-05"}, {"a1": 2}),
    ({"since": "2024-03-05", "until": "2024-03-05T23:59:59+08:00"}, {"a1": 1}),
    ({"team": "east", "since": "2024-03-06"}, {"a1": 1, "a2": 1}),
    ({"team": "nowhere"}, {}),
])
def test_filters(filters, expected_calls):
    calls = [call("c1", started_at="2024-03-04T10:00:00+08:00"), call("c2", started_at="2024-03-05T23:50:00+08:00"),
             call("c3", started_at="2024-03-08T10:00:00+08:00"), call("c4", "a2", started_at="2024-03-06T01:00:00+08:00"),
             call("c5", "a3", team="west", started_at="2024-03-07T10:00:00+08:00")]
    table = agent_scorecards(calls, [], [], [], **filters)
    assert dict(zip(table.agent_id, table.calls)) == expected_calls


def test_findings_and_disclosure_columns_do_not_depend_on_filters_or_reviews():
    calls = [call("c1"), call("c2", team="west")]
    findings = [finding("c2", category="abuse", review="dismissed")]
    table = agent_scorecards(calls, findings, [disclosure("c2", "present", "recording")], [], team="east")
    assert ["findings_abuse", "disclosure_recording"] == [c for c in table.columns if c not in AGENT_COLUMNS][:-1]
    assert table.findings_abuse.tolist() == [0]


# --- toggle and empty input -----------------------------------------------------------------------------------------

def test_raw_and_reviewed_side_by_side():
    findings = [finding("c1", review="dismissed")]
    calls = after_review([call("c1", verdict="fail"), call("c2")], findings)
    table = raw_and_reviewed(calls, findings, [], [], team="east")
    row = only_row(table)
    assert list(table.columns[:4]) == ["agent_id", "agent_name", "team", "calls"]
    assert list(table.columns[4:8]) == ["mean_score_raw", "mean_score_reviewed", "median_score_raw",
                                        "median_score_reviewed"]
    assert (row.pass_rate_raw, row.pass_rate_reviewed) == (0.5, 1.0)
    assert (row.critical_per_100_raw, row.critical_per_100_reviewed) == (50.0, 0.0)
    assert (row.findings_threat_raw, row.findings_threat_reviewed) == (1, 0)


@pytest.mark.parametrize("function, columns", [
    (agent_scorecards, [*AGENT_COLUMNS, "rank"]),
    (team_scorecards, [*TEAM_COLUMNS, "rank"]),
    (weekly_trend, TREND_COLUMNS),
    (raw_and_reviewed, ["agent_id", "agent_name", "team", "calls", "mean_score_raw", "mean_score_reviewed"]),
])
def test_empty_input_gives_an_empty_table_with_the_columns(function, columns):
    table = function([], [], [], [])
    assert table.empty
    assert list(table.columns[:len(columns)]) == columns
