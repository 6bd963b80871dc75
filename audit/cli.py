"""The ``audit`` command: a thin layer over the library with progress bars and clear errors.

Exit codes: 0 every call done; 1 the batch finished but some calls failed (see the report); 2 bad usage or an
unusable input file (metadata CSV, lexicon); 3 no speech model could be loaded.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Optional

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn
from rich.table import Table

from audit import __version__, settings
from audit.audio import AUDIO_EXTENSIONS
from audit.errors import AuditError, ModelError
from audit.jsonio import write_jsonl_atomic
from audit.models import CHANNEL_LAYOUTS
from audit.terminal import fitted_table

if TYPE_CHECKING:  # the recogniser and the batch driver load only for the commands that use them (a fast CLI start)
    from audit.asr import Transcriber
    from audit.pipeline import BatchReport, CallOutcome

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="催收质检 collection-call auditor: transcribe and audit recorded Mandarin collection calls.")
console = Console(stderr=True)
EXIT_PARTIAL, EXIT_USAGE, EXIT_MODEL = 1, 2, 3

LAYOUT_HELP = f"Default channel layout for the batch: {', '.join(CHANNEL_LAYOUTS)} (metadata wins)."
ScorecardOption = typer.Option("default", "--scorecard", help="Scorecard name (scorecards/<name>.yaml) or path.")
ModelOption = typer.Option("base", "--model", help="'base' (bundled, offline), a CTranslate2 model folder, or a "
                                                   "faster-whisper model name such as large-v3 (needs internet once).")
DeviceOption = typer.Option("cpu", "--device", help="cpu, cuda or auto.")


def _error_exit(error: AuditError) -> typer.Exit:
    """Print the error; the exit (code 3 for a missing model, else 2) for the caller to raise."""
    console.print(f"[bold red]error:[/] {error}")
    return typer.Exit(EXIT_MODEL if isinstance(error, ModelError) else EXIT_USAGE)


def _transcriber(**options) -> Transcriber:
    from audit.asr import Transcriber

    try:
        return Transcriber(**options)
    except AuditError as error:  # e.g. a broken lexicons/asr_zh.yaml: exit 2 naming the file, not a traceback
        raise _error_exit(error) from error


def _check_layout(layout: Optional[str]) -> None:
    if layout and layout not in CHANNEL_LAYOUTS:
        raise typer.BadParameter(f"'{layout}'; use {', '.join(CHANNEL_LAYOUTS)}",
                                 param_hint="--channel-layout")


def _transcribe_with_progress(paths: list[Path], metadata: Optional[Path], out: Path, model: str, device: str,
                              compute_type: Optional[str], channel_layout: Optional[str], cache_dir: Optional[Path],
                              no_cache: bool) -> BatchReport:
    """``audit transcribe``'s work: the batch's recordings transcribed into ``out``, with a progress bar."""
    from audit.pipeline import transcribe_batch

    _check_layout(channel_layout)
    inputs = _inputs(paths, metadata)
    transcriber = _transcriber(model=model, device=device, compute_type=compute_type, cache_dir=cache_dir,
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
            raise _error_exit(error) from error


def _print_summary(report: BatchReport, out: Path) -> None:
    table = fitted_table(f"{len(report.outcomes)} calls -> {out}",
                         ["call", "status", "audio_s", "segments", "asr_s", "note"])
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
    report = _transcribe_with_progress(files or [], metadata, out, model, device, compute_type, channel_layout,
                                       cache_dir, no_cache)
    _print_summary(report, out)
    if report.failed:
        raise typer.Exit(EXIT_PARTIAL)


@app.command()
def run(
    paths: list[Path] = typer.Argument(None, help="Audio files or folders (a folder's metadata.csv is used)."),
    metadata: Optional[Path] = typer.Option(None, "--metadata", help="Metadata CSV (call_id,file,agent_id,...)."),
    out: Path = typer.Option(Path("results"), "--out", help="Results folder."),
    jsonl: Optional[Path] = typer.Option(None, "--jsonl", help="Audits as JSONL, one call per line in the `audit "
                                                               "scan` shape (default OUT/audits.jsonl)."),
    model: str = ModelOption,
    device: str = DeviceOption,
    compute_type: Optional[str] = typer.Option(None, help="CTranslate2 compute type (default int8 on CPU)."),
    channel_layout: Optional[str] = typer.Option(None, "--channel-layout", help=LAYOUT_HELP),
    cache_dir: Optional[Path] = typer.Option(None, help="Model and transcript cache (default ~/.cache/...)."),
    profile: str = typer.Option("cn", "--profile", help="Rule profile (a folder under lexicons/)."),
    db: Optional[Path] = typer.Option(None, "--db", help="SQLite file (default OUT/audit.db; AUDIT_DB_URL wins)."),
    scorecard: str = ScorecardOption,
    workers: Optional[int] = typer.Option(None, "--workers", min=1, help="Parallel transcription processes, the "
                                          "cores shared (default: one per core on the CPU, as memory allows)."),
    batch_size: Optional[int] = typer.Option(None, "--batch-size", min=0, help="Batched decoding of stereo calls: N "
                                             "chunks at once (0: sequential; default 16 on a GPU, 0 on the CPU)."),
    engine: str = typer.Option("local", "--engine", help="local, or ray to run on a Ray cluster."),
    address: Optional[str] = typer.Option(None, "--address", help="Ray cluster: auto or ray://host:port (default: a "
                                                                  "local Ray instance)."),
) -> None:
    """The main job: transcribe, audit and store every call of a batch. Each call is saved as it finishes; run the
    same command again after an interruption and it carries on where it stopped."""
    from audit.asr import default_batch_size, default_workers
    from audit.audio import probe_duration_s
    from audit.pipeline import run_batch

    _check_layout(channel_layout)
    if engine not in ("local", "ray"):
        raise typer.BadParameter(f"'{engine}'; use local or ray", param_hint="--engine")
    inputs = _inputs(paths or [], metadata)
    auditor = _auditor(profile, scorecard)
    store = _store(db or out / "audit.db")
    if batch_size is None:
        batch_size = default_batch_size(device)
    transcriber = _transcriber(model=model, device=device, compute_type=compute_type, cache_dir=cache_dir,
                               batch_size=batch_size)
    if workers is None and engine == "local":
        workers = default_workers(transcriber)
    expected_s = {str(path): probe_duration_s(path) or 0.0 for path in inputs.audio_paths}
    columns = (TextColumn("{task.description}"), BarColumn(), TextColumn("{task.fields[calls]}/{task.fields[of]} "
               "calls"), TextColumn("{task.fields[hours_done]:.2f}/{task.fields[hours]:.2f} h audio"),
               TimeElapsedColumn(), TextColumn("ETA"), TimeRemainingColumn())
    with Progress(*columns, console=console) as progress:
        # Progress is measured in audio seconds, so the ETA weighs a long call more than a short one.
        total_s = sum(expected_s.values())
        task = progress.add_task("auditing", total=total_s or len(expected_s), calls=0, of=len(expected_s),
                                 hours_done=0.0, hours=total_s / 3600)

        def on_call_done(outcome: CallOutcome) -> None:
            done_s = expected_s.get(outcome.audio_path) or 0.0
            fields = progress.tasks[task].fields
            progress.update(task, advance=done_s if total_s else 1, calls=fields["calls"] + 1,
                            hours_done=fields["hours_done"] + done_s / 3600)
            if not outcome.ok:
                progress.console.print(f"[red]failed:[/] {outcome.error}")
            for warning in outcome.warnings:
                progress.console.print(f"[yellow]warning:[/] {outcome.audio_path}: {warning}")

        try:
            report = run_batch(inputs, transcriber, auditor, store, out / "transcripts",
                               channel_layout=channel_layout, on_call_done=on_call_done, workers=workers or 1,
                               engine=engine, ray_address=address)
        except AuditError as error:
            raise _error_exit(error) from error
    jsonl_path = jsonl or out / "audits.jsonl"
    write_jsonl_atomic(jsonl_path, report.audit_lines)
    _print_audit_summary(report, auditor)
    resumed = sum(outcome.resumed for outcome in report.outcomes)
    console.print(f"{len(report.audit_lines)} calls audited ({resumed} already in the database), "
                  f"{len(report.failed)} failed, {report.audio_seconds / 3600:.2f} h of audio. Transcripts: "
                  f"{out / 'transcripts'}/<call_id>.json; audits (the `audit scan` shape): {jsonl_path}; "
                  f"database: {store.url}")
    if report.failed:
        raise typer.Exit(EXIT_PARTIAL)


def _inputs(paths: list[Path], metadata: Optional[Path]):
    from audit.pipeline import collect_inputs

    try:
        inputs = collect_inputs(paths, metadata)
    except AuditError as error:
        raise _error_exit(error) from error
    for problem in inputs.problems:
        console.print(f"[yellow]warning:[/] {problem}")
    if not inputs.audio_paths:
        console.print(f"[bold red]error:[/] no audio files found (accepted: {' '.join(sorted(AUDIO_EXTENSIONS))})")
        raise typer.Exit(EXIT_USAGE)
    return inputs


def _print_audit_summary(report: BatchReport, auditor) -> None:
    table = fitted_table(f"audit ({auditor.pack.profile} rules {auditor.pack.version}, scorecard "
                         f"{auditor.scorecard.name} {auditor.scorecard.version})",
                         ["call", "verdict", "score", "critical", "findings", "missing_disclosures", "signals"])
    colour = {"pass": "green", "review": "yellow", "fail": "red"}
    for line in report.audit_lines:
        table.add_row(line["call_id"], f"[{colour[line['verdict']]}]{line['verdict']}[/]", f"{line['score']:g}",
                      "yes" if line["critical"] else "",
                      ", ".join(sorted({f["category"] for f in line["findings"]})),
                      ", ".join(d for d, status in line["disclosures"].items() if status == "missing"),
                      ", ".join(sorted({s["signal"] for s in line["signals"]})))
    for outcome in report.failed:
        table.add_row(outcome.call_id or outcome.audio_path, "[red]failed[/]", "", "", outcome.error or "", "", "")
    console.print(table)


@app.command()
def rescan(
    since: Optional[str] = typer.Option(None, "--since", help="First day of calls, YYYY-MM-DD."),
    until: Optional[str] = typer.Option(None, "--until", help="Last day of calls, YYYY-MM-DD."),
    profile: str = typer.Option("cn", "--profile", help="Rule profile (a folder under lexicons/)."),
    scorecard: str = ScorecardOption,
    db: Path = typer.Option(Path("results/audit.db"), "--db", help="SQLite file (AUDIT_DB_URL wins)."),
) -> None:
    """Re-audit stored transcripts with the current rule pack, learned reader (a promoted one, once promoted) and
    scorecard (no audio, no ASR); earlier audits stay, and so do the findings reviewers added."""
    from audit.pipeline import rescan_stored

    auditor = _auditor(profile, scorecard)
    store = _store(db)
    with Progress(TextColumn("re-auditing"), TextColumn("{task.completed} calls"), TimeElapsedColumn(),
                  console=console) as progress:
        task = progress.add_task("rescan")
        try:
            report = rescan_stored(auditor, store, since, until, on_call=lambda: progress.advance(task))
        except AuditError as error:
            raise _error_exit(error) from error
    console.print(f"{report.audited} calls re-audited with {_detectors(auditor)} and "
                  f"scorecard {auditor.scorecard.name} {auditor.scorecard.version}: {report.added} new audits; "
                  + ", ".join(f"{count} {verdict}" for verdict, count in report.verdicts.items()))


RulesOnlyOption = typer.Option(False, "--rules-only", help="Leave the learned reader out: the rule pack alone.")


def _auditor(profile: str, scorecard: str = "default", rules_only: bool = False):
    from audit.auditor import Auditor  # spaCy and the rule pack load only for commands that audit

    try:
        return Auditor(profile=profile, scorecard=scorecard, reader=not rules_only)
    except AuditError as error:
        raise _error_exit(error) from error


@app.command()
def scan(
    input_path: Path = typer.Argument(..., metavar="INPUT.jsonl", help="One call per line: call_id, turns, ..."),
    out: Path = typer.Option(..., "--out", help="Output JSONL: one audit per line."),
    profile: str = typer.Option("cn", "--profile", help="Rule profile (a folder under lexicons/)."),
    scorecard: str = ScorecardOption,
    rules_only: bool = RulesOnlyOption,
) -> None:
    """Audit transcripts from another ASR system (JSONL), without audio."""
    from audit.scan import scan_file

    auditor = _auditor(profile, scorecard, rules_only)
    with Progress(TextColumn("scanning"), TextColumn("{task.completed} calls"), TimeElapsedColumn(),
                  console=console) as progress:
        task = progress.add_task("scan")
        try:
            report = scan_file(auditor, input_path, out, on_call=lambda: progress.advance(task))
        except AuditError as error:
            raise _error_exit(error) from error
    for problem in report.problems:
        console.print(f"[yellow]skipped:[/] {problem}")
    console.print(f"{report.audited} calls audited -> {out} ({_detectors(auditor)})")
    if report.problems:
        raise typer.Exit(EXIT_PARTIAL)


@app.command(name="eval")
def evaluate_command(
    labeled: list[Path] = typer.Argument(..., metavar="LABELED.jsonl...", help="Calls with gold 'labels'."),
    profile: str = typer.Option("cn", "--profile", help="Rule profile (a folder under lexicons/)."),
    max_listed: int = typer.Option(50, help="How many misses / false alarms to list."),
    scores_only: bool = typer.Option(False, "--scores-only",
                                     help="Figures only, no call text: for the locked test split."),
    rules_only: bool = RulesOnlyOption,
    disclosure_labels: str = typer.Option(
        "owed", "--disclosure-labels",
        help="What a disclosure labelled true means: 'owed' (given, or not owed: the dev set, l1-l18) or 'done' "
             "(given: the splits from l19 on). Decides whether not_applicable agrees with true or with false."),
) -> None:
    """Compare the detector against labelled calls: precision, recall and F1 per category, and every error."""
    from audit.evaluate import DISCLOSURE_LABELS, evaluate, format_report

    if disclosure_labels not in DISCLOSURE_LABELS:
        raise typer.BadParameter(f"one of {', '.join(DISCLOSURE_LABELS)}", param_hint="--disclosure-labels")

    auditor = _auditor(profile, rules_only=rules_only)
    report = None
    try:
        for path in labeled:
            report = evaluate(auditor, path, report, disclosure_labels)
    except AuditError as error:
        raise _error_exit(error) from error
    typer.echo(f"{_detectors(auditor)}; " + format_report(report, 0 if scores_only else max_listed))


def _detectors(auditor) -> str:
    reader = f", learned reader {auditor.reader.version}" if auditor.reader else ", rules only"
    return f"rules {auditor.pack.profile} {auditor.pack.version}{reader}"


@app.command()
def rules(profile: str = typer.Option("cn", "--profile", help="Rule profile (a folder under lexicons/).")) -> None:
    """Validate a rule profile and list its rules."""
    from audit.rulepack import load_rule_pack

    try:
        pack = load_rule_pack(profile)
    except AuditError as error:
        raise _error_exit(error) from error
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
        raise _error_exit(error) from error


DbOption = typer.Option(Path("results/audit.db"), "--db", help="SQLite file (AUDIT_DB_URL wins).")


@app.command()
def review(
    finding_id: str = typer.Argument(..., metavar="FINDING_ID | add CALL_ID",
                                     help="Finding id (or, with --item, call-level item id) as stored; or 'add' and "
                                          "a call id to add a finding the machine missed."),
    call_id: Optional[str] = typer.Argument(None, hidden=True),
    item: bool = typer.Option(False, "--item", help="The id is a call-level item's (call time, review reason)."),
    verdict: Optional[str] = typer.Option(None, "--verdict", help="upheld, dismissed, severity_changed, appeal, "
                                                                  "appeal_upheld or appeal_rejected."),
    reviewer: str = typer.Option(..., "--reviewer", help="Who decides (recorded in the trail)."),
    note: str = typer.Option("", "--note"),
    severity: Optional[str] = typer.Option(None, "--severity", help="New severity, with severity_changed; the "
                                                                    "severity of an added finding."),
    turn: Optional[int] = typer.Option(None, "--turn", help="add: the turn (0 = first) the missed finding is in."),
    at: Optional[str] = typer.Option(None, "--at", help="add: instead of --turn, a time in the audio: seconds "
                                                        "(83.5) or m:ss (1:23)."),
    quote: str = typer.Option("", "--quote", help="add: the words of the turn (default: the whole turn)."),
    category: Optional[str] = typer.Option(None, "--category", help="add: the conduct category."),
    db: Path = DbOption,
) -> None:
    """Append a reviewer's verdict on a finding (or a call-level item) to the review trail; or, as `audit review add
    CALL_ID --turn N --quote ... --category ... --severity ... --note ...`, a finding the machine missed."""
    store = _store(db)
    try:
        if finding_id == "add":
            if not call_id or not category or not severity:
                raise typer.BadParameter("review add needs CALL_ID, --category and --severity")
            from audit.reviewer_findings import parse_audio_time

            at_s = parse_audio_time(at) if at is not None else None
            finding, row = store.add_reviewer_finding(call_id, reviewer, category, severity, note, turn=turn,
                                                      quote=quote, at_s=at_s)
            typer.echo(f"finding {finding.id} added to {call_id} ({finding.category}, {finding.severity}, turn "
                       f"{finding.turn}: {finding.quote}); review {row.id}, chain hash {row.row_hash[:12]}")
            return
        if not finding_id.isdigit() or call_id is not None or not verdict:
            raise typer.BadParameter("give a finding id and --verdict (or: review add CALL_ID ...)")
        row = (store.add_item_review(int(finding_id), reviewer, verdict, note) if item
               else store.add_review(int(finding_id), reviewer, verdict, note, severity))
    except AuditError as error:
        raise _error_exit(error) from error
    typer.echo(f"review {row.id} recorded ({row.verdict} by {row.reviewer}); chain hash {row.row_hash[:12]}")


@app.command()
def agents(
    team: Optional[str] = typer.Option(None, "--team"),
    since: Optional[str] = typer.Option(None, "--since", help="First day, YYYY-MM-DD."),
    until: Optional[str] = typer.Option(None, "--until", help="Last day, YYYY-MM-DD."),
    by: str = typer.Option("agent", "--by", help="agent (the scorecard table), team (the roll-up) or week (the "
                                                 "trend per agent and ISO week)."),
    raw: bool = typer.Option(False, "--raw", help="Machine figures, before reviewers' verdicts."),
    db: Path = DbOption,
) -> None:
    """The scorecard table per agent (or team, or week), after reviewers' verdicts: dismissed findings no longer
    count, upheld ones do."""
    from audit.aggregate import TREND_COLUMNS, agent_scorecards, team_scorecards, weekly_trend

    if by not in ("agent", "team", "week"):
        raise typer.BadParameter(f"'{by}'; use agent, team or week", param_hint="--by")
    rows = _store(db).aggregate_rows()
    if by == "week":
        frame = weekly_trend(**rows, reviewed=not raw, team=team)
        if since or until:
            day = frame["week_start"].dt.strftime("%Y-%m-%d")
            frame = frame[(day >= (since or "")) & (day <= (until or "9999"))]
        columns = TREND_COLUMNS
    else:
        table_of = agent_scorecards if by == "agent" else team_scorecards
        frame = table_of(**rows, reviewed=not raw, team=team, since=since, until=until)
        # the median is left to the app and the export: ten columns are what fits 80 characters
        columns = ["rank", *(["agent_id", "agent_name"] if by == "agent" else ["agents"]), "team", "calls",
                   "mean_score", "pass_rate", "critical_per_100", "complaints_per_100", "vulnerability_per_100"]
    if frame.empty:
        console.print("no audited calls match (run `audit run` first, or widen --team/--since/--until)")
        return
    table = fitted_table(f"{by}s ({'machine figures' if raw else 'after reviews'})", columns)
    for record in frame.to_dict("records"):
        table.add_row(*(_cell_text(record[column]) for column in columns))
    console.print(table)


def _cell_text(value) -> str:
    if hasattr(value, "strftime"):
        return value.strftime("%Y-%m-%d")
    return f"{value:.2f}" if isinstance(value, float) else str(value)


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


users_app = typer.Typer(no_args_is_help=True, help="Review-app accounts: reviewer, team_lead, admin.")
app.add_typer(users_app, name="users")


@users_app.command("add")
def users_add(
    username: str = typer.Argument(..., help="Login name (no spaces)."),
    role: str = typer.Option(..., "--role", help="reviewer, team_lead or admin."),
    team: Optional[str] = typer.Option(None, "--team", help="The team a team_lead leads."),
    name: Optional[str] = typer.Option(None, "--name", help="Display name (shown in the trail)."),
    password: str = typer.Option(..., "--password", prompt=True, hide_input=True, confirmation_prompt=True,
                                 envvar=settings.NEW_PASSWORD,
                                 help="Asked for when not given (or AUDIT_NEW_PASSWORD)."),
    db: Path = DbOption,
) -> None:
    """Create an account (the password is stored only as an argon2id hash)."""
    from audit.accounts import create_account

    try:
        account = create_account(_store(db), username, password, role, team, name)
    except AuditError as error:
        raise _error_exit(error) from error
    typer.echo(f"user {account.username} created: {account.role}" + (f" of {account.team}" if account.team else ""))


@users_app.command("list")
def users_list(db: Path = DbOption) -> None:
    """List accounts (never their password hashes)."""
    table = Table(title="users")
    for column in ("user", "name", "role", "team", "enabled", "created"):
        table.add_column(column)
    for row in _store(db).users():
        table.add_row(row.username, row.display_name, row.role, row.team or "", "no" if row.disabled else "yes",
                      row.created_at[:10])
    console.print(table)


@users_app.command("disable")
def users_disable(username: str = typer.Argument(...), db: Path = DbOption) -> None:
    """Disable an account: its sessions stop working at once; its reviews stay in the trail."""
    try:
        _store(db).update_user(username, disabled=True)
    except AuditError as error:
        raise _error_exit(error) from error
    typer.echo(f"user {username} disabled")


@app.command(name="verify-trail")
def verify_trail(db: Path = DbOption) -> None:
    """Check that no review was edited, deleted or inserted after the fact (exit 1 if the chain is broken)."""
    check = _store(db).verify_trail()
    if check.ok:
        typer.echo(f"review trail intact: {check.reviews} reviews, {check.exports} exports and "
                   f"{check.sample_verdicts} 抽检 verdicts, every hash chains to the one before")
        return
    console.print(f"[bold red]review trail broken:[/] {check.problem}")
    raise typer.Exit(EXIT_PARTIAL)


@app.command()
def model(
    name: str = typer.Argument("base", help="Model to check: 'base' (bundled), a folder, or a model name; or "
                                            "'promote' and a candidate folder of `audit train`."),
    candidate: Optional[Path] = typer.Argument(None, metavar="[CANDIDATE]", help="With 'promote': the candidate."),
    check: bool = typer.Option(False, "--check", help="Also load the model once to prove it works."),
    cache_dir: Optional[Path] = typer.Option(None, help="Model cache (default ~/.cache/...)."),
    by: str = typer.Option("", "--by", help="With 'promote': who promotes (recorded beside the reader)."),
) -> None:
    """Show where the speech model comes from (assembling and verifying the bundled one if needed); or, as `audit
    model promote CANDIDATE`, make a learned-reader candidate the one every audit uses (`audit rescan` re-audits)."""
    if name == "promote":
        from audit import reader as learned

        if candidate is None:
            raise typer.BadParameter("promote needs the candidate folder `audit train` printed")
        before = learned.load_reader().version
        try:
            promoted = learned.promote(candidate, by)
        except (RuntimeError, OSError) as error:
            console.print(f"[bold red]error:[/] {error}")
            raise typer.Exit(EXIT_USAGE) from error
        typer.echo(f"learned reader {promoted.version} promoted (was {before}) -> {learned.promoted_dir()}; "
                   f"`audit rescan` re-audits stored calls with it")
        return
    from audit.asr import Transcriber, resolve_model

    try:
        source = resolve_model(name, cache_dir)
        if check:
            Transcriber(model=name, cache_dir=cache_dir).load()
    except AuditError as error:
        raise _error_exit(error) from error
    typer.echo(f"model {source.model_id} at {source.location}" + (" (loads)" if check else ""))


@app.command()
def version() -> None:
    """Print the version."""
    typer.echo(__version__)


from audit.cli_qa import qa_app  # noqa: E402  (its commands use the helpers above)

app.add_typer(qa_app)
