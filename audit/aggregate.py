"""Per-agent and per-team scorecards, weekly trend and ranking, computed after reviewer verdicts (raw beside them).

The only module of the project that imports pandas. It takes plain rows as the storage layer returns them (lists of
dicts; see ``*_FIELDS`` below for the keys read) and returns DataFrames. Nothing here reads files or databases. The
agents table can also be made from the totals the database counts (``Store.scorecard_totals``: a row per call, but
findings and disclosures summed per agent), figure for figure the same (tests/test_aggregate_sql.py).

Which findings count, and each call's verdict, score and criticality
    raw (``reviewed=False``): the machine's view -- findings on agent turns (not those reviewers added); the machine verdict and score; a call is
    critical with a critical agent finding or a call-time violation.
    reviewed (default): as ``audit.review_policy`` decides after reviews -- findings that ``counts_against_agent``,
    and the call's ``reviewed_verdict``, ``reviewed_score`` and ``reviewed_critical`` as the storage layer keeps them.

Dates: ``started_at`` is ISO 8601 (extended format, with offset); a call belongs to the date written in it, the
local date as given, never converted to UTC. ``since``/``until`` are inclusive dates (``"2024-03-01"``; a full
ISO timestamp is cut to its date); calls with no ``started_at`` are dropped by either filter and left out of the trend.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import pandas as pd

from audit.review_policy import REVIEWER_SOURCE, counts_against_agent

CALL_FIELDS = ["call_id", "agent_id", "agent_name", "team", "started_at", "score", "verdict", "call_time_violation",
               "reviewed_verdict", "reviewed_score", "reviewed_critical"]
FINDING_FIELDS = ["call_id", "finding_id", "category", "severity", "speaker", "review_verdict", "review_severity",
                  "source"]
DISCLOSURE_FIELDS = ["call_id", "disclosure", "status"]
SIGNAL_FIELDS = ["call_id", "signal"]

MEASURES = ["calls", "mean_score", "median_score", "pass_rate", "critical_per_100", "complaints_per_100",
            "vulnerability_per_100"]
AGENT_COLUMNS = ["agent_id", "agent_name", "team", *MEASURES]  # then findings_<category>..., disclosure_<id>..., rank
TEAM_COLUMNS = ["team", "agents", *MEASURES]  # then findings_<category>..., disclosure_<id>..., rank
TREND_COLUMNS = ["week_start", "agent_id", "agent_name", "team", "calls", "mean_score", "pass_rate",
                 "critical_per_100"]
IDENTITY = ["agent_id", "agent_name", "team", "calls"]  # shared, unsuffixed, by raw_and_reviewed

COLUMN_NOTES = {
    "calls": "calls audited",
    "agents": "distinct agents with at least one call in the team",
    "mean_score": "score (0-100) after reviews (raw: the machine's)",
    "median_score": "score (0-100) after reviews (raw: the machine's)",
    "pass_rate": "share of calls (0-1) whose verdict is pass; 'review' calls are not passes",
    "critical_per_100": "critical calls (a counted critical finding or a call-time violation not dismissed) per 100 "
                        "calls",
    "complaints_per_100": "calls with a complaint_intent signal per 100 calls",
    "vulnerability_per_100": "calls with a vulnerability signal per 100 calls",
    "findings_<category>": "counted findings of that category",
    "disclosure_<id>": "present / (present + missing); not_applicable and unverifiable ignored; NaN if none",
    "rank": "1 = best: critical_per_100 ascending, then mean_score descending; equal figures share a rank",
    "week_start": "Monday of the ISO week of the call's local date",
}


def agent_scorecards(calls: Iterable[dict[str, Any]], findings: Iterable[dict[str, Any]],
                     disclosures: Iterable[dict[str, Any]], signals: Iterable[dict[str, Any]], *,
                     reviewed: bool = True, team: str | None = None, since: str | None = None,
                     until: str | None = None) -> pd.DataFrame:
    """One row per agent, best first (see ``rank``); an agent's name and team are those of their latest call."""
    return _agent_table(*_prepare(calls, findings, disclosures, signals, reviewed, team=team, since=since,
                                  until=until))


def agent_scorecards_from_totals(totals: dict[str, list[dict[str, Any]]], *, reviewed: bool = True) -> pd.DataFrame:
    """``agent_scorecards`` from what the database counted (``audit.storage`` ``scorecard_totals``, already filtered):
    the same table, figure for figure, without reading every finding and disclosure row."""
    return _agent_table(*_from_totals(totals, reviewed))


def _agent_table(facts, counted, disc, categories, disclosure_ids) -> pd.DataFrame:
    table = _measures(facts, counted, disc, ["agent_id"], categories, disclosure_ids)
    table = table.join(_latest(facts, "agent_id", ["agent_name", "team"])).reset_index()
    columns = [*AGENT_COLUMNS, *_extra_columns(categories, disclosure_ids)]
    return _noted(_ranked(table[columns], "agent_id"))


def team_scorecards(calls: Iterable[dict[str, Any]], findings: Iterable[dict[str, Any]],
                    disclosures: Iterable[dict[str, Any]], signals: Iterable[dict[str, Any]], *,
                    reviewed: bool = True, team: str | None = None, since: str | None = None,
                    until: str | None = None) -> pd.DataFrame:
    """The same measures per team (each call counts for the team written on it), best first."""
    facts, counted, disc, categories, disclosure_ids = _prepare(calls, findings, disclosures, signals, reviewed,
                                                                team=team, since=since, until=until)
    table = _measures(facts, counted, disc, ["team"], categories, disclosure_ids)
    table.insert(0, "agents", facts.groupby("team", dropna=False)["agent_id"].nunique().astype(int))
    table = table.reset_index()
    columns = [*TEAM_COLUMNS, *_extra_columns(categories, disclosure_ids)]
    return _noted(_ranked(table[columns], "team"))


def weekly_trend(calls: Iterable[dict[str, Any]], findings: Iterable[dict[str, Any]],
                 disclosures: Iterable[dict[str, Any]], signals: Iterable[dict[str, Any]], *,
                 reviewed: bool = True, agent_id: str | None = None, team: str | None = None) -> pd.DataFrame:
    """One row per ISO week (``week_start``, the Monday, as a Timestamp) and agent, oldest week first."""
    facts, counted, disc, _, _ = _prepare(calls, findings, disclosures, signals, reviewed, team=team,
                                          agent_id=agent_id)
    facts = facts[facts["date"].notna()].assign(week_start=lambda f: f["date"] - pd.to_timedelta(
        f["date"].dt.day_of_week, unit="D"))
    table = _measures(facts, counted, disc, ["week_start", "agent_id"], [], [])
    table = table.join(_latest(facts, "agent_id", ["agent_name", "team"]), on="agent_id").reset_index()
    table["week_start"] = pd.to_datetime(table["week_start"])
    return _noted(table[TREND_COLUMNS].sort_values(["week_start", "agent_id"], kind="stable")
                  .reset_index(drop=True))


def raw_and_reviewed(calls: Iterable[dict[str, Any]], findings: Iterable[dict[str, Any]],
                     disclosures: Iterable[dict[str, Any]], signals: Iterable[dict[str, Any]],
                     **filters: Any) -> pd.DataFrame:
    """The agent table with machine and reviewed figures side by side: agent_id, agent_name, team, calls, then for
    every other column ``<name>_raw`` next to ``<name>_reviewed``; rows in reviewed rank order. ``filters`` are
    ``agent_scorecards``' (team, since, until)."""
    calls, findings, disclosures, signals = list(calls), list(findings), list(disclosures), list(signals)
    return _side_by_side(agent_scorecards(calls, findings, disclosures, signals, reviewed=False, **filters),
                         agent_scorecards(calls, findings, disclosures, signals, reviewed=True, **filters))


def raw_and_reviewed_from_totals(totals: dict[str, list[dict[str, Any]]]) -> pd.DataFrame:
    """``raw_and_reviewed`` from the database's totals (see ``agent_scorecards_from_totals``)."""
    return _side_by_side(agent_scorecards_from_totals(totals, reviewed=False),
                         agent_scorecards_from_totals(totals, reviewed=True))


def _side_by_side(raw: pd.DataFrame, rev: pd.DataFrame) -> pd.DataFrame:
    both = rev.drop(columns=IDENTITY[1:]).merge(raw, on="agent_id", how="left", suffixes=("_reviewed", "_raw"))
    figures = [c for c in rev.columns if c not in IDENTITY]
    return _noted(both[[*IDENTITY, *(f"{c}_{kind}" for c in figures for kind in ("raw", "reviewed"))]])


# --- internals -------------------------------------------------------------------------------------------------------

def _frame(rows: Iterable[dict[str, Any]], fields: list[str]) -> pd.DataFrame:
    """The rows as a frame; a column holding text keeps Python strings: pandas' Arrow-backed strings are built and
    matched (``isin``) element by element here, which made the agents page over 50,000 calls three times slower."""
    rows = list(rows)
    columns = {}
    for name in fields:
        values = [row.get(name) for row in rows]
        text = not values or any(isinstance(value, str) for value in values)
        columns[name] = pd.Series(values, dtype=object if text else None)
    return pd.DataFrame(columns, columns=fields)


def _local_date(started_at: pd.Series) -> pd.Series:
    return pd.to_datetime(started_at.astype("string").str.slice(0, 10), format="%Y-%m-%d", errors="coerce")


def _day(value: str) -> pd.Timestamp:
    return pd.Timestamp(str(value)[:10])


def _prepare(calls, findings, disclosures, signals, reviewed: bool, *, team=None, since=None, until=None,
             agent_id=None):
    """Filtered per-call facts, the counted findings (call_id, category), the disclosure rows, and the category and
    disclosure ids of the whole input (so the columns do not depend on the filters or on reviews)."""
    c = _frame(calls, CALL_FIELDS)
    f = _frame(findings, FINDING_FIELDS)
    d = _frame(disclosures, DISCLOSURE_FIELDS)
    s = _frame(signals, SIGNAL_FIELDS)
    categories = sorted(f["category"].dropna().unique())
    disclosure_ids = sorted(d["disclosure"].dropna().unique())

    c["date"] = _local_date(c["started_at"])
    keep = pd.Series(True, index=c.index)
    if team is not None:
        keep &= c["team"] == team
    if agent_id is not None:
        keep &= c["agent_id"] == agent_id
    if since is not None:
        keep &= c["date"] >= _day(since)
    if until is not None:
        keep &= c["date"] <= _day(until)
    c = c[keep].copy()
    f = f[f["call_id"].isin(c["call_id"])]
    d = d[d["call_id"].isin(c["call_id"])]
    s = s[s["call_id"].isin(c["call_id"])]

    machine = (f["speaker"] == "agent") & (f["source"] != REVIEWER_SOURCE)  # a reviewer-added one is no machine view
    if reviewed:  # the review policy's, row by row (its rules are not restated here)
        counts = pd.Series([counts_against_agent(row) for row in f.to_dict("records")], index=f.index, dtype=bool)
    else:
        counts = machine
    c["machine_critical"] = c["call_id"].isin(f.loc[machine & (f["severity"] == "critical"), "call_id"])
    c["complaint"] = c["call_id"].isin(s.loc[s["signal"] == "complaint_intent", "call_id"])
    c["vulnerable"] = c["call_id"].isin(s.loc[s["signal"] == "vulnerability", "call_id"])
    # one row per counted finding and per judged disclosure, each weighing 1: the database's totals, unsummed
    counted = f.loc[counts, ["call_id", "category"]].assign(findings=1)
    judged = d[d["status"].isin(["present", "missing"])]
    judged = judged[["call_id", "disclosure"]].assign(present=(judged["status"] == "present").astype(int), judged=1)
    return _facts(c, reviewed), counted, judged, categories, disclosure_ids


def _from_totals(totals: dict[str, list[dict[str, Any]]], reviewed: bool):
    """``_prepare``'s parts from the database's totals: calls as rows, findings and disclosures already summed per
    agent and team (so only agent or team tables can be made from them)."""
    c = _frame(totals["calls"], [*CALL_FIELDS, "complaint", "vulnerable", "machine_critical"])
    f = _frame(totals["findings"], ["agent_id", "team", "category", "reviewed", "raw"])
    d = _frame(totals["disclosures"], ["agent_id", "team", "disclosure", "present", "judged"])
    c["date"] = _local_date(c["started_at"])
    for flag in ("complaint", "vulnerable", "machine_critical"):
        c[flag] = c[flag].fillna(False).astype(bool)
    counted = f.rename(columns={"reviewed" if reviewed else "raw": "findings"})[["agent_id", "team", "category",
                                                                                  "findings"]]
    return (_facts(c, reviewed), counted, d, sorted(f["category"].dropna().unique()),
            sorted(d["disclosure"].dropna().unique()))


def _facts(c: pd.DataFrame, reviewed: bool) -> pd.DataFrame:
    """Each call's score, verdict and criticality as counted (after reviews, or the machine's), and pass flag."""
    if reviewed:
        c["score"], c["verdict"] = c["reviewed_score"], c["reviewed_verdict"]
        c["critical"] = c["reviewed_critical"].fillna(False).astype(bool)
    else:
        c["critical"] = c["machine_critical"] | c["call_time_violation"].fillna(False).astype(bool)
    c["score"] = pd.to_numeric(c["score"], errors="coerce")
    c["passed"] = c["verdict"] == "pass"
    return c


def _measures(facts: pd.DataFrame, counted: pd.DataFrame, disc: pd.DataFrame, keys: list[str],
              categories: list[str], disclosure_ids: list[str]) -> pd.DataFrame:
    """The scorecard measures per group of ``keys`` (the index of the result)."""
    table = facts.groupby(keys, dropna=False).agg(
        calls=("call_id", "size"), mean_score=("score", "mean"), median_score=("score", "median"),
        pass_rate=("passed", "mean"), critical_per_100=("critical", "mean"),
        complaints_per_100=("complaint", "mean"), vulnerability_per_100=("vulnerable", "mean"))
    table["calls"] = table["calls"].astype(int)
    for column in ("pass_rate", "critical_per_100", "complaints_per_100", "vulnerability_per_100"):
        table[column] = table[column].astype(float)
    per_100 = ["critical_per_100", "complaints_per_100", "vulnerability_per_100"]
    table[per_100] = table[per_100] * 100

    owned = _keyed(counted, facts, keys)
    by_category = pd.get_dummies(owned["category"]).reindex(columns=categories, fill_value=0).astype(int)
    found = (by_category.mul(owned["findings"].astype(int), axis=0)
             .groupby([owned[k] for k in keys], dropna=False).sum().add_prefix("findings_"))
    table = table.join(found)
    table[found.columns] = table[found.columns].fillna(0).astype(int)

    judged = _keyed(disc, facts, keys)
    which = pd.get_dummies(judged["disclosure"]).reindex(columns=disclosure_ids, fill_value=0).astype(int)
    groups = [judged[k] for k in keys]
    present = which.mul(judged["present"].astype(int), axis=0).groupby(groups, dropna=False).sum()
    judged_n = which.mul(judged["judged"].astype(int), axis=0).groupby(groups, dropna=False).sum()
    rate = (present / judged_n).astype(float).add_prefix("disclosure_")
    return table.join(rate)


def _keyed(rows: pd.DataFrame, facts: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Counted rows with the grouping ``keys``: their call's, for rows of calls; the database's totals carry theirs
    (agent and team)."""
    return rows.merge(facts[["call_id", *keys]], on="call_id") if "call_id" in rows.columns else rows


def _latest(facts: pd.DataFrame, key: str, columns: list[str]) -> pd.DataFrame:
    """``columns`` as on each ``key``'s latest call (input order breaks ties; undated calls count as oldest)."""
    ordered = facts.sort_values("date", kind="stable", na_position="first")
    return ordered.groupby(key, dropna=False)[columns].last()


def _extra_columns(categories: list[str], disclosure_ids: list[str]) -> list[str]:
    return [*(f"findings_{c}" for c in categories), *(f"disclosure_{d}" for d in disclosure_ids)]


def _ranked(table: pd.DataFrame, key: str) -> pd.DataFrame:
    """Sort best first and number: critical_per_100 ascending, mean_score descending; ties share the lower rank
    (1, 1, 3) and are listed by ``key``."""
    order = ["critical_per_100", "mean_score"]
    ranked = (table.sort_values(key, kind="stable")
              .sort_values(order, ascending=[True, False], kind="stable", na_position="last")
              .reset_index(drop=True))
    new_figures = ranked[order].ne(ranked[order].shift()).any(axis=1)
    position = pd.Series(range(1, len(ranked) + 1), index=ranked.index)
    ranked["rank"] = position.where(new_figures).ffill().astype(int)
    return ranked


def _noted(table: pd.DataFrame) -> pd.DataFrame:
    table.attrs["column_notes"] = COLUMN_NOTES
    return table
