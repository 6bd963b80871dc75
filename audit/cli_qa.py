"""The QA loop's commands, merged into ``audit``: ``sample``, ``sample-verdict``, ``accuracy``, ``train``, ``dials
import`` and ``dials check``.
A thin layer over ``audit.qa``; ``audit.cli`` adds these at its end (they use its store and error helpers)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Optional

import typer
from rich.table import Table

from audit.cli import DbOption, _error_exit, _store, console
from audit.errors import AuditError

qa_app = typer.Typer()
dials_app = typer.Typer(no_args_is_help=True, help="Dial logs: contact-frequency limits of the rule profile.")
qa_app.add_typer(dials_app, name="dials")


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{value:.1%}"


def _interval(interval: tuple[float, float] | None) -> str:
    return "–" if interval is None else f"{interval[0]:.1%}–{interval[1]:.1%}"


@qa_app.command()
def sample(
    since: Optional[str] = typer.Option(None, "--since", help="First day of calls, YYYY-MM-DD (default: the "
                                                              "schedule's last whole week)."),
    until: Optional[str] = typer.Option(None, "--until", help="Last day of calls, YYYY-MM-DD."),
    plan: str = typer.Option("default", "--plan", help="Sampling plan name (plans/<name>.yaml) or path."),
    by: str = typer.Option("", "--by", help="Who draws (recorded with the draw)."),
    db: Path = DbOption,
) -> None:
    """抽检: draw the calls people check beyond the flagged ones, by a versioned plan, seeded and recorded; the
    sampled calls join the review queue marked 抽检."""
    from audit.qa.sampling import draw, due_period, load_plan

    try:
        chosen = load_plan(plan)
        if since is None and until is None:
            since, until = due_period(chosen)
        result = draw(_store(db), chosen, since or until, until or since, by or "audit sample")
    except AuditError as error:
        raise _error_exit(error) from error
    reasons = {reason: sum(s.reason == reason for s in result.samples) for reason in ("rate", "boost", "new_agent")}
    typer.echo(f"draw {result.draw_id}{'' if result.new else ' (already recorded; nothing new)'}: plan "
               f"{chosen.name} {chosen.version}, {result.since}..{result.until}, seed {result.seed}: "
               f"{len(result.samples)} calls of {result.pool} unflagged ({reasons['rate']} by rate, "
               f"{reasons['boost']} boosted for {len(result.boosted)} agents, {reasons['new_agent']} of new agents)")


@qa_app.command(name="sample-verdict")
def sample_verdict(
    call_id: str = typer.Argument(..., help="A sampled (抽检) call."),
    verdict: str = typer.Option(..., "--verdict", help="pass (合格) or fail (不合格)."),
    reviewer: str = typer.Option(..., "--reviewer", help="Who decides (recorded in the trail)."),
    missed: str = typer.Option("", "--missed", help="Categories the machine missed, comma-separated (with fail)."),
    note: str = typer.Option("", "--note"),
    db: Path = DbOption,
) -> None:
    """Record a reviewer's verdict on a whole sampled call, with the categories the machine missed."""
    from audit.rulepack import CONDUCT_CATEGORIES

    verdict = {"合格": "pass", "不合格": "fail"}.get(verdict, verdict)
    categories = [c.strip() for c in missed.split(",") if c.strip()]
    unknown = [c for c in categories if c not in CONDUCT_CATEGORIES]
    if unknown:
        raise typer.BadParameter(f"unknown categor{'ies' if len(unknown) > 1 else 'y'} {', '.join(unknown)}; use "
                                 f"{', '.join(CONDUCT_CATEGORIES)}", param_hint="--missed")
    try:
        row = _store(db).add_sample_verdict(call_id, reviewer, verdict, categories, note)
    except AuditError as error:
        raise _error_exit(error) from error
    typer.echo(f"sample verdict {row.id} recorded ({row.verdict} by {row.reviewer}); chain hash {row.row_hash[:12]}")


@qa_app.command()
def accuracy(
    since: Optional[str] = typer.Option(None, "--since", help="First day of calls, YYYY-MM-DD."),
    until: Optional[str] = typer.Option(None, "--until", help="Last day of calls, YYYY-MM-DD."),
    min_precision: Optional[float] = typer.Option(None, "--min-precision", min=0.0, max=1.0,
                                                  help="List rules under this precision (default: the admin's "
                                                       "setting, else 0.8)."),
    set_min_precision: bool = typer.Option(False, "--set", help="Save --min-precision as the setting (admins)."),
    by: str = typer.Option("", "--by", help="Who changes the setting (recorded)."),
    db: Path = DbOption,
) -> None:
    """Precision per rule and per learned-reader category from reviewers' verdicts, recall per category estimated
    from 抽检, each with a Wilson 95% interval; rules under the set precision are listed (nothing is switched off)."""
    from audit.qa import accuracy as qa_accuracy

    store = _store(db)
    if set_min_precision:
        if min_precision is None or not by.strip():
            raise typer.BadParameter("--set needs --min-precision and --by", param_hint="--set")
        qa_accuracy.set_min_precision(store, min_precision, by.strip())
    report = qa_accuracy.accuracy_report(store, since, until, min_precision)
    for title, rows in (("rules", report.rules), ("learned reader, per category", report.reader)):
        table = Table(title=f"precision: {title}")
        for column in ("rule" if title == "rules" else "reader", "category", "upheld", "dismissed",
                       "severity changed", "precision", "95% interval"):
            table.add_column(column)
        for p in rows:
            table.add_row(p.key, p.category, str(p.upheld), str(p.dismissed), str(p.severity_changed),
                          _pct(p.precision), _interval(p.interval if p.judged else None))
        console.print(table)
    table = Table(title=f"recall per category, from {report.judged_samples} judged 抽检 calls "
                        f"({report.unflagged_calls} unflagged calls in the period)")
    for column in ("category", "calls found", "missed (sampled)", "missed (reviewer-added)", "missed (estimated)",
                   "recall", "95% interval"):
        table.add_column(column)
    for r in report.recall:
        table.add_row(r.category, str(r.found_calls), str(r.missed_sampled), str(r.missed_added),
                      f"{r.missed_estimate:.1f}", _pct(r.recall), _interval(r.interval))
    console.print(table)
    listed = ", ".join(f"{p.key} {_pct(p.precision)} (n={p.judged})" for p in report.below) or "none"
    typer.echo(f"under the precision of {report.min_precision:.0%}, for attention (not switched off): {listed}")


@qa_app.command()
def train(
    from_db: bool = typer.Option(False, "--from-db", help="Add reviewers' verdicts from the database (upheld, "
                                                          "dismissed and reviewer-added findings on agent turns)."),
    out: Optional[Path] = typer.Option(None, "--out", help="Candidates folder (default: AUDIT_READER_DIR/candidates)."),
    corpus_every: int = typer.Option(1, "--corpus-every", min=1, help="Every Nth corpus utterance only: a quick "
                                                                      "trial, not a reader to promote."),
    profile: str = typer.Option("cn", "--profile", help="Rule profile the locked split is audited with."),
    db: Path = DbOption,
) -> None:
    """Train a candidate learned reader (the shipped corpus, plus the database's verdicts as one more author group)
    and print its scores on the locked test split beside the current reader's (figures only). It is used only once
    promoted: `audit model promote CANDIDATE`."""
    from audit import reader as learned, settings

    try:
        from audit.reader_training import (DB_AUTHOR, db_examples, locked_split_report, side_by_side,
                                           train_candidate)
    except ImportError as error:  # scikit-learn is the `train` extra's
        console.print(f"[bold red]error:[/] training needs the train extra (pip install '.[train]'): {error}")
        raise typer.Exit(2) from error

    extra = db_examples(_store(db).judged_turns()) if from_db else []
    if from_db:
        typer.echo(f"{len(extra)} judged agent turns from the database ({DB_AUTHOR}), "
                   f"{sum(1 for e in extra if e['labels'])} with a violation")
    try:
        candidate = train_candidate(extra, out or settings.reader_dir() / "candidates", corpus_every=corpus_every)
        current = learned.load_reader()
        reports = [locked_split_report(r, profile) for r in (current, learned.LearnedReader(candidate.folder))]
    except AuditError as error:
        raise _error_exit(error) from error
    typer.echo(side_by_side(*reports, current.version, candidate.version))
    typer.echo(f"candidate {candidate.version} ({candidate.examples} examples) -> {candidate.folder}\n"
               f"to use it: audit model promote {candidate.folder}")


@dials_app.command("import")
def dials_import(
    csv_path: Path = typer.Argument(..., metavar="DIALS.csv", help="debtor_id,number,dialed_at,answered,agent_id,"
                                                                   "call_id"),
    profile: str = typer.Option("cn", "--profile", help="Rule profile whose contact-frequency limits apply."),
    db: Path = DbOption,
) -> None:
    """Import a dial log and report every debtor/day over the profile's contact-frequency limits, as a reviewable
    item on each call involved."""
    from audit.qa.dials import import_dials

    _dials_report(profile, lambda limits: import_dials(_store(db), csv_path, limits))


@dials_app.command("check")
def dials_check(
    profile: str = typer.Option("cn", "--profile", help="Rule profile whose contact-frequency limits apply."),
    db: Path = DbOption,
) -> None:
    """Check every stored dial attempt against the profile's limits again (after the limits changed, or once the
    recordings of logged calls are stored); items already judged keep their verdicts, none is added twice."""
    from audit.qa.dials import check_dials

    _dials_report(profile, lambda limits: check_dials(_store(db), limits))


def _dials_report(profile: str, run) -> None:
    from audit.rulepack import load_rule_pack

    try:
        limits = load_rule_pack(profile).contact_limits
        result = run(limits)
    except AuditError as error:
        raise _error_exit(error) from error
    for problem in result.problems:
        console.print(f"[yellow]skipped:[/] {problem}")
    table = Table(title=f"contact-frequency violations ({profile} profile, {len(limits)} limits)")
    for column in ("rule", "debtor", "number", "day", "counted", "limit", "call", "severity"):
        table.add_column(column)
    for v in result.violations:
        table.add_row(v.rule_id, v.debtor_id, v.number or "", v.day, str(v.counted), str(v.max_contacts),
                      v.call_id or "–", v.severity)
    console.print(table)
    typer.echo(f"{result.read} attempts read ({result.added} new) for {result.debtors} debtors; "
               f"{len(result.violations)} violations at {datetime.now():%Y-%m-%d %H:%M}; each on a recorded call "
               f"is a call-level item to review (audit review ITEM_ID --item)")
    if result.problems:
        raise typer.Exit(1)
