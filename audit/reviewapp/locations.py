"""Where the review app finds its database and keeps its files (uploads, exports, the session key)."""

from __future__ import annotations

from pathlib import Path

from audit import settings


def database_location() -> str:
    """What the app hands to ``Store``: ``AUDIT_DB_URL`` wins inside Store itself; else ``AUDIT_DB``; else the file the
    main job writes."""
    return settings.db_path()


def data_dir() -> Path:
    return settings.data_dir()


def max_upload_bytes() -> int:
    return int(settings.max_upload_mb() * 1024 * 1024)
