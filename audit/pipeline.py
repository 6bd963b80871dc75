"""Running the pipeline over a batch of recordings: inputs and metadata in, one JSON per call out.

One bad call never stops a batch: its error is recorded with the file name and the rest go on. Every output file is
written atomically, so a batch killed half-way leaves only whole files, and a re-run is served from the transcript
cache for every call that had finished.
"""

from __future__ import annotations

import dataclasses
import itertools
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator

from audit.asr import Transcriber, TranscriptionResult, write_transcript
from audit.audio import AUDIO_EXTENSIONS
from audit.engines import Job, transcriptions
from audit.errors import AuditError
from audit.jsonio import write_json_atomic
from audit.metadata import MetadataTable, load_metadata
from audit.models import UNSAFE_FILE_CHARS, CallMetadata, Transcript
from audit.scan import audit_to_line

METADATA_FILE_NAME = "metadata.csv"


@dataclass(frozen=True)
class BatchInputs:
    """The recordings to process, the metadata that goes with them, and messages about what was left out."""

    audio_paths: tuple[Path, ...]
    metadata: MetadataTable | None
    problems: tuple[str, ...] = ()


@dataclass(frozen=True)
class CallOutcome:
    """What happened to one recording in a batch."""

    audio_path: str
    call_id: str | None
    ok: bool
    output_path: str | None = None
    error: str | None = None
    warnings: tuple[str, ...] = ()
    duration_s: float = 0.0
    asr_seconds: float = 0.0
    from_cache: bool = False
    segments: int = 0
    resumed: bool = False  # already in the database from an earlier (perhaps interrupted) run: nothing redone


@dataclass
class BatchReport:
    outcomes: list[CallOutcome] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    audit_lines: list[dict] = field(default_factory=list)  # run_batch only; kept out of batch_report.json

    @property
    def failed(self) -> list[CallOutcome]:
        return [outcome for outcome in self.outcomes if not outcome.ok]

    @property
    def audio_seconds(self) -> float:
        return sum(outcome.duration_s for outcome in self.outcomes if outcome.ok)

    @property
    def asr_seconds(self) -> float:
        return sum(outcome.asr_seconds for outcome in self.outcomes)

    def to_dict(self) -> dict:
        return {"calls": len(self.outcomes), "failed": len(self.failed), "audio_seconds": round(self.audio_seconds, 1),
                "asr_seconds": round(self.asr_seconds, 1), "problems": self.problems,
                "outcomes": [asdict(outcome) for outcome in self.outcomes]}


def collect_inputs(paths: Iterable[str | Path], metadata_csv: str | Path | None = None) -> BatchInputs:
    """Expand folders (recursively, known audio types only) and find the metadata.

    With ``metadata_csv`` that file is used; otherwise the ``metadata.csv`` inside each given folder, or beside each
    given file, is picked up. With no paths at all, the files the metadata lists are the batch. Files named
    explicitly are kept whatever their type, so that an unsupported one gets an error naming it rather than
    silently vanishing.
    """
    problems: list[str] = []
    found: list[Path] = []
    csv_paths: list[Path] = [Path(metadata_csv)] if metadata_csv else []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found.extend(sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in AUDIO_EXTENSIONS))
        else:
            found.append(path)
        beside = (path if path.is_dir() else path.parent) / METADATA_FILE_NAME
        if not metadata_csv and beside.is_file() and beside.resolve() not in {p.resolve() for p in csv_paths}:
            csv_paths.append(beside)
    metadata = None
    for csv_path in csv_paths:
        table = load_metadata(csv_path)
        if metadata is None:
            metadata = table
        else:
            metadata.merge(table)
    if metadata:
        problems.extend(metadata.problems)
        if not found:
            found = metadata.audio_paths()
        elif metadata_csv:  # an explicit CSV describes the batch: say which of its calls are not in it
            listed = {p.resolve() for p in found}
            problems.extend(f"{metadata.source}: call {record.call_id} lists {record.file}, which is not in this "
                            "batch" for resolved, record in metadata.by_path.items() if resolved not in listed)
    unique = list(dict.fromkeys(found))  # a file named twice is processed once
    return BatchInputs(tuple(unique), metadata, tuple(problems))


def output_name(call_id: str) -> str:
    """A file name for a call id that cannot escape the output folder (no separators, no leading dots)."""
    return (UNSAFE_FILE_CHARS.sub("_", call_id).lstrip(".") or "call") + ".json"


def _planned_calls(inputs: BatchInputs) -> Iterator[tuple[Path, str, CallMetadata | None, str | None]]:
    """Each recording with its call id and metadata, and an error where its call id is already taken in this batch
    (two files, one id: the second would silently overwrite the first)."""
    taken: dict[str, Path] = {}
    for audio_path in inputs.audio_paths:
        metadata = inputs.metadata.for_file(audio_path) if inputs.metadata else None
        call_id = metadata.call_id if metadata else audio_path.stem
        first = taken.setdefault(output_name(call_id), audio_path)
        error = None if first == audio_path else (f"call id '{call_id}' is already used by {first}; give each call "
                                                  "a unique call_id in the metadata CSV")
        yield audio_path, call_id, metadata, error


def _finish(job: Job, result: TranscriptionResult | str, out_dir: Path) -> tuple[CallOutcome, Transcript | None]:
    """Write the transcript where the batch keeps them and describe what happened."""
    if isinstance(result, str):
        return CallOutcome(str(job.audio_path), job.call_id, False, error=result), None
    try:
        output_path = write_transcript(result.transcript, out_dir / output_name(job.call_id))
    except OSError as error:
        return CallOutcome(str(job.audio_path), job.call_id, False, error=f"{out_dir}: {error}"), None
    return CallOutcome(str(job.audio_path), job.call_id, True, str(output_path), warnings=result.warnings,
                       duration_s=result.transcript.duration_s, asr_seconds=result.asr_seconds,
                       from_cache=result.from_cache, segments=len(result.transcript.segments)), result.transcript


def transcribe_batch(
    transcriber: Transcriber,
    inputs: BatchInputs,
    out_dir: str | Path,
    channel_layout: str | None = None,
    on_call_done: Callable[[CallOutcome], None] | None = None,
) -> BatchReport:
    """Transcribe every recording into ``out_dir/<call_id>.json`` and write ``out_dir/batch_report.json``.

    ``channel_layout`` is the batch default; a metadata row's own layout wins over it.
    """
    return _run_calls(inputs, transcriber, out_dir, channel_layout, on_call_done)


def run_batch(
    inputs: BatchInputs,
    transcriber: Transcriber,
    auditor,
    store,
    transcripts_dir: str | Path,
    *,
    channel_layout: str | None = None,
    on_call_done: Callable[[CallOutcome], None] | None = None,
    workers: int = 1,
    engine: str = "local",
    ray_address: str | None = None,
) -> BatchReport:
    """The main job: transcribe, audit and store each call as soon as it is done, so a batch killed half-way keeps
    every finished call; run again, it skips the calls the database already holds for the same recording, model,
    rule pack and scorecard, and the result is the database an uninterrupted run makes.

    Speech recognition is the slow part: with ``workers`` > 1 it runs in that many processes (the cores shared
    between them; ``asr.default_workers`` says how many suit this machine), with ``engine="ray"`` on Ray actors,
    while this process audits and stores each call the moment its transcript arrives. The report's ``audit_lines``
    hold every audited call (new or resumed) in input order, in the ``audit scan`` shape; ``outcomes`` are in the
    order calls finished.
    """
    from audit.audio import file_sha256

    versions = {"rule_pack_version": auditor.pack.version, "scorecard_version": auditor.scorecard.version,
                "reader_version": auditor.reader.version if auditor.reader else ""}

    def stored_audit(audio_path: Path, call_id: str):
        return store.stored_audit(call_id, file_sha256(audio_path), transcriber.source.model_id, **versions)

    def audit_and_store(outcome: CallOutcome, transcript: Transcript) -> tuple[CallOutcome, dict | None]:
        try:
            audit = auditor.audit_transcript(transcript)
            line = audit_to_line(audit)
            store.save(transcript, audit, line)
        except AuditError as failure:
            return dataclasses.replace(outcome, ok=False, error=str(failure)), None
        return outcome, line

    return _run_calls(inputs, transcriber, transcripts_dir, channel_layout, on_call_done, workers=workers,
                      engine=engine, ray_address=ray_address, stored_audit=stored_audit, audit=audit_and_store)


def _run_calls(
    inputs: BatchInputs,
    transcriber: Transcriber,
    out_dir: str | Path,
    channel_layout: str | None,
    on_call_done: Callable[[CallOutcome], None] | None,
    *,
    workers: int = 1,
    engine: str = "local",
    ray_address: str | None = None,
    stored_audit: Callable[[Path, str], Any] | None = None,  # -> storage.StoredAudit | None
    audit: Callable[[CallOutcome, Transcript], tuple[CallOutcome, dict | None]] | None = None,
) -> BatchReport:
    """The loop of both batch jobs: every planned call transcribed by the engine, its transcript written to
    ``out_dir``, then ``audit``-ed (which gives the outcome and the call's audit line); ``batch_report.json`` last.

    With ``stored_audit`` (a call's earlier audit in the database, or None) every call is looked up before recognition
    starts, and one found is reported as resumed, its transcript written back if missing; without it, calls are
    planned as the sequential recogniser reaches them, so outcomes stay in input order.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    report = BatchReport(problems=list(inputs.problems))
    lines: dict[int, dict] = {}

    def done(index: int, outcome: CallOutcome, line: dict | None) -> None:
        report.outcomes.append(outcome)
        if line is not None:
            lines[index] = line
        if on_call_done:
            on_call_done(outcome)

    def jobs() -> Iterator[Job]:
        for index, (audio_path, call_id, metadata, error) in enumerate(_planned_calls(inputs)):
            try:
                if error:
                    raise AuditError(audio_path, error)
                stored = stored_audit(audio_path, call_id) if stored_audit else None
            except (AuditError, OSError) as failure:
                text = str(failure) if isinstance(failure, AuditError) else f"{audio_path}: {failure}"
                done(index, CallOutcome(str(audio_path), call_id, False, error=text), None)
                continue
            if stored is None:
                yield Job(index, audio_path, call_id, metadata)
                continue
            output_path = out_dir / output_name(call_id)
            if not output_path.exists():
                write_json_atomic(output_path, stored.transcript)
            done(index, CallOutcome(str(audio_path), call_id, True, str(output_path), duration_s=stored.duration_s,
                                    from_cache=True, segments=len(stored.transcript.get("segments", [])),
                                    resumed=True), stored.audit_line)

    planned: Iterable[Job] = list(jobs()) if stored_audit else jobs()
    for job, result in transcriptions(planned, transcriber, channel_layout, workers, engine, ray_address):
        outcome, transcript = _finish(job, result, out_dir)
        line = None
        if transcript is not None and audit is not None:
            outcome, line = audit(outcome, transcript)
        done(job.index, outcome, line)
    report.audit_lines = [lines[index] for index in sorted(lines)]
    write_json_atomic(out_dir / "batch_report.json", report.to_dict())
    return report


@dataclass(frozen=True)
class RescanReport:
    audited: int
    added: int  # audits new to the database (the rest were already there for this rule pack and scorecard)
    verdicts: dict[str, int]


def rescan_stored(auditor, store, since: str | None = None, until: str | None = None,
                  on_call: Callable[[], None] | None = None, chunk: int = 1000) -> RescanReport:
    """Re-audit stored transcripts with the auditor's rule pack and scorecard, without touching audio or ASR: a new
    audit is added per call (the old ones stay), committed ``chunk`` calls at a time.

    One process on purpose: rules take a few milliseconds a call, and shipping transcripts and audits to worker
    processes and back cost more than it saved (measured: 1,000 calls took 1.8x longer with two workers)."""
    audits_before = store.counts()["audits"]
    verdicts = {"pass": 0, "review": 0, "fail": 0}
    bodies = store.stored_transcripts(since, until)
    audited = 0
    while batch := list(itertools.islice(bodies, chunk)):
        results = []
        for body in batch:
            transcript = Transcript.from_dict(body)
            audit = auditor.audit_transcript(transcript)
            results.append((transcript, audit, audit_to_line(audit)))
            verdicts[audit.verdict] += 1
            if on_call:
                on_call()
        store.save_many(results)
        audited += len(results)
    return RescanReport(audited, store.counts()["audits"] - audits_before, verdicts)
