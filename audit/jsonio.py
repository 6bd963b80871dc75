"""Atomic JSON writes: readers (and a re-run after a crash) see the old file or the new one, never half of one."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any, Iterable


def _write_atomic(path: str | Path, write) -> Path:
    """Run ``write(handle)`` on a temporary file beside the target, flush it to disk, then rename over the target."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            write(handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp_name, path)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise
    return path


def write_json_atomic(path: str | Path, data: Any) -> Path:
    return _write_atomic(path, lambda handle: json.dump(data, handle, ensure_ascii=False, indent=1))


def write_jsonl_atomic(path: str | Path, rows: Iterable[Any]) -> Path:
    """One JSON document per line; ``rows`` may be a generator (lines are written as they come)."""
    def write(handle) -> None:
        for row in rows:
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")

    return _write_atomic(path, write)
