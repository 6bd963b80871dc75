"""Running the pipeline over a batch of recordings: inputs and metadata in, one JSON per call out.

One bad call never stops a batch: its error is recorded with the file name and the rest go on. Every output file is
written atomically, so a batch killed half-way leaves only whole files, and a re-run is served from the transcript
cache for every call that had finished.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable, Iterable

from audit.asr import Transcriber, write_transcript
from audit.audio import AUDIO_EXTENSIONS
from audit.errors import AuditError, ModelError
from audit.jsonio import write_json_atomic, write_jsonl_atomic
from audit.metadata import MetadataTable, load_metadata

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


@dataclass
class BatchReport:
    outcomes: list[CallOutcome] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

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


_UNSAFE_FILE_CHARS = re.compile(r"[^\w.\-]+", re.UNICODE)


def output_name(call_id: str) -> str:
    """A file name for a call id that cannot escape the output folder (no separators, no leading dots)."""
    return (_UNSAFE_FILE_CHARS.sub("_", call_id).lstrip(".") or "call") + ".json"


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
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    report = BatchReport(problems=list(inputs.problems))
    written: dict[str, str] = {}
    for audio_path in inputs.audio_paths:
        metadata = inputs.metadata.for_file(audio_path) if inputs.metadata else None
        call_id = metadata.call_id if metadata else audio_path.stem
        try:
            if output_name(call_id) in written:
                raise AuditError(audio_path, f"call id '{call_id}' is already used by {written[output_name(call_id)]}"
                                             "; give each call a unique call_id in the metadata CSV")
            result = transcriber.transcribe(audio_path, call_id=call_id, metadata=metadata,
                                            channel_layout=channel_layout)
            output_path = write_transcript(result.transcript, out_dir / output_name(call_id))
            written[output_name(call_id)] = str(audio_path)
            outcome = CallOutcome(str(audio_path), call_id, True, str(output_path), warnings=result.warnings,
                                  duration_s=result.transcript.duration_s, asr_seconds=result.asr_seconds,
                                  from_cache=result.from_cache, segments=len(result.transcript.segments))
        except ModelError:
            raise  # no model means no call can be transcribed: stop and say what to install
        except AuditError as error:
            outcome = CallOutcome(str(audio_path), call_id, False, error=str(error))
        report.outcomes.append(outcome)
        if on_call_done:
            on_call_done(outcome)
    write_json_atomic(out_dir / "batch_report.json", report.to_dict())
    return report



def audit_batch(auditor, report: BatchReport, audits_path: str | Path, store=None) -> list:
    """Audit every transcript a batch wrote, into one JSONL file in the ``audit scan`` output shape, and into the
    database when a ``store`` is given (saving is idempotent, so a re-run adds nothing twice)."""
    from audit.asr import read_transcript
    from audit.scan import audit_to_line

    audits, lines = [], []
    for outcome in report.outcomes:
        if not outcome.ok:
            continue
        transcript = read_transcript(outcome.output_path)
        audit = auditor.audit_transcript(transcript)
        line = audit_to_line(audit)
        if store is not None:
            store.save(transcript, audit, line)
        audits.append(audit)
        lines.append(line)
    write_jsonl_atomic(audits_path, lines)
    return audits
