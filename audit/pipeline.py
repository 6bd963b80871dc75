"""Running the pipeline over a batch of recordings: inputs and metadata in, one JSON per call out.

One bad call never stops a batch: its error is recorded with the file name and the rest go on. Every output file is
written atomically, so a batch killed half-way leaves only whole files, and a re-run is served from the transcript
cache for every call that had finished.
"""

from __future__ import annotations

import dataclasses
import itertools
import os
import threading
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator

from audit.asr import Transcriber, TranscriptionResult, default_batch_size, write_transcript
from audit.audio import AUDIO_EXTENSIONS
from audit.errors import AuditError, ModelError
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


@dataclass(frozen=True)
class _Job:
    index: int  # position in the batch, so results arriving out of order are reported in input order
    audio_path: Path
    call_id: str
    metadata: CallMetadata | None


def _transcribe_job(transcriber: Transcriber, job: _Job, channel_layout: str | None) -> TranscriptionResult | str:
    """The transcription of one call, or the error (text naming the file) that stopped it."""
    try:
        return transcriber.transcribe(job.audio_path, call_id=job.call_id, metadata=job.metadata,
                                      channel_layout=channel_layout)
    except ModelError:
        raise  # no model means no call can be transcribed: stop and say what to install
    except AuditError as error:
        return str(error)


def _finish(job: _Job, result: TranscriptionResult | str, out_dir: Path) -> tuple[CallOutcome, Transcript | None]:
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

    def jobs() -> Iterator[_Job]:
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
                yield _Job(index, audio_path, call_id, metadata)
                continue
            output_path = out_dir / output_name(call_id)
            if not output_path.exists():
                write_json_atomic(output_path, stored.transcript)
            done(index, CallOutcome(str(audio_path), call_id, True, str(output_path), duration_s=stored.duration_s,
                                    from_cache=True, segments=len(stored.transcript.get("segments", [])),
                                    resumed=True), stored.audit_line)

    planned: Iterable[_Job] = list(jobs()) if stored_audit else jobs()
    for job, result in _transcriptions(planned, transcriber, channel_layout, workers, engine, ray_address):
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


# -- engines: where speech recognition runs. Each yields (job, TranscriptionResult or error text) as calls finish. --

def _transcriptions(jobs: Iterable[_Job], transcriber: Transcriber, channel_layout: str | None, workers: int,
                    engine: str, ray_address: str | None) -> Iterator[tuple[_Job, TranscriptionResult | str]]:
    """The engine that suits the batch: Ray, a pool of ``workers`` processes (given a list of more than one job), or
    this process, one job after another as ``jobs`` yields them."""
    if engine == "ray":
        return _ray_results(list(jobs), transcriber, channel_layout, ray_address)
    if workers > 1:
        jobs = list(jobs)
        if len(jobs) > 1:
            return _pool_results(jobs, transcriber, channel_layout, min(workers, len(jobs)))
    return ((job, _transcribe_job(transcriber, job, channel_layout)) for job in jobs)


def _longest_first(jobs: list[_Job]) -> list[_Job]:
    """The jobs in the order parallel workers should take them: longest recording first (by its header; unknown
    lengths last, input order among equals), so the batch ends on short calls instead of one worker finishing a long
    call while the others' cores sit idle."""
    from audit.audio import probe_duration_s

    return sorted(jobs, key=lambda job: -(probe_duration_s(job.audio_path) or 0.0))


_worker_transcriber: Transcriber | None = None


def _start_worker(config: dict) -> None:
    global _worker_transcriber
    _worker_transcriber = Transcriber(**config)
    # A pool's workers outlive a driver killed with SIGKILL (they wait on a queue nobody will ever write to), each
    # holding a model in memory: leave as soon as the driver is gone.
    threading.Thread(target=_exit_with_parent, daemon=True).start()


def _exit_with_parent() -> None:
    import multiprocessing.connection

    parent = multiprocessing.parent_process()
    if parent is not None:
        multiprocessing.connection.wait([parent.sentinel])
        os._exit(1)


def _worker_transcribe(job: _Job, channel_layout: str | None) -> TranscriptionResult | str:
    return _transcribe_job(_worker_transcriber, job, channel_layout)


def _pool_results(jobs: list[_Job], transcriber: Transcriber, channel_layout: str | None,
                  workers: int) -> Iterator[tuple[_Job, TranscriptionResult | str]]:
    """Local processes, one model each; CTranslate2's threads divided so workers × threads = the cores."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor, as_completed

    threads = max(1, (os.cpu_count() or 1) // workers)
    # spawn, not fork: a forked child inherits OpenMP and spaCy state that is not safe to share.
    with ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn"),
                             initializer=_start_worker, initargs=(transcriber.config(cpu_threads=threads),)) as pool:
        futures = {pool.submit(_worker_transcribe, job, channel_layout): job for job in _longest_first(jobs)}
        for future in as_completed(futures):
            job = futures[future]
            try:
                yield job, future.result()
            except ModelError:
                raise
            except Exception as error:  # a worker that crashed (killed, out of memory) fails its call, not the batch
                yield job, f"{job.audio_path}: transcription worker failed ({error.__class__.__name__}: {error})"


class _RayTranscriber:
    """One Ray actor: one model load, then calls. Audio travels as bytes, so worker nodes need no shared disk."""

    def __init__(self, config: dict):
        self.transcriber = Transcriber(**config)

    def transcribe(self, job: _Job, audio: bytes, channel_layout: str | None) -> TranscriptionResult | str:
        import tempfile

        with tempfile.TemporaryDirectory() as folder:
            local = Path(folder) / f"audio{job.audio_path.suffix}"
            local.write_bytes(audio)
            result = _transcribe_job(self.transcriber, dataclasses.replace(job, audio_path=local), channel_layout)
        if isinstance(result, str):
            return result.replace(str(local), str(job.audio_path))
        return dataclasses.replace(result, transcript=dataclasses.replace(result.transcript,
                                                                          audio_path=str(job.audio_path)))


def _ray_results(jobs: list[_Job], transcriber: Transcriber, channel_layout: str | None,
                 address: str | None) -> Iterator[tuple[_Job, TranscriptionResult | str]]:
    """Ray actors, one per GPU when the cluster has GPUs, otherwise one per ``cpu_threads`` CPUs; two calls in
    flight per actor so an actor never waits for the driver."""
    try:
        import ray
    except ImportError as error:
        raise AuditError(None, "--engine ray needs Ray: pip install 'collection-call-auditor[ray]'") from error
    if not ray.is_initialized():
        ray.init(address=address, include_dashboard=False, log_to_driver=False)
    resources = ray.cluster_resources()
    gpus = int(resources.get("GPU", 0))
    if gpus:
        # The driver chose its options for its own device (often a CPU): GPU actors decode in float16, batched
        # (the GPU default) unless a batch size was asked for.
        config = {**transcriber.config(), "device": "cuda"}
        config["options"] = dataclasses.replace(config["options"], compute_type="float16",
                                                batch_size=config["options"].batch_size or default_batch_size("cuda"))
        actor_class = ray.remote(num_gpus=1, num_cpus=1)(_RayTranscriber)
        actors = [actor_class.remote(config) for _ in range(gpus)]
    else:
        threads = min(transcriber.cpu_threads, max(1, int(resources.get("CPU", 1))))
        actor_class = ray.remote(num_cpus=threads)(_RayTranscriber)
        actors = [actor_class.remote(transcriber.config(cpu_threads=threads))
                  for _ in range(max(1, int(resources.get("CPU", 1)) // threads))]
    queue = iter(_longest_first(jobs))
    pending: dict[Any, tuple[_Job, Any]] = {}

    def submit(actor) -> None:
        job = next(queue, None)
        if job is None:
            return
        try:
            audio = job.audio_path.read_bytes()
        except OSError as error:
            pending[ray.put(f"{job.audio_path}: {error}")] = (job, actor)
            return
        pending[actor.transcribe.remote(job, audio, channel_layout)] = (job, actor)

    for actor in actors * 2:
        submit(actor)
    while pending:
        ready, _ = ray.wait(list(pending), num_returns=1)
        job, actor = pending.pop(ready[0])
        try:
            result = ray.get(ready[0])
        except ray.exceptions.RayError as error:  # the actor died or raised: this call fails, the batch goes on
            result = f"{job.audio_path}: Ray worker failed ({error.__class__.__name__}: {str(error)[:500]})"
        yield job, result
        submit(actor)
