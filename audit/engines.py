"""Where speech recognition runs for a batch: this process, a pool of local processes, or Ray actors (the only
module importing Ray). Each engine yields (job, ``TranscriptionResult`` or the error text naming the file) as calls
finish; ``audit.pipeline`` writes, audits and stores what comes back, whichever engine ran.
"""

from __future__ import annotations

import dataclasses
import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Iterator

from audit.asr import Transcriber, TranscriptionResult, default_batch_size
from audit.errors import AuditError, ModelError
from audit.models import CallMetadata


@dataclass(frozen=True)
class Job:
    index: int  # position in the batch, so results arriving out of order are reported in input order
    audio_path: Path
    call_id: str
    metadata: CallMetadata | None


def _transcribe_job(transcriber: Transcriber, job: Job, channel_layout: str | None) -> TranscriptionResult | str:
    """The transcription of one call, or the error (text naming the file) that stopped it."""
    try:
        return transcriber.transcribe(job.audio_path, call_id=job.call_id, metadata=job.metadata,
                                      channel_layout=channel_layout)
    except ModelError:
        raise  # no model means no call can be transcribed: stop and say what to install
    except AuditError as error:
        return str(error)


def transcriptions(jobs: Iterable[Job], transcriber: Transcriber, channel_layout: str | None, workers: int,
                   engine: str, ray_address: str | None) -> Iterator[tuple[Job, TranscriptionResult | str]]:
    """The engine that suits the batch: Ray, a pool of ``workers`` processes (given a list of more than one job), or
    this process, one job after another as ``jobs`` yields them."""
    if engine == "ray":
        return _ray_results(list(jobs), transcriber, channel_layout, ray_address)
    if workers > 1:
        jobs = list(jobs)
        if len(jobs) > 1:
            return _pool_results(jobs, transcriber, channel_layout, min(workers, len(jobs)))
    return ((job, _transcribe_job(transcriber, job, channel_layout)) for job in jobs)


def longest_first(jobs: list[Job]) -> list[Job]:
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


def _worker_transcribe(job: Job, channel_layout: str | None) -> TranscriptionResult | str:
    return _transcribe_job(_worker_transcriber, job, channel_layout)


def _pool_results(jobs: list[Job], transcriber: Transcriber, channel_layout: str | None,
                  workers: int) -> Iterator[tuple[Job, TranscriptionResult | str]]:
    """Local processes, one model each; CTranslate2's threads divided so workers × threads = the cores."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor, as_completed

    threads = max(1, (os.cpu_count() or 1) // workers)
    # spawn, not fork: a forked child inherits OpenMP and spaCy state that is not safe to share.
    with ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn"),
                             initializer=_start_worker, initargs=(transcriber.config(cpu_threads=threads),)) as pool:
        futures = {pool.submit(_worker_transcribe, job, channel_layout): job for job in longest_first(jobs)}
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

    def transcribe(self, job: Job, audio: bytes, channel_layout: str | None) -> TranscriptionResult | str:
        import tempfile

        with tempfile.TemporaryDirectory() as folder:
            local = Path(folder) / f"audio{job.audio_path.suffix}"
            local.write_bytes(audio)
            result = _transcribe_job(self.transcriber, dataclasses.replace(job, audio_path=local), channel_layout)
        if isinstance(result, str):
            return result.replace(str(local), str(job.audio_path))
        return dataclasses.replace(result, transcript=dataclasses.replace(result.transcript,
                                                                          audio_path=str(job.audio_path)))


def _ray_results(jobs: list[Job], transcriber: Transcriber, channel_layout: str | None,
                 address: str | None) -> Iterator[tuple[Job, TranscriptionResult | str]]:
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
    queue = iter(longest_first(jobs))
    pending: dict[Any, tuple[Job, Any]] = {}

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
