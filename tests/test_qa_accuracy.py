"""Accuracy from verdicts: the Wilson interval against a published table, precision per rule and per learned-reader
category read through the review trail, recall per category estimated from 抽检 verdicts, the admin's threshold."""

import json

import pytest
from typer.testing import CliRunner

from audit.cli import app
from audit.qa import accuracy, sampling
from audit.storage import FindingRow, Store
from qa_calls import CallFactory, days

# Newcombe (1998), "Two-sided confidence intervals for the single proportion", Statistics in Medicine 17:857-872,
# Table I, method 3 (Wilson score, no continuity correction), to 4 decimals.
NEWCOMBE_TABLE_I = [(81, 263, 0.2553, 0.3662), (15, 148, 0.0624, 0.1605), (0, 20, 0.0000, 0.1611),
                    (1, 29, 0.0061, 0.1718)]


@pytest.mark.parametrize("successes, trials, low, high", NEWCOMBE_TABLE_I)
def test_the_wilson_interval_matches_newcombes_table(successes, trials, low, high):
    got = accuracy.wilson_interval(successes, trials)
    assert (round(got[0], 4), round(got[1], 4)) == (low, high)


def test_the_wilson_interval_without_trials_says_nothing_is_known():
    assert accuracy.wilson_interval(0, 0) == (0.0, 1.0)
    low, high = accuracy.wilson_interval(10, 10)
    assert high == pytest.approx(1.0) and 0.69 < low < 0.73  # all right is still not certainty


@pytest.fixture(scope="module")
def factory():
    return CallFactory()


@pytest.fixture
def store(tmp_path, factory):
    store = Store(tmp_path / "audit.db")
    for i, day in enumerate(days("2026-11-09", 7)):
        for j in range(4):
            factory.add(store, f"t-{i}-{j}", f"A{j}", day, threat=True)
        for j in range(6):
            factory.add(store, f"c-{i}-{j}", f"A{j}", day)
    return store


def findings_by_rule(store):
    found = {}
    for call_id in (f"t-{i}-{j}" for i in range(7) for j in range(4)):
        for finding in store.findings(call_id):
            found.setdefault(finding.rule_id, []).append(finding)
    return found


def test_precision_per_rule_counts_upheld_and_severity_changed_as_right_and_follows_appeals(store):
    found = findings_by_rule(store)
    rule, findings = sorted(found.items())[0]
    verdicts = ["upheld"] * 5 + ["dismissed"] * 2 + ["severity_changed"]
    for finding, verdict in zip(findings, verdicts):
        store.add_review(finding.id, "质检-李", verdict, new_severity="major" if verdict == "severity_changed" else None)
    store.add_review(findings[0].id, "组长-赵", "appeal")  # pending: changes nothing
    store.add_review(findings[1].id, "质检-王", "appeal_upheld")  # the appeal won: now a false alarm
    report = accuracy.accuracy_report(store)
    row = next(p for p in report.rules if p.key == rule)
    assert (row.upheld, row.dismissed, row.severity_changed) == (4, 3, 1)
    assert row.precision == 5 / 8 and row.interval == accuracy.wilson_interval(5, 8)
    assert [p.key for p in report.below] == [rule]  # 62.5% is under the default 80%
    assert not report.reader  # no learned-reader finding was judged


def test_the_learned_readers_findings_count_per_category_not_per_rule(store):
    finding = next(iter(findings_by_rule(store).values()))[0]
    with store.session() as session, session.begin():  # as a finding of the learned reader is stored
        session.get(FindingRow, finding.id).match_kind = "model"
    store.add_review(finding.id, "质检-李", "dismissed")
    report = accuracy.accuracy_report(store)
    assert [(p.key, p.dismissed, p.model) for p in report.reader] == [(finding.category, 1, True)]
    assert not report.rules


def test_the_admins_threshold_is_kept_and_decides_which_rules_are_listed(store):
    rule, findings = sorted(findings_by_rule(store).items())[0]
    for finding, verdict in zip(findings, ["upheld"] * 9 + ["dismissed"]):
        store.add_review(finding.id, "质检-李", verdict)
    assert [p.key for p in accuracy.accuracy_report(store).below] == []  # 90% >= 80%
    accuracy.set_min_precision(store, 0.95, "合规-张 (root)")
    report = accuracy.accuracy_report(store)
    assert report.min_precision == 0.95 and [p.key for p in report.below] == [rule]
    assert store.qa_setting("min_precision")["set_by"] == "合规-张 (root)"
    with pytest.raises(ValueError):
        accuracy.set_min_precision(store, 1.5, "x")


def test_recall_scales_sampled_misses_by_their_weights_and_counts_a_new_agents_misses_as_they_are():
    reviewed = [{"call_id": f"t{i}", "category": "insult", "effect": "upheld"} for i in range(6)] + [
        {"call_id": "t9", "category": "insult", "effect": "dismissed"}]
    sampled = ([{"weight": 10.0, "flagged": False, "verdict": "fail", "missed": ["insult"]}]
               + [{"weight": 10.0, "flagged": False, "verdict": "pass", "missed": []}] * 9
               + [{"weight": 1.0, "flagged": True, "verdict": "fail", "missed": ["insult"]},
                  {"weight": 10.0, "flagged": False, "verdict": None, "missed": []}])  # no verdict yet: left out
    (row,) = accuracy.recall_table(reviewed, sampled, unflagged_calls=100)
    # 1 of 10 equally weighted sampled calls missed an insult: 10 of the 100 unflagged calls, plus the new agent's
    assert row.found_calls == 6 and row.missed_sampled == 2 and row.missed_estimate == pytest.approx(11.0)
    assert row.recall == pytest.approx(6 / 17)
    low, high = accuracy.wilson_interval(1, 10)
    assert row.interval == pytest.approx((6 / (6 + 100 * high + 1), 6 / (6 + 100 * low + 1)))


def test_unequal_weights_shrink_the_effective_sample():
    sampled = [{"weight": w, "flagged": False, "verdict": "pass", "missed": []} for w in (1.0, 1.0, 10.0, 10.0)]
    sampled[2] = sampled[2] | {"verdict": "fail", "missed": ["harassment"]}
    (row,) = accuracy.recall_table([], sampled, unflagged_calls=22)
    # p = 10/22 weighted; effective n = 22^2 / 202
    n_eff = 22 ** 2 / 202
    low, high = accuracy.wilson_interval(10 / 22 * n_eff, n_eff)
    assert row.missed_estimate == pytest.approx(10.0) and row.recall == 0.0
    assert row.interval == (0.0, 0.0)


def test_audit_accuracy_prints_precision_recall_and_the_rules_for_attention(store, tmp_path):
    plan = sampling.load_plan()
    result = sampling.draw(store, plan, "2026-11-09", "2026-11-15")
    clean = next(s.call_id for s in result.samples if not s.flagged)
    store.add_sample_verdict(clean, "质检-李", "fail", ["insult"])
    rule, findings = sorted(findings_by_rule(store).items())[0]
    store.add_review(findings[0].id, "质检-李", "dismissed")
    db = str(tmp_path / "audit.db")
    out = CliRunner().invoke(app, ["accuracy", "--db", db], terminal_width=200)
    assert out.exit_code == 0, out.output
    assert rule in out.output and "0.0%–" in out.output and "insult" in out.output
    assert f"for attention (not switched off): {rule} 0.0% (n=1)" in out.output
    refused = CliRunner().invoke(app, ["accuracy", "--db", db, "--set", "--min-precision", "0.5"])
    assert refused.exit_code == 2 and "--by" in refused.output
    saved = CliRunner().invoke(app, ["accuracy", "--db", db, "--set", "--min-precision", "0.5", "--by", "合规-张"])
    assert saved.exit_code == 0 and json.loads(store.qa_setting("min_precision")["value"]) == 0.5
