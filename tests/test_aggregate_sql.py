"""The agents page's scorecards counted by the database (``Store.scorecard_totals`` ->
``agent_scorecards_from_totals``) against the pandas path over every row (``aggregate_rows`` -> ``agent_scorecards``),
on the real sample database with reviews of every kind filed: figure for figure the same table."""

from __future__ import annotations

import shutil
from collections import Counter

import pandas as pd
import pytest

from audit.aggregate import (agent_scorecards, agent_scorecards_from_totals, raw_and_reviewed,
                             raw_and_reviewed_from_totals)
from audit.storage import Store

REVIEWER = "质检-李"


@pytest.fixture(scope="module")
def reviewed_store(scripted_db, tmp_path_factory):
    """The sample database with a dismissal, an appeal upheld, a severity change and a finding a reviewer added: the
    ways a review changes what counts against an agent (the sample calls have no unknown-speaker findings)."""
    path = tmp_path_factory.mktemp("aggregate_sql") / "audit.db"
    shutil.copy(scripted_db, path)
    store = Store(path)
    threat = store.findings("c04_violence_threat")
    store.add_review(threat[0].id, REVIEWER, "dismissed", "语境不构成威胁")
    store.add_review(threat[-1].id, REVIEWER, "severity_changed", new_severity="minor")
    insults = store.findings("c05_insults")
    store.add_review(insults[0].id, REVIEWER, "upheld")
    store.add_review(insults[0].id, "坐席-刘洋", "appeal")
    store.add_review(insults[0].id, REVIEWER, "appeal_upheld")
    store.add_reviewer_finding("c01_compliant_stereo", REVIEWER, "insult", "major", turn=0)
    return store


FILTERS = [
    pytest.param({}, id="every call"),
    pytest.param({"since": "2026-11-09", "until": "2026-11-13"}, id="a period"),
    pytest.param({"teams": ("委外二组",)}, id="one team"),
    pytest.param({"since": "2030-01-01"}, id="no calls"),
]


@pytest.mark.parametrize("reviewed", [True, False], ids=["after reviews", "machine"])
@pytest.mark.parametrize("filters", FILTERS)
def test_the_databases_totals_make_the_same_agent_table_as_every_row_in_pandas(reviewed_store, filters, reviewed):
    by_rows = agent_scorecards(**reviewed_store.aggregate_rows(**filters), reviewed=reviewed)
    by_totals = agent_scorecards_from_totals(reviewed_store.scorecard_totals(**filters), reviewed=reviewed)
    pd.testing.assert_frame_equal(by_totals, by_rows)
    assert by_totals.attrs["column_notes"] == by_rows.attrs["column_notes"]


@pytest.mark.parametrize("filters", FILTERS)
def test_the_machine_and_reviewed_figures_side_by_side_are_the_same_from_the_totals(reviewed_store, filters):
    pd.testing.assert_frame_equal(raw_and_reviewed_from_totals(reviewed_store.scorecard_totals(**filters)),
                                  raw_and_reviewed(**reviewed_store.aggregate_rows(**filters)))


def test_the_reviews_change_the_figures_the_totals_are_compared_on(reviewed_store):
    """Without this, the comparisons above could pass with reviews ignored on both paths."""
    totals = reviewed_store.scorecard_totals()
    reviewed = agent_scorecards_from_totals(totals).set_index("agent_id")
    machine = agent_scorecards_from_totals(totals, reviewed=False).set_index("agent_id")
    # c04's first finding dismissed and an appeal upheld against c05's first (an insult): neither counts against A2002
    no_longer = Counter([reviewed_store.findings("c04_violence_threat")[0].category,
                         reviewed_store.findings("c05_insults")[0].category])
    for category, count in no_longer.items():
        assert reviewed.loc["A2002", f"findings_{category}"] == machine.loc["A2002", f"findings_{category}"] - count
    added_to = next(c["agent_id"] for c in totals["calls"] if c["call_id"] == "c01_compliant_stereo")
    assert reviewed.loc[added_to, "findings_insult"] == machine.loc[added_to, "findings_insult"] + 1


def test_the_totals_are_a_few_rows_per_agent_not_a_row_per_disclosure(reviewed_store):
    rows = reviewed_store.aggregate_rows()
    totals = reviewed_store.scorecard_totals()
    assert len(totals["calls"]) == len(rows["calls"]) == 13
    agents = {(c["agent_id"], c["team"]) for c in rows["calls"]}
    disclosures = {d["disclosure"] for d in rows["disclosures"]}
    assert len(totals["disclosures"]) == len(agents) * len(disclosures) < len(rows["disclosures"])
    assert sum(d["judged"] for d in totals["disclosures"]) == sum(
        d["status"] in ("present", "missing") for d in rows["disclosures"])
