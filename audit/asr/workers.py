"""How to spread transcription over this machine: how many worker processes, and whether to decode in batches."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from audit.errors import ModelError

if TYPE_CHECKING:
    from audit.asr.transcriber import Transcriber


def default_batch_size(device: str) -> int:
    """Batched decoding on a GPU, where it multiplies throughput. On the CPU the sequential decoder: parallel workers
    (``default_workers``) gain more there, and the accuracy figures in the README were measured on sequential
    transcripts; ``--batch-size`` still turns it on."""
    return 0 if device == "cpu" else 16


# Resident memory of one worker process beyond its model file (Python, CTranslate2, VAD, audio buffers), and how many
# times the model file's size the loaded model takes: measured for base with bench/throughput.py (two workers and the
# driver peaked at 1.34 GB), rounded up so that larger models are not over-packed.
WORKER_BASE_BYTES = 500 * 2**20
WORKER_MODEL_FACTOR = 2


def default_workers(transcriber: Transcriber) -> int:
    """How many transcription processes suit this machine: on the CPU one per core (each with one CTranslate2
    thread), as many as memory allows; one on a GPU, which batches instead.

    Measured on 2 cores (bench/throughput.py): two one-thread workers transcribed 2.3x faster than one two-thread
    worker, since much of a call's recognition (VAD, features, word alignment) runs on one core in Python."""
    device = transcriber.device
    if device == "auto":
        import ctranslate2

        device = "cuda" if ctranslate2.get_cuda_device_count() else "cpu"
    if device != "cpu":
        return 1
    try:
        model_bytes = (Path(transcriber.source.location) / "model.bin").stat().st_size
    except (OSError, ModelError):
        model_bytes = 2**30  # a model not on disk yet: assume a large one
    per_worker = WORKER_BASE_BYTES + WORKER_MODEL_FACTOR * model_bytes
    return max(1, min(os.cpu_count() or 1, _available_memory_bytes() // per_worker))


def _available_memory_bytes() -> int:
    """Memory the kernel could give new processes without swapping (Linux MemAvailable; free pages elsewhere)."""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return 2**31
