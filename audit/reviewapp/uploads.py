"""Recordings for a batch: uploads checked (size, type by extension and by content) and stored under the data
directory, and the server folders a batch may be taken from."""

from __future__ import annotations

import re
import secrets
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Iterable

from audit import settings
from audit.audio import AUDIO_EXTENSIONS
from audit.metadata import MAX_CSV_BYTES
from audit.models import UNSAFE_FILE_CHARS
from audit.reviewapp.locations import data_dir, max_upload_bytes


MAX_NAME_CHARS = 120

# What the first bytes of each accepted audio type look like: the extension alone is a claim, not a check.
_MAGIC = {
    ".wav": lambda head: head[:4] in (b"RIFF", b"RF64") and head[8:12] == b"WAVE",
    ".mp3": lambda head: head[:3] == b"ID3" or (len(head) > 1 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0),
    ".ogg": lambda head: head[:4] == b"OggS",
    ".oga": lambda head: head[:4] == b"OggS",
    ".opus": lambda head: head[:4] == b"OggS",
    ".flac": lambda head: head[:4] == b"fLaC" or (head[:3] == b"ID3"),
    ".m4a": lambda head: head[4:8] == b"ftyp",
    ".aac": lambda head: head[:4] == b"ADIF" or head[:3] == b"ID3" or (
        len(head) > 1 and head[0] == 0xFF and head[1] & 0xF6 == 0xF0),
}


def sanitize_name(name: str, fallback: str = "upload") -> str:
    """A file name safe to create under the data directory: no folders (either slash), no leading dots, no control
    or shell characters, at most 120 characters (the extension kept); Chinese letters stay as they are."""
    base = re.split(r"[\\/]", unicodedata.normalize("NFKC", str(name)))[-1]
    base = UNSAFE_FILE_CHARS.sub("_", base).strip("._ ")
    if not base:
        return fallback
    stem, dot, suffix = base.rpartition(".")
    if dot and len(suffix) <= 8:
        stem = stem.strip("._ ") or fallback
        keep = MAX_NAME_CHARS - len(suffix) - 1
        return f"{stem[:keep]}.{suffix.lower()}"
    return base[:MAX_NAME_CHARS]


def check_upload(name: str, head: bytes, size: int, kind: str = "audio", limit_bytes: int | None = None
                 ) -> str | None:
    """Why an uploaded file is refused, or None: size limit, type by extension, and type by its first bytes."""
    limit = limit_bytes if limit_bytes is not None else (max_upload_bytes() if kind == "audio" else MAX_CSV_BYTES)
    if size <= 0:
        return f"{name}: empty file"
    if size > limit:
        return f"{name}: {size / 1024 / 1024:.1f} MB is over the {limit / 1024 / 1024:.0f} MB limit"
    suffix = Path(sanitize_name(name)).suffix.lower()
    if kind == "metadata":
        if suffix != ".csv":
            return f"{name}: the metadata must be a .csv file"
        if b"\x00" in head:
            return f"{name}: not a text (CSV) file"
        return None
    if suffix not in AUDIO_EXTENSIONS:
        accepted = ", ".join(sorted(AUDIO_EXTENSIONS))
        return f"{name}: '{suffix or '(no extension)'}' is not an accepted audio type ({accepted})"
    if not _MAGIC[suffix](head[:16]):
        return f"{name}: the content is not {suffix[1:].upper()} audio"
    return None


@dataclass(frozen=True)
class UploadBatch:
    folder: Path
    audio: tuple[Path, ...]
    metadata: Path | None
    problems: tuple[str, ...]


def save_uploads(files: Iterable[tuple[str, bytes]], metadata: tuple[str, bytes] | None = None,
                 root: str | Path | None = None, limit_bytes: int | None = None) -> UploadBatch:
    """Check and store uploaded recordings (and a metadata CSV) in a new folder of their own under
    ``<data dir>/uploads/``; refused files are named in ``problems`` and not written."""
    folder = Path(root or data_dir()) / "uploads" / f"{datetime.now():%Y%m%d-%H%M%S}-{secrets.token_hex(3)}"
    folder.mkdir(parents=True, exist_ok=False)
    saved, problems, taken = [], [], set()
    for name, data in files:
        problem = check_upload(name, data[:16], len(data), "audio", limit_bytes)
        if problem:
            problems.append(problem)
            continue
        target = folder / _unique(sanitize_name(name), taken)
        target.write_bytes(data)
        saved.append(target)
    metadata_path = None
    if metadata is not None:
        name, data = metadata
        problem = check_upload(name, data[:4096], len(data), "metadata")
        if problem:
            problems.append(problem)
        else:
            # metadata.csv beside the audio: its `file` column names the uploaded files relative to this folder
            metadata_path = folder / "metadata.csv"
            metadata_path.write_bytes(data)
    return UploadBatch(folder, tuple(saved), metadata_path, tuple(problems))


def _unique(name: str, taken: set[str]) -> str:
    candidate, number = name, 1
    while candidate.lower() in taken:
        number += 1
        stem, dot, suffix = name.rpartition(".")
        candidate = f"{stem}-{number}.{suffix}" if dot else f"{name}-{number}"
    taken.add(candidate.lower())
    return candidate


def batch_roots(root: str | Path | None = None) -> list[Path]:
    """Folders on the server a batch may be taken from: the data directory, plus ``AUDIT_BATCH_ROOTS`` (paths joined
    by the OS path separator) -- the app never reads recordings from anywhere else."""
    roots = [Path(root or data_dir())]
    roots += settings.batch_roots()
    return [r.resolve() for r in roots]


def resolve_server_folder(path: str | Path, roots: Iterable[Path]) -> Path:
    """The folder, resolved, if it lies inside one of ``roots``; ValueError naming the problem otherwise."""
    folder = Path(path).expanduser().resolve()
    roots = list(roots)
    if not any(folder == r or folder.is_relative_to(r) for r in roots):
        raise ValueError(f"{path} is outside the folders batches may come from ({', '.join(map(str, roots))}); "
                         "set AUDIT_BATCH_ROOTS to allow another")
    if not folder.is_dir():
        raise ValueError(f"{path} is not a folder")
    return folder


def folder_label(roots: Iterable[Path]):
    """How a folder is named to someone who may not see the server's paths: from its allowed root's own name down
    (``collection-call-auditor/incoming``), never the path above the root."""
    roots = list(roots)

    def named(folder: Path) -> str:
        root = next((r for r in roots if folder == r or folder.is_relative_to(r)), None)
        if root is None:
            return folder.name
        inside = folder.relative_to(root).as_posix()
        return root.name if inside == "." else f"{root.name}/{inside}"

    return named


def server_folders(roots: Iterable[Path], max_depth: int = 3, limit: int = 200) -> list[Path]:
    """Folders under the roots that hold recordings (directly), nearest first; bounded so a huge tree stays quick."""
    found: list[Path] = []
    for root in roots:
        if not root.is_dir():
            continue
        queue = [(root, 0)]
        while queue and len(found) < limit:
            folder, depth = queue.pop(0)
            try:
                entries = sorted(folder.iterdir())
            except OSError:
                continue
            if any(e.is_file() and e.suffix.lower() in AUDIO_EXTENSIONS for e in entries):
                found.append(folder)
            if depth < max_depth:
                queue.extend((e, depth + 1) for e in entries if e.is_dir() and not e.name.startswith("."))
    return found
