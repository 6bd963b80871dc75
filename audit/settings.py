"""Every environment setting the tool reads, in one place: its name, its default and what it means.

Each is read when asked for, never once at import, so a changed environment (a test, an app server restarted with
other settings) is seen at once. A variable set to the empty string counts as unset.

``AUDIT_DB_URL``          a database URL (PostgreSQL for a shared database); wins over every SQLite file (``--db``,
                          ``AUDIT_DB``). Default: none.
``AUDIT_DB``              the SQLite file the review app reads. Default: ``results/audit.db``.
``AUDIT_DATA_DIR``        the review app's folder: uploads, batches, exports, its session key. Default:
                          ``$XDG_DATA_HOME/collection-call-auditor`` (``~/.local/share/collection-call-auditor``),
                          outside the checkout, so the key that signs sessions is never one ``git add`` away.
``AUDIT_MAX_UPLOAD_MB``   the largest recording the app accepts, in MB. Default (also when not a number): 200.
``AUDIT_BATCH_ROOTS``     server folders a batch may be taken from besides the data directory, joined by the OS path
                          separator. Default: none.
``AUDIT_SESSION_SECRET``  the key that signs the app's sign-in tokens. Default: a random key kept in the data
                          directory (``accounts.session_secret``).
``AUDIT_CACHE_DIR``       assembled models and cached ASR output. Default: ``$XDG_CACHE_HOME/collection-call-auditor``
                          (``~/.cache/collection-call-auditor``).
``AUDIT_LEXICON_DIR``     the rule pack and ASR lexicon folder. Default: the shipped ``lexicons/``.
``AUDIT_SCORECARD_DIR``   the scorecards folder. Default: the shipped ``scorecards/``.
``AUDIT_PLAN_DIR``        the 抽检 sampling plans folder. Default: the shipped ``plans/``.
``AUDIT_PRELOAD_MODELS``  ``0``: the review app loads its models (rules engine, learned reader, speech model) when a
                          page first needs them, not in the background when the server starts. Default: ``1``.
``AUDIT_READER_DIR``      the learned readers' folder: ``candidates/`` that ``audit train`` wrote and ``current/``,
                          the one ``audit model promote`` made the one used (the shipped ``audit/reader_model/``
                          until then). Default: ``<AUDIT_DATA_DIR>/readers``.

``AUDIT_NEW_PASSWORD`` (the password of ``audit users add``) is read by Typer as that option's value; only its name
is kept here.
"""

from __future__ import annotations

import os
from pathlib import Path

DB_URL = "AUDIT_DB_URL"
DB = "AUDIT_DB"
DATA_DIR = "AUDIT_DATA_DIR"
MAX_UPLOAD_MB = "AUDIT_MAX_UPLOAD_MB"
BATCH_ROOTS = "AUDIT_BATCH_ROOTS"
SESSION_SECRET = "AUDIT_SESSION_SECRET"
CACHE_DIR = "AUDIT_CACHE_DIR"
LEXICON_DIR = "AUDIT_LEXICON_DIR"
SCORECARD_DIR = "AUDIT_SCORECARD_DIR"
PLAN_DIR = "AUDIT_PLAN_DIR"
READER_DIR = "AUDIT_READER_DIR"
PRELOAD_MODELS = "AUDIT_PRELOAD_MODELS"
NEW_PASSWORD = "AUDIT_NEW_PASSWORD"

DEFAULT_DB = "results/audit.db"  # where `audit run samples --out results` writes
APP_FOLDER = "collection-call-auditor"  # under the user's data and cache homes
DEFAULT_MAX_UPLOAD_MB = 200  # a two-hour 16 kHz stereo WAV is ~450 MB; call recordings (Opus/MP3) are a few MB


def _set(name: str) -> str | None:
    """The variable's value, or None when it is unset or empty."""
    return os.environ.get(name) or None


def db_url() -> str | None:
    return _set(DB_URL)


def db_path() -> str:
    return _set(DB) or DEFAULT_DB


def data_dir() -> Path:
    configured = _set(DATA_DIR)
    if configured:
        return Path(configured)
    return Path(_set("XDG_DATA_HOME") or Path.home() / ".local" / "share") / APP_FOLDER


def max_upload_mb() -> float:
    try:
        return float(_set(MAX_UPLOAD_MB) or DEFAULT_MAX_UPLOAD_MB)
    except ValueError:
        return DEFAULT_MAX_UPLOAD_MB


def preload_models() -> bool:
    return _set(PRELOAD_MODELS) != "0"


def batch_roots() -> list[Path]:
    """The extra folders of ``AUDIT_BATCH_ROOTS``, as given (blank entries skipped)."""
    return [Path(p) for p in (_set(BATCH_ROOTS) or "").split(os.pathsep) if p.strip()]


def session_secret() -> str | None:
    return _set(SESSION_SECRET)


def cache_dir() -> Path:
    configured = _set(CACHE_DIR)
    if configured:
        return Path(configured)
    return Path(_set("XDG_CACHE_HOME") or Path.home() / ".cache") / APP_FOLDER


def shipped_dir(folder: str) -> Path:
    """Where the shipped ``lexicons``, ``scorecards`` or ``plans`` are: inside an installed wheel
    (``audit/packdata/``, put there by setup.py), else the folder at the top of this checkout, where people edit them."""
    packaged = Path(__file__).resolve().parent / "packdata" / folder
    return packaged if packaged.is_dir() else Path(__file__).resolve().parent.parent / folder


def lexicon_dir() -> Path:
    configured = _set(LEXICON_DIR)
    return Path(configured) if configured else shipped_dir("lexicons")


def scorecard_dir() -> Path:
    configured = _set(SCORECARD_DIR)
    return Path(configured) if configured else shipped_dir("scorecards")


def plan_dir() -> Path:
    configured = _set(PLAN_DIR)
    return Path(configured) if configured else shipped_dir("plans")


def reader_dir() -> Path:
    configured = _set(READER_DIR)
    return Path(configured) if configured else data_dir() / "readers"
