"""抽检: which calls beyond the flagged ones go to people, by a versioned sampling plan (``plans/<name>.yaml``).

A plan samples, per agent and ISO week, a share of the calls the machine passed without a finding (at least a few),
every call of a new agent's first weeks, and more of an agent whose critical calls after review rose. Each
agent-week is drawn with its own seed (the plan's seed and version, the period, the agent-week), so the same plan over
the same calls always draws the same calls. Each sampled call carries its weight (calls of its agent-week per call
drawn): what turns the misses found in the sample into an estimate for every unflagged call (``audit.qa.accuracy``).
"""

from __future__ import annotations

import hashlib
import math
import os
import random
import re
import shlex
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from audit import settings
from audit.datafile import Keys, content_version, fields, load
from audit.errors import AuditError, LexiconError
from audit.scorecard import _mapping, _number

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
REASONS = ("rate", "boost", "new_agent")
PLAN_FILE = Keys({
    "name": None, "title": None, "seed": None,
    "passed": fields("rate", "min_calls"),
    "new_agents": fields("weeks"),
    "boost": fields("rate", "compare_weeks", "min_rise_per_100"),
    "schedule": fields("weekday", "at"),
})
_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]*$")


@dataclass(frozen=True)
class SamplingPlan:
    name: str
    title: str
    version: str  # hash of the file's content
    seed: int
    rate: float  # share of an agent-week's passed calls drawn...
    min_calls: int  # ...but at least this many (all, when fewer)
    new_agent_weeks: int
    boost_rate: float
    compare_weeks: int
    min_rise_per_100: float
    weekday: str  # the schedule: the previous ISO week is drawn on this day...
    at: str  # ...at this local time


@dataclass(frozen=True)
class Sample:
    call_pk: int
    call_id: str
    agent_id: str | None
    reason: str  # one of REASONS
    stratum: str  # "A0042|2026-W23"
    flagged: bool
    weight: float  # calls of the stratum per call drawn (1 for a new agent's calls)


@dataclass(frozen=True)
class Draw:
    plan: SamplingPlan
    since: str
    until: str
    seed: str
    pool: int  # unflagged calls of the period
    samples: tuple[Sample, ...]
    boosted: tuple[str, ...]  # agents sampled at the boost rate
    draw_id: int | None = None
    new: bool = True  # False: the same draw was already recorded (draw_id), nothing was written


def available_plans() -> tuple[str, ...]:
    folder = settings.plan_dir()
    return tuple(sorted(p.stem for p in folder.glob("*.yaml"))) if folder.is_dir() else ()


def load_plan(name_or_path: str | Path = "default") -> SamplingPlan:
    """A bare name is ``<plan_dir>/<name>.yaml`` (``AUDIT_PLAN_DIR``, else the shipped ``plans/``); else a path."""
    text = str(name_or_path)
    if isinstance(name_or_path, Path) or text.endswith((".yaml", ".yml")) or "/" in text or os.sep in text:
        path = Path(name_or_path)
    else:
        path = settings.plan_dir() / f"{text}.yaml"
        if not _NAME.match(text) or not path.is_file():
            raise LexiconError(settings.plan_dir(), f"no sampling plan '{text}' (available: "
                                                    f"{', '.join(available_plans()) or 'none'})")
    data_file = load(path, PLAN_FILE)
    spec = data_file.data
    passed, new_agents = _mapping(spec, "passed", True), _mapping(spec, "new_agents", True)
    boost, schedule = _mapping(spec, "boost", True), _mapping(spec, "schedule", True)
    for where, key in ((spec, "name"), (spec, "title")):
        if not isinstance(where.get(key), str) or not where[key].strip():
            raise where.error(key, "must be a non-empty text")
    if isinstance(spec.get("seed"), bool) or not isinstance(spec.get("seed"), int):
        raise spec.error("seed", "must be a whole number")
    weekday = str(schedule.get("weekday", "")).lower()
    if weekday not in WEEKDAYS:
        raise schedule.error("weekday", f"must be one of {', '.join(WEEKDAYS)}")
    if not re.fullmatch(r"\d{2}:\d{2}", str(schedule.get("at", ""))):
        raise schedule.error("at", 'must be a time like "09:00"')
    return SamplingPlan(
        name=spec["name"].strip(), title=spec["title"].strip(), version=content_version(data_file.raw),
        seed=spec["seed"], rate=_number(passed, "rate", share=True), min_calls=_whole(passed, "min_calls"),
        new_agent_weeks=_whole(new_agents, "weeks"), boost_rate=_number(boost, "rate", share=True),
        compare_weeks=max(1, _whole(boost, "compare_weeks")), min_rise_per_100=_number(boost, "min_rise_per_100"),
        weekday=weekday, at=schedule["at"])


def _whole(where, key: str) -> int:
    value = _number(where, key)
    if value != int(value):
        raise where.error(key, f"must be a whole number, not {value:g}")
    return int(value)


# -- the schedule ---------------------------------------------------------------------------------------------------

def due_period(plan: SamplingPlan, now: datetime | None = None) -> tuple[str, str]:
    """The ISO week the schedule draws at ``now``: the last whole week (Monday to Sunday) that ended before the most
    recent scheduled moment."""
    now = now or datetime.now()
    scheduled = _last_scheduled(plan, now)
    monday = scheduled.date() - timedelta(days=scheduled.weekday() + 7)
    return monday.isoformat(), (monday + timedelta(days=6)).isoformat()


def next_run(plan: SamplingPlan, now: datetime | None = None) -> datetime:
    return _last_scheduled(plan, now or datetime.now()) + timedelta(days=7)


def cron_line(plan: SamplingPlan, db: str = "/path/to/audit.db", command: str = "audit") -> str:
    """The crontab line that runs the plan's schedule (cron runs it; the app only shows it). Cron's weekday: 0 is
    Sunday."""
    hour, minute = map(int, plan.at.split(":"))
    weekday = (WEEKDAYS.index(plan.weekday) + 1) % 7
    return (f"{minute} {hour} * * {weekday}  {shlex.quote(command)} sample --plan {shlex.quote(plan.name)} --by cron "
            f"--db {shlex.quote(db)}")


def _last_scheduled(plan: SamplingPlan, now: datetime) -> datetime:
    hour, minute = map(int, plan.at.split(":"))
    moment = (now - timedelta(days=(now.weekday() - WEEKDAYS.index(plan.weekday)) % 7)).replace(
        hour=hour, minute=minute, second=0, microsecond=0)
    return moment if moment <= now else moment - timedelta(days=7)


# -- the draw ---------------------------------------------------------------------------------------------------------

def iso_week(day: str) -> str:
    year, week, _ = date.fromisoformat(day[:10]).isocalendar()
    return f"{year}-W{week:02d}"


def draw_seed(plan: SamplingPlan, since: str, until: str) -> str:
    return f"{plan.seed}:{plan.version}:{since}:{until}"


def _rng(seed: str, stratum: str) -> random.Random:
    return random.Random(int(hashlib.sha256(f"{seed}|{stratum}".encode("utf-8")).hexdigest()[:16], 16))


def choose(plan: SamplingPlan, since: str, until: str, pool: list[dict[str, Any]], first_days: dict[str, str],
           boosted: frozenset[str] = frozenset()) -> Draw:
    """The draw itself, from plain rows (``Store.sampling_pool``: call_pk, call_id, agent_id, started_at, flagged)
    and each agent's first day; nothing is read or written. The order of ``pool`` does not matter."""
    seed = draw_seed(plan, since, until)
    samples: list[Sample] = []
    strata: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for call in pool:
        day = (call.get("started_at") or "")[:10]
        agent = call.get("agent_id")
        first = first_days.get(agent) if agent else None
        if first and day and date.fromisoformat(day) < date.fromisoformat(first) + timedelta(
                weeks=plan.new_agent_weeks):
            samples.append(Sample(call["call_pk"], call["call_id"], agent, "new_agent", f"{agent}|new",
                                  bool(call["flagged"]), 1.0))
        elif not call["flagged"] and day:
            strata[f"{agent or ''}|{iso_week(day)}"].append(call)
    for stratum in sorted(strata):
        calls = sorted(strata[stratum], key=lambda c: c["call_id"])
        agent = calls[0].get("agent_id")
        rate = plan.boost_rate if agent in boosted else plan.rate
        n = min(len(calls), max(plan.min_calls, math.ceil(rate * len(calls))))
        for call in _rng(seed, stratum).sample(calls, n):
            samples.append(Sample(call["call_pk"], call["call_id"], agent, "boost" if agent in boosted else "rate",
                                  stratum, False, len(calls) / n))
    samples.sort(key=lambda s: s.call_id)
    return Draw(plan, since, until, seed, sum(1 for c in pool if not c["flagged"]), tuple(samples),
                tuple(sorted(boosted)))


def rising_agents(plan: SamplingPlan, store, since: str, until: str) -> frozenset[str]:
    """Agents whose critical calls per 100 after review, in the period, exceed those of the ``compare_weeks`` weeks
    before it by at least ``min_rise_per_100`` (agents without calls before have nothing to rise from)."""
    from audit.aggregate import agent_scorecards  # pandas loads only for a draw

    before_until = date.fromisoformat(since) - timedelta(days=1)
    before_since = before_until - timedelta(weeks=plan.compare_weeks) + timedelta(days=1)

    rows = store.aggregate_rows(since=before_since.isoformat(), until=until, with_disclosures=False)  # one read

    def rates(first: str, last: str) -> dict[str, float]:
        table = agent_scorecards(**rows, since=first, until=last)
        return dict(zip(table["agent_id"], table["critical_per_100"])) if not table.empty else {}

    now, before = rates(since, until), rates(before_since.isoformat(), before_until.isoformat())
    return frozenset(agent for agent, rate in now.items()
                     if agent in before and rate - before[agent] >= plan.min_rise_per_100)


def draw(store, plan: SamplingPlan, since: str, until: str, drawn_by: str = "") -> Draw:
    """Draw the period's sample and record it; the same draw twice (same plan version, period and calls) is
    recorded once and returned with ``new`` False. Every run is logged (``Store.sample_runs``), a failed one with
    its problem: what the app shows of the schedule."""
    try:
        result = _draw(store, plan, since, until, drawn_by)
    except AuditError as error:
        store.record_sample_run(plan=plan.name, plan_version=plan.version, since=str(since)[:10] or None,
                                until=str(until)[:10] or None, draw_id=None, new_draw=False, calls=0,
                                ran_by=drawn_by, problem=error.problem)
        raise
    store.record_sample_run(plan=plan.name, plan_version=plan.version, since=result.since, until=result.until,
                            draw_id=result.draw_id, new_draw=result.new, calls=len(result.samples), ran_by=drawn_by)
    return result


def _draw(store, plan: SamplingPlan, since: str, until: str, drawn_by: str) -> Draw:
    since, until = _iso_day(since, "--since"), _iso_day(until, "--until")
    if since > until:
        raise AuditError(None, f"the period starts ({since}) after it ends ({until})")
    result = choose(plan, since, until, store.sampling_pool(since, until), store.agent_first_days(),
                    rising_agents(plan, store, since, until))
    known = store.draw_calls(plan.name, plan.version, since, until)
    if known is not None and known[1] == {s.call_id for s in result.samples}:
        return Draw(**{**result.__dict__, "draw_id": known[0], "new": False})
    draw_id = store.save_draw(plan=plan.name, plan_version=plan.version, seed=result.seed, since=since, until=until,
                              pool=result.pool, drawn_by=drawn_by, samples=[
                                  {"call_pk": s.call_pk, "reason": s.reason, "stratum": s.stratum,
                                   "flagged": s.flagged, "weight": s.weight} for s in result.samples])
    return Draw(**{**result.__dict__, "draw_id": draw_id})


def _iso_day(value: str, option: str) -> str:
    try:
        return date.fromisoformat(str(value)[:10]).isoformat()
    except ValueError as error:
        raise AuditError(None, f"{option} '{value}' is not a day (YYYY-MM-DD)") from error
