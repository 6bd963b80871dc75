"""抽检: the plan file, the draw (rate and minimum per agent-week, new agents, the boost), its reproducibility and
record, and sampled calls in the review queue waiting for a whole-call verdict kept in a hash-chained trail."""

import dataclasses
import random
import sqlite3
from datetime import datetime

import pytest
from typer.testing import CliRunner

from audit.cli import app
from audit.errors import LexiconError
from audit.qa import sampling
from audit.reviewapp.queue import QueueFilters, queue_page
from audit.storage import Store, StorageError
from qa_calls import CallFactory, days

PLAN = sampling.load_plan("default")
WEEK = ("2026-11-09", "2026-11-15")  # Monday to Sunday


@pytest.fixture(scope="module")
def factory():
    return CallFactory()


def fill(store, factory):
    """Agents with history from October: A1 60 passed calls in the week, A2 10, A3 1 and 2 flagged; A9 is new
    (first call inside the week); A4 had no critical calls before and 2 of 10 in the week."""
    for i, day in enumerate(days("2026-10-05", 28)):  # four weeks before: one clean call a day each
        for agent in ("A1", "A2", "A3", "A4"):
            factory.add(store, f"old-{agent}-{i:02d}", agent, day)
    week = days(WEEK[0], 7)
    for i in range(60):
        factory.add(store, f"a1-{i:02d}", "A1", week[i % 7])
    for i in range(10):
        factory.add(store, f"a2-{i:02d}", "A2", week[i % 7])
    factory.add(store, "a3-00", "A3", week[0])
    for i in range(2):
        factory.add(store, f"a3-t{i}", "A3", week[1], threat=True)
    for i in range(5):
        factory.add(store, f"a9-{i:02d}", "A9", week[2 + i % 3], threat=i == 0)
    for i in range(10):
        factory.add(store, f"a4-{i:02d}", "A4", week[i % 7], threat=i < 2)


@pytest.fixture(scope="module")
def filled(factory, tmp_path_factory):
    path = tmp_path_factory.mktemp("sampling") / "audit.db"
    fill(Store(path), factory)
    return path


@pytest.fixture
def store(filled, tmp_path):
    copy = tmp_path / "audit.db"
    with sqlite3.connect(filled) as source, sqlite3.connect(copy) as target:
        source.backup(target)
    return Store(copy)


def by_stratum(result):
    counts = {}
    for s in result.samples:
        counts[s.stratum] = counts.get(s.stratum, 0) + 1
    return counts


def test_each_agent_week_gets_its_share_of_passed_calls_and_at_least_the_minimum(store):
    result = sampling.draw(store, PLAN, *WEEK)
    counts = by_stratum(result)
    assert counts["A1|2026-W46"] == 3  # ceil(5% of 60)
    assert counts["A2|2026-W46"] == 2  # 5% of 10 is 0.5: the minimum
    assert counts["A3|2026-W46"] == 1  # only one passed call: all of it; its flagged calls are the queue's
    weights = {s.stratum: s.weight for s in result.samples if s.reason != "new_agent"}
    assert weights["A1|2026-W46"] == 20 and weights["A2|2026-W46"] == 5 and weights["A3|2026-W46"] == 1
    assert not any(s.call_id.startswith("a3-t") for s in result.samples)
    assert result.pool == 60 + 10 + 1 + 8 + 4  # unflagged calls of the week (A9's four clean ones included)


def test_every_call_of_a_new_agents_first_two_weeks_is_sampled_flagged_or_not(store):
    result = sampling.draw(store, PLAN, *WEEK)
    new = sorted(s.call_id for s in result.samples if s.reason == "new_agent")
    assert new == [f"a9-{i:02d}" for i in range(5)]
    assert [s.flagged for s in result.samples if s.call_id == "a9-00"] == [True]


def test_an_agent_whose_critical_rate_after_review_rose_is_sampled_at_the_boost_rate(store):
    assert sampling.rising_agents(PLAN, store, *WEEK) == {"A3", "A4"}
    result = sampling.draw(store, PLAN, *WEEK)
    assert result.boosted == ("A3", "A4")
    assert by_stratum(result)["A4|2026-W46"] == 2  # 15% of its 8 passed calls, rounded up
    # dismissing A4's critical findings takes the rise away: after review it no longer rose
    for i in range(2):
        for finding in store.findings(f"a4-{i:02d}"):
            store.add_review(finding.id, "质检-李", "dismissed")
    assert sampling.rising_agents(PLAN, store, *WEEK) == {"A3"}


def test_the_same_plan_over_the_same_calls_draws_the_same_calls(store, filled, factory, tmp_path):
    first = sampling.draw(store, PLAN, *WEEK, drawn_by="质检-李")
    again = sampling.draw(store, PLAN, *WEEK)
    assert again.new is False and again.draw_id == first.draw_id and again.samples == first.samples
    assert len(store.draws()) == 1 and store.draws()[0]["plan_version"] == PLAN.version
    # another database holding the same calls, filled in another order, draws the same calls
    pool = store.sampling_pool(*WEEK)
    shuffled = pool[:]
    random.Random(1).shuffle(shuffled)
    rising = sampling.rising_agents(PLAN, store, *WEEK)
    assert sampling.choose(PLAN, *WEEK, shuffled, store.agent_first_days(), rising).samples == first.samples
    # another seed draws other calls; the record keeps the seed with the plan's version
    reseeded = sampling.SamplingPlan(**{**PLAN.__dict__, "seed": PLAN.seed + 1})
    assert sampling.choose(reseeded, *WEEK, pool, store.agent_first_days(), rising).samples != first.samples
    assert first.seed == f"{PLAN.seed}:{PLAN.version}:{WEEK[0]}:{WEEK[1]}"


def test_new_calls_in_the_period_make_a_new_draw_and_keep_the_old(store, factory):
    first = sampling.draw(store, PLAN, *WEEK)
    for i in range(40):
        factory.add(store, f"a2-late-{i:02d}", "A2", WEEK[1])
    second = sampling.draw(store, PLAN, *WEEK)
    assert second.new and second.draw_id != first.draw_id
    assert [d["draw_id"] for d in store.draws()] == [second.draw_id, first.draw_id]


def test_sampled_calls_join_the_queue_marked_and_wait_for_a_whole_call_verdict(store):
    result = sampling.draw(store, PLAN, *WEEK)
    clean = next(s.call_id for s in result.samples if not s.flagged)
    page = queue_page(store, QueueFilters(sampled_only=True, review_status="all"), 1, 100)
    assert page.total == len(result.samples) and all(row["sampled"] for row in page.rows)
    waiting = queue_page(store, QueueFilters(review_status="unreviewed"), 1, 500)
    assert clean in {row["call_id"] for row in waiting.rows}
    store.add_sample_verdict(clean, "质检-李", "fail", ["insult"], "骂了一句，机器没听出")
    assert store.sample_status(clean)["missed"] == ["insult"]
    waiting = queue_page(store, QueueFilters(review_status="unreviewed"), 1, 500)
    done = queue_page(store, QueueFilters(review_status="reviewed"), 1, 500)
    assert clean not in {row["call_id"] for row in waiting.rows} and clean in {row["call_id"] for row in done.rows}
    unsampled = queue_page(store, QueueFilters(review_status="all"), 1, 500)
    assert not any(row["sampled"] for row in unsampled.rows if row["call_id"].startswith("a3-t"))


@pytest.mark.parametrize("call_id, verdict, missed, message", [
    ("a3-t0", "pass", (), "not a sampled"),  # flagged, not a new agent's: the queue's, never sampled
    ("a9-01", "fail?", (), "pass, fail"),
    ("a9-01", "pass", ("insult",), "no missed items"),
])
def test_bad_sample_verdicts_are_refused(store, call_id, verdict, missed, message):
    sampling.draw(store, PLAN, *WEEK)
    with pytest.raises(StorageError, match=message):
        store.add_sample_verdict(call_id, "质检-李", verdict, missed)


def test_an_edited_sample_verdict_breaks_the_trail(store, tmp_path):
    result = sampling.draw(store, PLAN, *WEEK)
    store.add_sample_verdict(result.samples[0].call_id, "质检-李", "pass")
    assert store.verify_trail().ok and store.verify_trail().sample_verdicts == 1
    with sqlite3.connect(tmp_path / "audit.db") as raw:
        raw.execute("UPDATE sample_verdicts SET verdict = 'fail'")
    check = store.verify_trail()
    assert not check.ok and "sample verdict 1" in check.problem


def test_audit_sample_draws_the_period_once_and_names_the_draw(store, tmp_path):
    db = str(tmp_path / "audit.db")
    first = CliRunner().invoke(app, ["sample", "--since", WEEK[0], "--until", WEEK[1], "--db", db, "--by", "李"])
    assert first.exit_code == 0 and "draw 1:" in first.output and "of 83 unflagged" in first.output, first.output
    again = CliRunner().invoke(app, ["sample", "--since", WEEK[0], "--until", WEEK[1], "--db", db])
    assert again.exit_code == 0 and "already recorded" in again.output
    verdict = CliRunner().invoke(app, ["sample-verdict", "a9-01", "--verdict", "不合格", "--missed", "insult",
                                       "--reviewer", "质检-李", "--db", db])
    assert verdict.exit_code == 0 and "(fail by 质检-李)" in verdict.output, verdict.output
    bad = CliRunner().invoke(app, ["sample-verdict", "a9-01", "--verdict", "fail", "--missed", "rudeness",
                                   "--reviewer", "质检-李", "--db", db])
    assert bad.exit_code == 2 and "rudeness" in bad.output


def test_every_run_of_audit_sample_is_recorded_with_what_it_drew(store, tmp_path):
    db = str(tmp_path / "audit.db")
    for _ in range(2):
        CliRunner().invoke(app, ["sample", "--since", WEEK[0], "--until", WEEK[1], "--db", db, "--by", "cron"])
    bad = CliRunner().invoke(app, ["sample", "--since", "2026-11-20", "--until", "2026-11-10", "--db", db])
    assert bad.exit_code != 0
    failed, same, first = store.sample_runs("default")  # newest first
    assert (first["new_draw"], first["draw_id"], first["ran_by"], first["since"], first["until"]) == (
        True, 1, "cron", *WEEK)
    assert first["calls"] == len(store.draw_calls(PLAN.name, PLAN.version, *WEEK)[1]) > 0
    assert (same["new_draw"], same["draw_id"], same["calls"]) == (False, 1, first["calls"])
    assert failed["draw_id"] is None and "after it ends" in failed["problem"]
    assert store.sample_runs("another plan") == []


@pytest.mark.parametrize("weekday, at, cron", [("monday", "09:00", "0 9 * * 1"), ("sunday", "23:30", "30 23 * * 0"),
                                               ("saturday", "07:05", "5 7 * * 6")])
def test_the_cron_line_runs_the_plan_at_its_weekday_and_time(weekday, at, cron):
    plan = dataclasses.replace(PLAN, weekday=weekday, at=at)
    line = sampling.cron_line(plan, "/srv/audit data/audit.db", "/opt/audit/.venv/bin/audit")
    assert line == (f"{cron}  /opt/audit/.venv/bin/audit sample --plan default --by cron "
                    "--db '/srv/audit data/audit.db'")


def test_the_schedule_draws_the_last_whole_week(store):
    assert sampling.due_period(PLAN, datetime(2026, 11, 16, 9, 30)) == WEEK  # Monday after 09:00
    assert sampling.due_period(PLAN, datetime(2026, 11, 16, 8, 59)) == ("2026-11-02", "2026-11-08")
    assert sampling.next_run(PLAN, datetime(2026, 11, 18, 12, 0)) == datetime(2026, 11, 23, 9, 0)


@pytest.mark.parametrize("edit, field", [
    (("rate: 0.05", "rate: 5"), "passed.rate"),
    (("min_calls: 2", "min_calls: 1.5"), "passed.min_calls"),
    (("weekday: monday", "weekday: someday"), "schedule.weekday"),
    (("seed: 20261201", "seed: soon"), "seed"),
    (("  weeks: 2", "  weeks: 2\n  days: 3"), "new_agents.days"),
])
def test_a_broken_plan_is_refused_naming_the_field(tmp_path, edit, field):
    text = (sampling.settings.plan_dir() / "default.yaml").read_text(encoding="utf-8")
    assert edit[0] in text
    path = tmp_path / "plan.yaml"
    path.write_text(text.replace(edit[0], edit[1]), encoding="utf-8")
    with pytest.raises(LexiconError, match=f"field '{field}'"):
        sampling.load_plan(path)
