"""The metadata CSV that travels with a batch of recordings: who made each call, when, and how it was recorded.

Columns (header row required; order free; extra columns ignored):

| column | meaning |
|---|---|
| call_id | unique id of the call (required) |
| file | audio file, relative to the CSV's folder or absolute, inside that folder (required) |
| agent_id, agent_name, team | who made the call |
| started_at | ISO 8601 with UTC offset: 2026-11-03T10:15:00+08:00 |
| debtor_tz | time zone of the debtor: IANA (Asia/Shanghai) or a UTC offset (+08:00, as many CRMs export) |
| channel_layout | stereo_agent_left, stereo_agent_right or mono |
| debtor_id | whom the call was to (the dial log's debtor_id): contact-frequency violations land on the call |

A row without its call_id or file, or with a call_id already used, is skipped with a message naming its row number
and the problem; a bad value in an optional column (started_at, debtor_tz, channel_layout) drops only that value,
with a message naming the row and the column, and the rest of the row is kept. The rest of the batch goes on, and a
recording without a usable row is still transcribed (under its file name). A ``file`` that leads outside the CSV's
folder (``../../etc/passwd``, an absolute path elsewhere, a symlink out) is refused: a CSV, uploaded or not, names
recordings beside it, never arbitrary files of the server. Rows without an agent are kept, with one note listing
them (their calls count under no agent in the scorecards).
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone, tzinfo
from pathlib import Path
from typing import Iterable
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


_OFFSET = re.compile(r"^(?:UTC|GMT)?\s*([+-])(\d{1,2})(?::?(\d{2}))?$", re.IGNORECASE)


def time_zone(name: str | None) -> tzinfo | None:
    """The zone a ``debtor_tz`` names: an IANA zone (Asia/Shanghai) or a fixed UTC offset (+08:00, +0800, UTC+8);
    None for none or anything else."""
    if not name:
        return None
    offset = _OFFSET.match(name.strip())
    if offset:
        sign, hours, minutes = offset.groups()
        delta = timedelta(hours=int(hours), minutes=int(minutes or 0))
        if delta > timedelta(hours=14):
            return None
        return timezone(-delta if sign == "-" else delta)
    try:
        return ZoneInfo(name.strip())
    except (ZoneInfoNotFoundError, ValueError):
        return None


def _normal_zone(name: str) -> str:
    """An offset written as ``+08:00`` whatever its spelling; an IANA name as given."""
    zone = time_zone(name)
    if isinstance(zone, timezone):
        minutes = int(zone.utcoffset(None).total_seconds() // 60)
        return f"{'-' if minutes < 0 else '+'}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"
    return name.strip()


def _row_problem(row: dict[str, str]) -> str | None:
    """What makes the whole row unusable (no call id or file), or None."""
    for column in REQUIRED_COLUMNS:
        if not row.get(column):
            return f"'{column}' is empty"
    return None


def _field_problems(row: dict[str, str]) -> dict[str, str]:
    """The optional values that cannot be used, by column, with why; the caller drops just those values."""
    problems = {}
    started_at = row.get("started_at")
    if started_at:
        try:
            parsed = datetime.fromisoformat(started_at)
        except ValueError:
            problems["started_at"] = f"'{started_at}' is not an ISO 8601 date-time (e.g. 2026-11-03T10:15:00+08:00)"
        else:
            if parsed.tzinfo is None:
                problems["started_at"] = f"'{started_at}' has no UTC offset (add e.g. +08:00)"
    tz_name = row.get("debtor_tz")
    if tz_name and time_zone(tz_name) is None:
        problems["debtor_tz"] = f"'{tz_name}' is neither an IANA time zone nor a UTC offset (e.g. Asia/Shanghai, +08:00)"
    layout = row.get("channel_layout")
    if layout and layout not in CHANNEL_LAYOUTS:
        problems["channel_layout"] = f"'{layout}' is not one of {', '.join(CHANNEL_LAYOUTS)}"
    return problems


def open_csv(path: Path, what: str, required: Iterable[str],
             expected: Iterable[str]) -> tuple[csv.DictReader, str | None]:
    """A CSV of ours opened for reading rows: size-limited, decoded (with a note when it was not UTF-8), its header
    names stripped and checked. Raises ``MetadataError`` when the file as a whole is unusable."""
    try:
        size = path.stat().st_size
        if size > MAX_CSV_BYTES:
            raise MetadataError(path, f"file is {size} bytes; the limit is {MAX_CSV_BYTES}")
        raw = path.read_bytes()
    except OSError as error:
        raise MetadataError(path, f"cannot read {what} ({error.strerror or error})") from error
    text, encoding_note = _decode(path, raw)
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = [name.strip() for name in (reader.fieldnames or [])]
    missing = [column for column in required if column not in header]
    if missing:
        raise MetadataError(path, f"header lacks column(s) {', '.join(missing)}; expected {','.join(expected)}")
    reader.fieldnames = header
    return reader, encoding_note


def load_metadata(path: str | Path) -> MetadataTable:
    """Read a metadata CSV. Raises ``MetadataError`` only when the file as a whole is unusable."""
    path = Path(path)
    reader, encoding_note = open_csv(path, "metadata CSV", REQUIRED_COLUMNS, KNOWN_COLUMNS)
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
            for column, why in _field_problems(values).items():
                table.problems.append(f"{path}, row {row_number}, field {column}: {why}; value dropped, rest of the "
                                      "row kept")
                values[column] = ""
            if values.get("debtor_tz"):
                values["debtor_tz"] = _normal_zone(values["debtor_tz"])
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
