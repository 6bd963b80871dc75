"""The JSONL interface for transcripts from elsewhere: ``audit scan`` reads calls, writes one audit per line.

Input line: {"call_id", "agent_id"?, "started_at"?, "debtor_tz"?, "turns": [{"speaker", "text", "start_s"?,
"end_s"?}]} (other keys ignored). A malformed line is reported with its line number and skipped; the rest are
audited. The output line shape is fixed (other tools depend on it): see ``audit_to_line``.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

from audit.errors import TranscriptError
from audit.jsonio import write_jsonl_atomic
from audit.models import SPEAKERS, CallAudit, Turn

MAX_LINE_BYTES = 10 * 1024 * 1024  # one call's transcript is a few KB; a 10 MB line is a broken export
MAX_TIME_S = 10_000_000  # a call lasts hours, not months: a time beyond this is a broken export (and would overflow)


@dataclass(frozen=True)
class CallInput:
    call_id: str
    turns: tuple[Turn, ...]
    started_at: str | None = None
    debtor_tz: str | None = None
    agent_id: str | None = None
    labels: dict[str, Any] | None = None


def _number(value: Any) -> float | None:
    """A time in seconds, or None: JSON's NaN / Infinity (Python reads them), or a time so large that arithmetic on
    it overflows to infinity, would make the output invalid JSON."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    try:
        number = float(value)
    except OverflowError:  # an integer with hundreds of digits
        return None
    return number if math.isfinite(number) and abs(number) <= MAX_TIME_S else None


def parse_call(data: Any) -> CallInput:
    """Validate one decoded line; raise ValueError with the problem."""
    if not isinstance(data, dict):
        raise ValueError("not a JSON object")
    call_id = data.get("call_id")
    if not isinstance(call_id, str) or not call_id.strip():
        raise ValueError("'call_id' missing or not a non-empty string")
    raw_turns = data.get("turns")
    if not isinstance(raw_turns, list):
        raise ValueError("'turns' missing or not a list")
    turns = []
    for index, raw in enumerate(raw_turns):
        if not isinstance(raw, dict) or not isinstance(raw.get("text"), str):
            raise ValueError(f"turn {index}: needs a 'text' string")
        speaker = raw.get("speaker", "unknown")
        if speaker not in SPEAKERS:
            raise ValueError(f"turn {index}: speaker '{speaker}' is not one of {', '.join(SPEAKERS)}")
        turns.append(Turn(speaker, raw["text"], _number(raw.get("start_s")), _number(raw.get("end_s"))))
    optional = {key: data.get(key) if isinstance(data.get(key), str) else None
                for key in ("started_at", "debtor_tz", "agent_id")}
    labels = data.get("labels") if isinstance(data.get("labels"), dict) else None
    return CallInput(call_id, tuple(turns), labels=labels, **optional)


def read_calls(path: str | Path) -> Iterator[tuple[int, CallInput | None, str | None]]:
    """(line number, call or None, problem or None) for every non-blank line."""
    path = Path(path)
    try:
        handle = open(path, "rb")
    except OSError as error:
        raise TranscriptError(path, f"cannot read ({error.strerror or error})") from error
    with handle:
        for line_number, raw in enumerate(_bounded_lines(handle), start=1):
            if raw is None:
                yield line_number, None, f"{path}, line {line_number}: longer than {MAX_LINE_BYTES} bytes; skipped"
                continue
            if not raw.strip():
                continue
            try:
                yield line_number, parse_call(json.loads(raw.decode("utf-8-sig"))), None
            except UnicodeDecodeError as error:
                yield line_number, None, f"{path}, line {line_number}: not UTF-8 (byte {error.start}); skipped"
            except json.JSONDecodeError as error:
                yield line_number, None, f"{path}, line {line_number}: not valid JSON ({error.msg}); skipped"
            except RecursionError:  # '[[[[…' thousands deep: the parser gives up; the line is not a call
                yield line_number, None, f"{path}, line {line_number}: JSON nested too deeply; skipped"
            except ValueError as error:
                yield line_number, None, f"{path}, line {line_number}: {error}; skipped"


def _bounded_lines(handle) -> Iterator[bytes | None]:
    """Lines of a binary file, with None for a line over the limit (read past without holding it in memory)."""
    while True:
        line = handle.readline(MAX_LINE_BYTES + 1)
        if not line:
            return
        if len(line) > MAX_LINE_BYTES and not line.endswith(b"\n"):
            while True:  # skip the rest of the over-long line
                rest = handle.readline(1 << 20)
                if not rest or rest.endswith(b"\n"):
                    break
            yield None
            continue
        yield line


def audit_to_line(audit: CallAudit) -> dict[str, Any]:
    """The ``audit scan`` output shape: findings with evidence, disclosures by id, signals, call verdict."""
    return {
        "call_id": audit.call_id,
        "findings": [finding.to_dict() for finding in audit.findings],
        "disclosures": {result.disclosure: result.status for result in audit.disclosures},
        "signals": [signal.to_dict() for signal in audit.signals],
        "call_time_violation": audit.call_time_violation,
        "critical": audit.critical,
        "score": audit.score,
        "verdict": audit.verdict,
        "review_reasons": list(audit.review_reasons),
        "third_party_answered": audit.third_party_answered,
        "disclosure_evidence": [result.to_dict() for result in audit.disclosures],
        "call_time": audit.call_time,
        "rule_pack": {"profile": audit.profile, "version": audit.rule_pack_version},
        "reader": {"version": audit.reader_version},
        "scorecard": {"name": audit.scorecard, "version": audit.scorecard_version},
        "deductions": list(audit.deductions),
        "quality": audit.quality,
    }


@dataclass
class ScanReport:
    audited: int = 0
    problems: list[str] = field(default_factory=list)


def scan_file(auditor, input_path: str | Path, output_path: str | Path, on_call=None) -> ScanReport:
    """Audit every call of a JSONL file into another JSONL file (written whole, then moved into place)."""
    report = ScanReport()
    seen: dict[str, int] = {}

    def audited_lines():
        for line_number, call, problem in read_calls(input_path):
            if call is not None and call.call_id in seen:  # two audits under one id: which one would be believed?
                problem = (f"{input_path}, line {line_number}: call_id '{call.call_id}' already used on line "
                           f"{seen[call.call_id]}; skipped")
            if problem:
                report.problems.append(problem)
            else:
                seen[call.call_id] = line_number
                audit = auditor.audit(call.call_id, call.turns, call.started_at, call.debtor_tz)
                report.audited += 1
                yield audit_to_line(audit)
            if on_call:
                on_call()

    write_jsonl_atomic(output_path, audited_lines())
    return report
