"""The metadata CSV that travels with a batch of recordings: who made each call, when, and how it was recorded.

Columns (header row required; order free; extra columns ignored):

| column | meaning |
|---|---|
| call_id | unique id of the call (required) |
| file | audio file, relative to the CSV's folder or absolute, inside that folder (required) |
| agent_id, agent_name, team | who made the call |
| started_at | ISO 8601 with UTC offset: 2026-11-03T10:15:00+08:00 |
| debtor_tz | IANA time zone of the debtor: Asia/Shanghai |
| channel_layout | stereo_agent_left, stereo_agent_right or mono |
| debtor_id | whom the call was to (the dial log's debtor_id): contact-frequency violations land on the call |

A bad row is skipped with a message naming its row number and the problem; the rest of the batch goes on, and a
recording without a usable row is still transcribed (under its file name). A ``file`` that leads outside the CSV's
folder (``../../etc/passwd``, an absolute path elsewhere, a symlink out) is refused: a CSV, uploaded or not, names
recordings beside it, never arbitrary files of the server. Rows without an agent are kept, with one note listing
them (their calls count under no agent in the scorecards).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from audit.errors import MetadataError
from audit.models import CHANNEL_LAYOUTS, CallMetadata

REQUIRED_COLUMNS = ("call_id", "file")
KNOWN_COLUMNS = ("call_id", "file", "agent_id", "agent_name", "team", "started_at", "debtor_tz", "channel_layout",
                 "debtor_id")
MAX_CSV_BYTES = 64 * 1024 * 1024


@dataclass
class MetadataTable:
    """Rows by call id and by resolved audio path, plus one message per row that could not be used."""

    source: str
    by_call_id: dict[str, CallMetadata] = field(default_factory=dict)
    by_path: dict[Path, CallMetadata] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    def for_file(self, path: str | Path) -> CallMetadata | None:
        return self.by_path.get(Path(path).resolve())

    def audio_paths(self) -> list[Path]:
        return list(self.by_path)

    def merge(self, other: MetadataTable) -> None:
        """Add another CSV's rows (a batch may span folders, each with its own metadata.csv)."""
        self.source = f"{self.source}, {other.source}"
        self.problems.extend(other.problems)
        for record in other.by_call_id.values():
            if record.call_id in self.by_call_id:
                self.problems.append(f"{other.source}: call_id '{record.call_id}' already used in another "
                                     "metadata file; row skipped")
                continue
            self.by_call_id[record.call_id] = record
            self.by_path[Path(record.file).resolve()] = record


def _decode(path: Path, raw: bytes) -> tuple[str, str | None]:
    """UTF-8 (with or without BOM) as written by most tools; GB18030 as Excel on Chinese Windows saves CSV."""
    try:
        return raw.decode("utf-8-sig"), None
    except UnicodeDecodeError:
        pass
    try:
        return raw.decode("gb18030"), f"{path}: not UTF-8; read as GB18030 (Chinese Excel). Save as UTF-8 to be sure."
    except UnicodeDecodeError as error:
        raise MetadataError(path, f"neither UTF-8 nor GB18030 text (byte {error.start})") from error


def _row_problem(row: dict[str, str]) -> str | None:
    for column in REQUIRED_COLUMNS:
        if not row.get(column):
            return f"'{column}' is empty"
    started_at = row.get("started_at")
    if started_at:
        try:
            parsed = datetime.fromisoformat(started_at)
        except ValueError:
            return f"started_at '{started_at}' is not an ISO 8601 date-time (e.g. 2026-11-03T10:15:00+08:00)"
        if parsed.tzinfo is None:
            return f"started_at '{started_at}' has no UTC offset (add e.g. +08:00)"
    tz_name = row.get("debtor_tz")
    if tz_name:
        try:
            ZoneInfo(tz_name)
        except (ZoneInfoNotFoundError, ValueError):
            return f"debtor_tz '{tz_name}' is not an IANA time zone (e.g. Asia/Shanghai)"
    layout = row.get("channel_layout")
    if layout and layout not in CHANNEL_LAYOUTS:
        return f"channel_layout '{layout}' is not one of {', '.join(CHANNEL_LAYOUTS)}"
    return None


def load_metadata(path: str | Path) -> MetadataTable:
    """Read a metadata CSV. Raises ``MetadataError`` only when the file as a whole is unusable."""
    path = Path(path)
    try:
        size = path.stat().st_size
        if size > MAX_CSV_BYTES:
            raise MetadataError(path, f"file is {size} bytes; the limit is {MAX_CSV_BYTES}")
        raw = path.read_bytes()
    except OSError as error:
        raise MetadataError(path, f"cannot read metadata CSV ({error.strerror or error})") from error
    text, encoding_note = _decode(path, raw)
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = [name.strip() for name in (reader.fieldnames or [])]
    missing = [column for column in REQUIRED_COLUMNS if column not in header]
    if missing:
        raise MetadataError(path, f"header lacks column(s) {', '.join(missing)}; expected {','.join(KNOWN_COLUMNS)}")
    reader.fieldnames = header
    table = MetadataTable(source=str(path))
    if encoding_note:
        table.problems.append(encoding_note)
    folder = path.parent.resolve()
    without_agent: list[int] = []
    try:
        for row_number, row in enumerate(reader, start=2):  # row 1 is the header, as a spreadsheet numbers it
            values = {key: (value or "").strip() for key, value in row.items() if key in KNOWN_COLUMNS}
            problem = _row_problem(values)
            if problem is None and values["call_id"] in table.by_call_id:
                problem = f"call_id '{values['call_id']}' already used by an earlier row"
            audio_path = Path(values.get("file") or "")
            if not audio_path.is_absolute():
                audio_path = path.parent / audio_path
            if problem is None and not _inside(audio_path, folder):
                problem = (f"file '{values['file']}' is outside the CSV's folder {folder}; only recordings in that "
                           "folder or below it are read")
            if problem:
                table.problems.append(f"{path}, row {row_number}: {problem}; row skipped")
                continue
            if not values.get("agent_id"):
                without_agent.append(row_number)
            record = CallMetadata(**{key: values.get(key) or None for key in KNOWN_COLUMNS} | {
                "call_id": values["call_id"], "file": str(audio_path)})
            table.by_call_id[record.call_id] = record
            table.by_path[audio_path.resolve()] = record
    except csv.Error as error:
        table.problems.append(f"{path}, row {reader.line_num}: malformed CSV ({error}); rest of file skipped")
    if without_agent:
        rows = ", ".join(map(str, without_agent[:10])) + (", …" if len(without_agent) > 10 else "")
        table.problems.append(f"{path}: {len(without_agent)} row(s) without agent_id (row {rows}): those calls are "
                              "audited but count under no agent in the scorecards")
    return table


def _inside(audio_path: Path, folder: Path) -> bool:
    """Whether the path, with '..' and symlinks resolved, stays in ``folder``."""
    try:
        return audio_path.resolve().is_relative_to(folder)
    except (OSError, RuntimeError, ValueError):  # a symlink loop, a NUL byte: not a recording we read
        return False
