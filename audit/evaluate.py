"""``audit eval``: the detector against hand-labelled calls, by category, disclosure, call and signal.

A predicted violation matches a gold one when category and turn agree (quotes are listed, not compared: a
reviewer's minimal quote and the rule's matched span rarely have identical bounds).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from audit.rulepack import CONDUCT_CATEGORIES, DISCLOSURES, SIGNALS
from audit.scan import read_calls


@dataclass
class Counts:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


@dataclass
class EvalReport:
    calls: int = 0
    categories: dict[str, Counts] = field(default_factory=lambda: {c: Counts() for c in CONDUCT_CATEGORIES})
    disclosure_correct: Counter = field(default_factory=Counter)
    disclosure_total: Counter = field(default_factory=Counter)
    critical: Counts = field(default_factory=Counts)
    call_time: Counts = field(default_factory=Counts)
    signals: dict[str, Counts] = field(default_factory=lambda: {s: Counts() for s in SIGNALS})
    negative_calls: int = 0
    negative_calls_flagged: int = 0
    misses: list[str] = field(default_factory=list)
    false_alarms: list[str] = field(default_factory=list)
    disclosure_errors: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def overall(self) -> Counts:
        return Counts(*(sum(getattr(c, k) for c in self.categories.values()) for k in ("tp", "fp", "fn")))


    @property
    def macro_f1(self) -> float:
        """Mean F1 over the categories that occur in the gold labels or the predictions."""
        present = [c for c in self.categories.values() if c.tp + c.fp + c.fn]
        return sum(c.f1 for c in present) / len(present) if present else 1.0


# What a disclosure label of true means. "owed": given, or not owed at all (the dev set and the splits l1-l18: a call
# where only a third party answered is labelled true for purpose and official_channel). "done": the agent gave it
# (the authors' brief from l19 on), so a disclosure that was not owed is labelled false like one left out.
DISCLOSURE_LABELS = ("owed", "done")


def evaluate(auditor, labeled_path: str | Path, report: EvalReport | None = None,
             disclosure_labels: str = "owed") -> EvalReport:
    """Audit every labelled call of a file and count agreement; pass ``report`` to add a further file to it."""
    if disclosure_labels not in DISCLOSURE_LABELS:
        raise ValueError(f"disclosure_labels must be one of {DISCLOSURE_LABELS}, not {disclosure_labels!r}")
    satisfied = ("present", "not_applicable") if disclosure_labels == "owed" else ("present",)
    report = report if report is not None else EvalReport()
    for line_number, call, problem in read_calls(labeled_path):
        if problem or not call.labels:
            report.problems.append(problem or f"line {line_number}: no 'labels'; skipped")
            continue
        report.calls += 1
        labels = call.labels
        audit = auditor.audit(call.call_id, call.turns, call.started_at, call.debtor_tz)
        gold = {(v["category"], v["turn"]): v.get("quote", "") for v in labels.get("violations", [])}
        predicted = {(f.category, f.turn): f for f in audit.findings}
        for key in gold.keys() | predicted.keys():
            counts = report.categories.setdefault(key[0], Counts())
            if key in gold and key in predicted:
                counts.tp += 1
            elif key in gold:
                counts.fn += 1
                report.misses.append(f"{call.call_id} turn {key[1]} {key[0]}: 「{gold[key]}」")
            else:
                counts.fp += 1
                finding = predicted[key]
                report.false_alarms.append(f"{call.call_id} turn {key[1]} {key[0]} ({finding.rule_id}): "
                                           f"「{finding.quote}」 in 「{call.turns[key[1]].text}」")
        if not gold:
            report.negative_calls += 1
            report.negative_calls_flagged += bool(predicted)
        statuses = {d.disclosure: d.status for d in audit.disclosures}
        for disclosure, expected in labels.get("disclosures", {}).items():
            got = statuses.get(disclosure)
            ok = (got in satisfied) == bool(expected)
            report.disclosure_total[disclosure] += 1
            report.disclosure_correct[disclosure] += ok
            if not ok:
                report.disclosure_errors.append(f"{call.call_id} {disclosure}: expected "
                                                f"{'present' if expected else 'missing'}, got {got}")
        _tally(report.critical, bool(labels.get("critical")), audit.critical)
        _tally(report.call_time, bool(labels.get("call_time_violation")), audit.call_time_violation)
        gold_signals = set(labels.get("customer_signals", []))
        predicted_signals = {s.signal for s in audit.signals}
        for signal in SIGNALS:
            _tally(report.signals[signal], signal in gold_signals, signal in predicted_signals)
    return report


def _tally(counts: Counts, expected: bool, got: bool) -> None:
    if expected and got:
        counts.tp += 1
    elif expected:
        counts.fn += 1
    elif got:
        counts.fp += 1


def format_report(report: EvalReport, max_listed: int = 50) -> str:
    """The figures, then (``max_listed`` > 0) every miss, false alarm and disclosure error with its text."""
    lines = [f"{report.calls} calls", "", f"{'category':24} {'P':>6} {'R':>6} {'F1':>6} {'tp':>4} {'fp':>4} {'fn':>4}"]
    for name, c in list(report.categories.items()) + [("ALL", report.overall)]:
        lines.append(f"{name:24} {c.precision:6.3f} {c.recall:6.3f} {c.f1:6.3f} {c.tp:4} {c.fp:4} {c.fn:4}")
    lines.append(f"{'macro-F1':24} {'':6} {'':6} {report.macro_f1:6.3f}")
    lines += ["", f"{'disclosure':24} {'accuracy':>8}"]
    for name in DISCLOSURES:
        total = report.disclosure_total[name]
        if total:
            lines.append(f"{name:24} {report.disclosure_correct[name] / total:8.3f}  ({report.disclosure_correct[name]}/{total})")
    all_total = sum(report.disclosure_total.values())
    if all_total:
        lines.append(f"{'ALL':24} {sum(report.disclosure_correct.values()) / all_total:8.3f}")
    c = report.critical
    lines += ["", f"critical calls: precision {c.precision:.3f} recall {c.recall:.3f} (tp {c.tp}, fp {c.fp}, fn {c.fn})"]
    t = report.call_time
    lines.append(f"call time: precision {t.precision:.3f} recall {t.recall:.3f}")
    if report.negative_calls:
        lines.append(f"false alarms on calls without violations: {report.negative_calls_flagged}/"
                     f"{report.negative_calls} = {report.negative_calls_flagged / report.negative_calls:.1%}")
    lines += ["", f"{'signal':24} {'P':>6} {'R':>6}"]
    lines += [f"{name:24} {s.precision:6.3f} {s.recall:6.3f}" for name, s in report.signals.items()]
    for title, items in (("misses", report.misses), ("false alarms", report.false_alarms),
                         ("disclosure errors", report.disclosure_errors), ("problems", report.problems)):
        if items and max_listed > 0:
            lines += ["", f"{title} ({len(items)}):"] + [f"  {item}" for item in items[:max_listed]]
            if len(items) > max_listed:
                lines.append(f"  … {len(items) - max_listed} more")
    return "\n".join(lines)
