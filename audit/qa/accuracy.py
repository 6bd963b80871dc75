"""How right the machine is, from people's verdicts: precision per rule and per learned-reader category from the
review trail, and recall per category estimated from the 抽检 verdicts, each with a Wilson 95% interval.

Precision counts a finding as right when its latest counting review upheld it or changed only its severity, wrong
when it was dismissed (``audit.review_policy.REVIEW_EFFECT``: an upheld appeal dismisses, a rejected one upholds); findings
nobody has decided do not count. Recall is per call and category: the calls where an upheld finding of the category
was found, against those plus the calls that had one the machine missed. Misses on sampled unflagged calls are
scaled up to all unflagged calls of the period by each sampled call's weight (its agent-week's calls per call drawn);
misses on flagged calls (a new agent's, sampled whole) are counted as they are, and so are the calls where a reviewer
added a finding of the category the machine missed (``source`` ``reviewer``; not already a sampled miss). The interval of the miss rate uses
the weighted sample's effective size (Kish), and gives recall's interval. Nothing is switched off: rules under the
precision an admin sets are listed for a person to look at.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from audit.review_policy import REVIEWER_SOURCE

Z_95 = 1.959963984540054  # the standard normal's 97.5th percentile
MIN_PRECISION_KEY = "min_precision"
DEFAULT_MIN_PRECISION = 0.8
CORRECT = ("upheld", "severity_changed")


def wilson_interval(successes: float, trials: float, z: float = Z_95) -> tuple[float, float]:
    """The Wilson score interval of a proportion (Wilson 1927; Newcombe 1998, method 3): (0, 1) without trials.
    ``trials`` may be an effective (non-whole) sample size."""
    if trials <= 0:
        return 0.0, 1.0
    p = min(1.0, max(0.0, successes / trials))
    denominator = 1 + z * z / trials
    centre = (p + z * z / (2 * trials)) / denominator
    half = z * math.sqrt(p * (1 - p) / trials + z * z / (4 * trials * trials)) / denominator
    return max(0.0, centre - half), min(1.0, centre + half)


@dataclass(frozen=True)
class Precision:
    """Verdicts on the findings of one rule (``key`` = rule id) or of the learned reader in one category."""

    key: str
    category: str
    upheld: int
    dismissed: int
    severity_changed: int
    model: bool = False  # the learned reader's

    @property
    def judged(self) -> int:
        return self.upheld + self.dismissed + self.severity_changed

    @property
    def precision(self) -> float | None:
        return (self.upheld + self.severity_changed) / self.judged if self.judged else None

    @property
    def interval(self) -> tuple[float, float]:
        return wilson_interval(self.upheld + self.severity_changed, self.judged)


@dataclass(frozen=True)
class Recall:
    category: str
    found_calls: int  # calls with an upheld (or severity-changed) finding of the category
    missed_sampled: int  # judged sampled calls that had one the machine missed
    missed_estimate: float  # misses over every call of the period: from the sample, and reviewer-added ones
    recall: float | None
    interval: tuple[float, float] | None
    missed_added: int = 0  # calls where a reviewer added a finding of the category, counted as they are


@dataclass(frozen=True)
class AccuracyReport:
    since: str | None
    until: str | None
    rules: tuple[Precision, ...]
    reader: tuple[Precision, ...]
    recall: tuple[Recall, ...]
    min_precision: float
    below: tuple[Precision, ...]  # rules and reader categories whose precision is under min_precision
    unflagged_calls: int
    judged_samples: int  # sampled calls with a whole-call verdict


def precision_table(reviewed: list[dict[str, Any]]) -> tuple[tuple[Precision, ...], tuple[Precision, ...]]:
    """Per rule and per learned-reader category, from ``Store.reviewed_findings`` rows."""
    counts: dict[tuple[bool, str, str], dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for row in reviewed:
        if row.get("source") == REVIEWER_SOURCE:  # no rule or reader made it: a miss (recall), not a hit
            continue
        key = row["category"] if row["model"] else row["rule_id"]
        counts[row["model"], key, row["category"]][row["effect"]] += 1
    table = [Precision(key, category, n["upheld"], n["dismissed"], n["severity_changed"], model)
             for (model, key, category), n in sorted(counts.items())]
    return tuple(p for p in table if not p.model), tuple(p for p in table if p.model)


def recall_table(reviewed: list[dict[str, Any]], sampled: list[dict[str, Any]],
                 unflagged_calls: int) -> tuple[Recall, ...]:
    """Per category, from the reviewed findings and ``Store.sampled_calls`` rows (weight, flagged, verdict, missed)."""
    found: dict[str, set[str]] = defaultdict(set)
    added: dict[str, set[str]] = defaultdict(set)
    for row in reviewed:
        if row["effect"] in CORRECT:
            (added if row.get("source") == REVIEWER_SOURCE else found)[row["category"]].add(row["call_id"])
    judged = [s for s in sampled if s["verdict"] is not None]
    sampled_misses = {(s.get("call_id"), category) for s in judged for category in s["missed"]}
    missed_added = {category: len({c for c in calls - found[category] if (c, category) not in sampled_misses})
                    for category, calls in added.items()}
    weighted = [s for s in judged if not s["flagged"]]
    total_weight = sum(s["weight"] for s in weighted)
    effective_n = total_weight ** 2 / sum(s["weight"] ** 2 for s in weighted) if weighted else 0.0
    missed_weight: dict[str, float] = defaultdict(float)
    missed_flagged: dict[str, int] = defaultdict(int)
    missed_calls: dict[str, int] = defaultdict(int)
    for s in judged:
        for category in s["missed"]:
            missed_calls[category] += 1
            if s["flagged"]:
                missed_flagged[category] += 1
            else:
                missed_weight[category] += s["weight"]
    table = []
    for category in sorted(set(found) | set(missed_calls) | {c for c, n in missed_added.items() if n}):
        n_found = len(found[category])
        exact = missed_flagged[category] + missed_added.get(category, 0)  # misses counted as they are
        if not weighted:
            table.append(Recall(category, n_found, missed_calls[category], float(exact), None, None,
                                missed_added.get(category, 0)))
            continue
        rate = missed_weight[category] / total_weight
        low, high = wilson_interval(rate * effective_n, effective_n)
        missed = unflagged_calls * rate + exact
        table.append(Recall(
            category, n_found, missed_calls[category], missed,
            n_found / (n_found + missed) if n_found + missed else None,
            (_share(n_found, unflagged_calls * high + exact), _share(n_found, unflagged_calls * low + exact)),
            missed_added.get(category, 0)))
    return tuple(table)


def _share(found: int, missed: float) -> float:
    return found / (found + missed) if found + missed else 1.0


def min_precision(store) -> float:
    """The precision under which a rule is listed for attention, as an admin set it (default 0.8)."""
    setting = store.qa_setting(MIN_PRECISION_KEY)
    try:
        return float(setting["value"]) if setting else DEFAULT_MIN_PRECISION
    except ValueError:
        return DEFAULT_MIN_PRECISION


def set_min_precision(store, value: float, set_by: str) -> None:
    if not 0 <= value <= 1:
        raise ValueError(f"a precision is between 0 and 1, not {value}")
    store.set_qa_setting(MIN_PRECISION_KEY, repr(float(value)), set_by)


def accuracy_report(store, since: str | None = None, until: str | None = None,
                    threshold: float | None = None) -> AccuracyReport:
    """Everything the 「规则准确率」 page and ``audit accuracy`` show, for calls started in the period."""
    reviewed = store.reviewed_findings(since, until)
    sampled = store.sampled_calls(since, until)
    unflagged = store.unflagged_calls(since, until)
    rules, reader = precision_table(reviewed)
    limit = min_precision(store) if threshold is None else threshold
    below = sorted((p for p in rules + reader if p.precision is not None and p.precision < limit),
                   key=lambda p: (p.precision, -p.judged, p.key))
    return AccuracyReport(since, until, rules, reader, recall_table(reviewed, sampled, unflagged), limit,
                          tuple(below), unflagged, sum(1 for s in sampled if s["verdict"] is not None))
