"""Loading and validating the YAML data in ``lexicons/``, each file versioned by the hash of its content.

Data, not code: a QA team edits terms without touching Python. A broken file is an error naming the file, the line
and the field, never a silent partial load.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from audit import settings
from audit.errors import LexiconError

MAX_LEXICON_BYTES = 2 * 1024 * 1024  # a rule file is a few KB; anything this big is a mistake or an attack


def lexicon_dir() -> Path:
    """``AUDIT_LEXICON_DIR`` if set, else the shipped ``lexicons/``."""
    return settings.lexicon_dir()


def content_version(*blobs: bytes) -> str:
    """First 12 hex digits of the sha256 of the files' bytes: the version recorded with every result."""
    digest = hashlib.sha256()
    for blob in blobs:
        digest.update(hashlib.sha256(blob).digest())
    return digest.hexdigest()[:12]


def read_yaml(path: Path) -> tuple[Any, bytes]:
    """Parse one YAML file safely; return the data and the raw bytes (for the version hash)."""
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise LexiconError(path, f"cannot read lexicon file ({error.strerror or error})") from error
    if len(raw) > MAX_LEXICON_BYTES:
        raise LexiconError(path, f"file is {len(raw)} bytes; lexicon files are limited to {MAX_LEXICON_BYTES}")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise LexiconError(path, f"not UTF-8 text (byte {error.start})") from error
    try:
        # No aliases: an alias bomb ("billion laughs") would expand to gigabytes inside safe_load.
        if any(token.__class__.__name__ == "AliasToken" for token in yaml.scan(text)):
            raise LexiconError(path, "YAML aliases (*name) are not allowed in lexicon files")
        return yaml.safe_load(text), raw
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "unknown position"
        raise LexiconError(path, f"invalid YAML at {where}: {error.problem}") from error
    except yaml.YAMLError as error:
        raise LexiconError(path, f"invalid YAML: {error}") from error


def _string_list(path: Path, data: dict[str, Any], field: str) -> tuple[str, ...]:
    value = data.get(field)
    if not isinstance(value, list) or not all(isinstance(item, str) and item.strip() for item in value):
        raise LexiconError(path, f"field '{field}' must be a list of non-empty strings")
    return tuple(item.strip() for item in value)


@dataclass(frozen=True)
class AsrLexicon:
    """Decoding bias (prompt, hotwords) and the hallucination phrase list for the recogniser."""

    initial_prompt: str
    hotwords: tuple[str, ...]
    hallucination_phrases: tuple[str, ...]
    domain_words: tuple[str, ...]  # words decoding bias leaks; the guard removes runs of them nobody said
    version: str
    path: str


def load_asr_lexicon(path: str | Path | None = None) -> AsrLexicon:
    path = Path(path) if path else lexicon_dir() / "asr_zh.yaml"
    data, raw = read_yaml(path)
    if not isinstance(data, dict):
        raise LexiconError(path, "expected a mapping with initial_prompt, hotwords, hallucination_phrases")
    prompt = data.get("initial_prompt") or ""
    if not isinstance(prompt, str):
        raise LexiconError(path, "field 'initial_prompt' must be a string (may be empty)")
    return AsrLexicon(
        initial_prompt=prompt.strip(),
        hotwords=_string_list(path, data, "hotwords"),
        hallucination_phrases=_string_list(path, data, "hallucination_phrases"),
        domain_words=_string_list(path, data, "domain_words") if "domain_words" in data else (),
        version=content_version(raw),
        path=str(path),
    )
