"""The ``audit`` command: a thin layer over the library with progress bars and clear errors.

Exit codes: 0 every call done; 1 the batch finished but some calls failed (see the report); 2 bad usage or an
unusable input file (metadata CSV, lexicon); 3 no speech model could be loaded.
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn
from rich.table import Table

from audit import __version__
from audit.asr import Transcriber, resolve_model
from audit.errors import AuditError, ModelError
from audit.pipeline import BatchReport, CallOutcome, audit_batch, collect_inputs, transcribe_batch

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="催收质检 collection-call auditor: transcribe and audit recorded Mandarin collection calls.")
console = Console(stderr=True)
EXIT_PARTIAL, EXIT_USAGE, EXIT_MODEL = 1, 2, 3

LAYOUT_HELP = "Default channel layout for the batch: stereo_agent_left, stereo_agent_right or mono (metadata wins)."
ScorecardOption = typer.Option("default", "--scorecard", help="Scorecard name (scorecards/<name>.yaml) or path.")
ModelOption = typer.Option("base", "--model", help="'base' (bundled, offline), a CTranslate2 model folder, or a "
                                                   "faster-whisper model name such as large-v3 (needs internet once).")
DeviceOption = typer.Option("cpu", "--device", help="cpu, cuda or auto.")


def _fail(error: AuditError) -> typer.Exit:
    console.print(f"[bold red]error:[/] {error}")
    return typer.Exit(EXIT_MODEL if isinstance(error, ModelError) else EXIT_USAGE)


def _check_layout(layout: Optional[str]) -> None:
    if layout and layout not in ("stereo_agent_left", "stereo_agent_right", "mono"):
        raise typer.BadParameter(f"'{layout}'; use stereo_agent_left, stereo_agent_right or mono",
                                 param_hint="--channel-layout")


def _run_batch(paths: list[Path], metadata: Optional[Path], out: Path, model: str, device: str,
               compute_type: Optional[str], channel_layout: Optional[str], cache_dir: Optional[Path],
               no_cache: bool) -> BatchReport:
    _check_layout(channel_layout)
    try:
        inputs = collect_inputs(paths, metadata)
    except AuditError as error:
        raise _fail(error) from error
    for problem in inputs.problems:
        console.print(f"[yellow]warning:[/] {problem}")
    if not inputs.audio_paths:
        console.print("[bold red]error:[/] no audio files found (accepted: .wav .mp3 .ogg .opus .flac .m4a .aac)")
        raise typer.Exit(EXIT_USAGE)
    transcriber = Transcriber(model=model, device=device, compute_type=compute_type, cache_dir=cache_dir,
                              use_cache=not no_cache)
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TextColumn("calls"),
               TextColumn("{task.fields[audio_min]:.1f} min audio"), TimeElapsedColumn(), TextColumn("ETA"),
               TimeRemainingColumn())
    with Progress(*columns, console=console, transient=False) as progress:
        task = progress.add_task("transcribing", total=len(inputs.audio_paths), audio_min=0.0)

        def on_call_done(outcome: CallOutcome) -> None:
            done_min = progress.tasks[task].fields["audio_min"] + outcome.duration_s / 60
            progress.update(task, advance=1, audio_min=done_min)
            if not outcome.ok:
                progress.console.print(f"[red]failed:[/] {outcome.error}")
            for warning in outcome.warnings:
                progress.console.print(f"[yellow]warning:[/] {outcome.audio_path}: {warning}")

        try:
            return transcribe_batch(transcriber, inputs, out, channel_layout, on_call_done)
        except ModelError as error:
            raise _fail(error) from error


def _print_summary(report: BatchReport, out: Path) -> None:
    table = Table(title=f"{len(report.outcomes)} calls -> {out}")
    for column in ("call", "status", "audio s", "segments", "ASR s", "note"):
        table.add_column(column)
    for outcome in report.outcomes:
        status = "[green]ok[/]" if outcome.ok else "[red]failed[/]"
        note = "cached" if outcome.from_cache else ""
        if not outcome.ok:
            note = outcome.error or ""
        table.add_row(outcome.call_id or "", status, f"{outcome.duration_s:.1f}", str(outcome.segments),
                      f"{outcome.asr_seconds:.1f}", note)
    console.print(table)
    if report.asr_seconds > 0:
        console.print(f"speed: {report.audio_seconds / report.asr_seconds:.1f} audio seconds per second of ASR "
                      "(cached calls excluded)" if all(not o.from_cache for o in report.outcomes) else
                      "some calls came from the transcript cache")


@app.command()
def transcribe(
    files: list[Path] = typer.Argument(None, help="Audio files or folders. Omit to take the files the metadata lists."),
    metadata: Optional[Path] = typer.Option(None, "--metadata", help="Metadata CSV (call_id,file,agent_id,...)."),
    out: Path = typer.Option(..., "--out", help="Folder for one <call_id>.json per call."),
    model: str = ModelOption,
    device: str = DeviceOption,
    compute_type: Optional[str] = typer.Option(None, help="CTranslate2 compute type (default int8 on CPU)."),
    channel_layout: Optional[str] = typer.Option(None, "--channel-layout", help=LAYOUT_HELP),
    cache_dir: Optional[Path] = typer.Option(None, help="Model and transcript cache (default ~/.cache/...)."),
    no_cache: bool = typer.Option(False, "--no-cache", help="Transcribe again even if a cached result exists."),
) -> None:
    """Transcribe recordings into Transcript JSON files (speakers, Simplified text, word times)."""
    report = _run_batch(files or [], metadata, out, model, device, compute_type, channel_layout, cache_dir, no_cache)
    _print_summary(report, out)
    if report.failed:
        raise typer.Exit(EXIT_PARTIAL)


@app.command()
def run(
    paths: list[Path] = typer.Argument(None, help="Audio files or folders (a folder's metadata.csv is used)."),
    metadata: Optional[Path] = typer.Option(None, "--metadata", help="Metadata CSV (call_id,file,agent_id,...)."),
    out: Path = typer.Option(Path("results"), "--out", help="Results folder."),
    model: str = ModelOption,
    device: str = DeviceOption,
    compute_type: Optional[str] = typer.Option(None, help="CTranslate2 compute type (default int8 on CPU)."),
    channel_layout: Optional[str] = typer.Option(None, "--channel-layout", help=LAYOUT_HELP),
    cache_dir: Optional[Path] = typer.Option(None, help="Model and transcript cache (default ~/.cache/...)."),
    profile: str = typer.Option("cn", "--profile", help="Rule profile (a folder under lexicons/)."),
    db: Optional[Path] = typer.Option(None, "--db", help="SQLite file (default OUT/audit.db; AUDIT_DB_URL wins)."),
    scorecard: str = ScorecardOption,
) -> None:
    """The main job: transcribe and audit every call of a batch, and write the results."""
    transcripts_dir = out / "transcripts"
    report = _run_batch(paths or [], metadata, transcripts_dir, model, device, compute_type, channel_layout,
                        cache_dir, no_cache=False)
    _print_summary(report, transcripts_dir)
    auditor = _auditor(profile, scorecard)
    audits_path = out / "audits.jsonl"
    store = _store(db or out / "audit.db")
    try:
        audits = audit_batch(auditor, report, audits_path, store)
    except AuditError as error:
        raise _fail(error) from error
    table = Table(title=f"audit ({auditor.pack.profile} rules {auditor.pack.version}, scorecard "
                        f"{auditor.scorecard.name} {auditor.scorecard.version})")
    for column in ("call", "verdict", "score", "critical", "findings", "missing disclosures", "signals"):
        table.add_column(column)
    colour = {"pass": "green", "review": "yellow", "fail": "red"}
    for audit in audits:
        table.add_row(audit.call_id, f"[{colour[audit.verdict]}]{audit.verdict}[/]", f"{audit.score:g}",
                      "yes" if audit.critical else "",
                      ", ".join(sorted({f.category for f in audit.findings})),
                      ", ".join(d.disclosure for d in audit.disclosures if d.status == "missing"),
                      ", ".join(sorted({s.signal for s in audit.signals})))
    console.print(table)
    console.print(f"Transcripts: {transcripts_dir}/<call_id>.json; audits (one call per line, the `audit scan` "
                  f"shape): {audits_path}; database: {store.url}")
    if report.failed:
        raise typer.Exit(EXIT_PARTIAL)


def _auditor(profile: str, scorecard: str = "default"):
    from audit.auditor import Auditor  # spaCy and the rule pack load only for commands that audit

    try:
        return Auditor(profile=profile, scorecard=scorecard)
    except AuditError as error:
        raise _fail(error) from error


@app.command()
def scan(
    input_path: Path = typer.Argument(..., metavar="INPUT.jsonl", help="One call per line: call_id, turns, ..."),
    out: Path = typer.Option(..., "--out", help="Output JSONL: one audit per line."),
    profile: str = typer.Option("cn", "--profile", help="Rule profile (a folder under lexicons/)."),
    scorecard: str = ScorecardOption,
) -> None:
    """Audit transcripts from another ASR system (JSONL), without audio."""
    from audit.scan import scan_file

    auditor = _auditor(profile, scorecard)
    with Progress(TextColumn("scanning"), TextColumn("{task.completed} calls"), TimeElapsedColumn(),
                  console=console) as progress:
        task = progress.add_task("scan")
        try:
            report = scan_file(auditor, input_path, out, on_call=lambda: progress.advance(task))
        except AuditError as error:
            raise _fail(error) from error
    for problem in report.problems:
        console.print(f"[yellow]skipped:[/] {problem}")
    console.print(f"{report.audited} calls audited -> {out} (rules {auditor.pack.profile} {auditor.pack.version})")
    if report.problems:
        raise typer.Exit(EXIT_PARTIAL)


@app.command(name="eval")
def evaluate_command(
    labeled: Path = typer.Argument(..., metavar="LABELED.jsonl", help="Calls with gold 'labels'."),
    profile: str = typer.Option("cn", "--profile", help="Rule profile (a folder under lexicons/)."),
    max_listed: int = typer.Option(50, help="How many misses / false alarms to list."),
) -> None:
    """Compare the detector against labelled calls: precision, recall and F1 per category, and every error."""
    from audit.evaluate import evaluate, format_report

    auditor = _auditor(profile)
    try:
        report = evaluate(auditor, labeled)
    except AuditError as error:
        raise _fail(error) from error
    typer.echo(f"rules {auditor.pack.profile} {auditor.pack.version}; " + format_report(report, max_listed))


@app.command()
def rules(profile: str = typer.Option("cn", "--profile", help="Rule profile (a folder under lexicons/).")) -> None:
    """Validate a rule profile and list its rules."""
    from audit.rulepack import load_rule_pack

    try:
        pack = load_rule_pack(profile)
    except AuditError as error:
        raise _fail(error) from error
    table = Table(title=f"{pack.name} — version {pack.version}")
    for column in ("rule", "category", "severity", "terms", "patterns", "description"):
        table.add_column(column)
    for rule in pack.conduct_rules:
        table.add_row(rule.id, rule.category, rule.severity, str(len(rule.terms)), str(len(rule.patterns)),
                      rule.description)
    for rule in pack.disclosures:
        table.add_row(rule.id, f"disclosure:{rule.disclosure}", "", "", str(len(rule.patterns)), rule.description)
    console.print(table)


def _store(path):
    from audit.storage import Store

    try:
        return Store(path)
    except AuditError as error:
        raise _fail(error) from error


DbOption = typer.Option(Path("results/audit.db"), "--db", help="SQLite file (AUDIT_DB_URL wins).")


@app.command()
def review(
    finding_id: int = typer.Argument(..., help="Finding id (as stored in the database)."),
    verdict: str = typer.Option(..., "--verdict", help="upheld, dismissed, severity_changed, appeal, appeal_upheld "
                                                       "or appeal_rejected."),
    reviewer: str = typer.Option(..., "--reviewer", help="Who decides (recorded in the trail)."),
    note: str = typer.Option("", "--note"),
    severity: Optional[str] = typer.Option(None, "--severity", help="New severity, with severity_changed."),
    db: Path = DbOption,
) -> None:
    """Append a reviewer's verdict on a finding to the review trail."""
    store = _store(db)
    try:
        row = store.add_review(finding_id, reviewer, verdict, note, severity)
    except AuditError as error:
        raise _fail(error) from error
    typer.echo(f"review {row.id} recorded ({row.verdict} by {row.reviewer}); chain hash {row.row_hash[:12]}")


@app.command()
def agents(
    team: Optional[str] = typer.Option(None, "--team"),
    since: Optional[str] = typer.Option(None, "--since", help="First day, YYYY-MM-DD."),
    until: Optional[str] = typer.Option(None, "--until", help="Last day, YYYY-MM-DD."),
    raw: bool = typer.Option(False, "--raw", help="Machine figures, before reviewers' verdicts."),
    db: Path = DbOption,
) -> None:
    """The scorecard table per agent, after reviewers' verdicts (dismissed findings no longer count)."""
    from audit.aggregate import agent_scorecards

    rows = _store(db).aggregate_rows()
    frame = agent_scorecards(**rows, reviewed=not raw, team=team, since=since, until=until)
    if frame.empty:
        console.print("no audited calls match (run `audit run` first, or widen --team/--since/--until)")
        return
    table = Table(title=f"agents ({'machine figures' if raw else 'after reviews'})")
    columns = ["rank", "agent_id", "agent_name", "team", "calls", "mean_score", "pass_rate", "critical_per_100",
               "complaints_per_100", "vulnerability_per_100"]
    for column in columns:
        table.add_column(column)
    for record in frame.to_dict("records"):
        table.add_row(*(f"{record[c]:.2f}" if isinstance(record[c], float) else str(record[c]) for c in columns))
    console.print(table)


@app.command()
def export(
    out: Path = typer.Option(..., "--out", help="Folder for the package."),
    since: Optional[str] = typer.Option(None, "--since", help="First day of calls, YYYY-MM-DD."),
    until: Optional[str] = typer.Option(None, "--until", help="Last day of calls, YYYY-MM-DD."),
    no_mask: bool = typer.Option(False, "--no-mask", help="Keep phone, ID-card and bank-card numbers (recorded)."),
    by: str = typer.Option("", "--by", help="Who exports (recorded in the manifest)."),
    db: Path = DbOption,
) -> None:
    """Write the batch-audit package for a regulator: Excel + CSVs, manifest with versions and hashes, rule pack."""
    from audit.export import export_package

    try:
        result = export_package(_store(db), out, since, until, mask=not no_mask, exported_by=by)
    except (AuditError, OSError) as error:
        console.print(f"[bold red]error:[/] {error}")
        raise typer.Exit(EXIT_USAGE) from error
    typer.echo(f"{result.calls} calls, {result.findings} findings -> {result.folder} "
               f"(personal numbers {'masked' if result.masked else 'NOT masked'}; see manifest.json)")


@app.command(name="verify-trail")
def verify_trail(db: Path = DbOption) -> None:
    """Check that no review was edited, deleted or inserted after the fact (exit 1 if the chain is broken)."""
    check = _store(db).verify_trail()
    if check.ok:
        typer.echo(f"review trail intact: {check.reviews} reviews, every hash chains to the one before")
        return
    console.print(f"[bold red]review trail broken:[/] {check.problem}")
    raise typer.Exit(EXIT_PARTIAL)


@app.command()
def model(
    name: str = typer.Argument("base", help="Model to check: 'base' (bundled), a folder, or a model name."),
    check: bool = typer.Option(False, "--check", help="Also load the model once to prove it works."),
    cache_dir: Optional[Path] = typer.Option(None, help="Model cache (default ~/.cache/...)."),
) -> None:
    """Show where the speech model comes from (assembling and verifying the bundled one if needed)."""
    try:
        source = resolve_model(name, cache_dir)
        if check:
            Transcriber(model=name, cache_dir=cache_dir).load()
    except AuditError as error:
        raise _fail(error) from error
    typer.echo(f"model {source.model_id} at {source.location}" + (" (loads)" if check else ""))


@app.command()
def version() -> None:
    """Print the version."""
    typer.echo(__version__)
