"""The ASR lexicon (``lexicons/asr_zh.yaml``) and where the data folders are.

Data, not code: a QA team edits terms without touching Python. The file is read by ``audit.datafile`` (a broken one
is an error naming the file, the line and the field) and versioned by the hash of its content.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from audit import settings
from audit.datafile import LineMap, content_version, fields, load


def lexicon_dir() -> Path:
    """``AUDIT_LEXICON_DIR`` if set, else the shipped ``lexicons/``."""
    return settings.lexicon_dir()


def _string_list(data: LineMap, key: str) -> tuple[str, ...]:
    value = data.get(key)
    if not isinstance(value, list) or not all(isinstance(item, str) and item.strip() for item in value):
        raise data.error(key, "must be a list of non-empty strings")
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


ASR_LEXICON = fields("initial_prompt", "hotwords", "hallucination_phrases", "domain_words")  # its keys


def load_asr_lexicon(path: str | Path | None = None) -> AsrLexicon:
    file = load(Path(path) if path else lexicon_dir() / "asr_zh.yaml", ASR_LEXICON)
    data = file.data
    prompt = data.get("initial_prompt") or ""
    if not isinstance(prompt, str):
        raise data.error("initial_prompt", "must be a string (may be empty)")
    return AsrLexicon(
        initial_prompt=prompt.strip(),
        hotwords=_string_list(data, "hotwords"),
        hallucination_phrases=_string_list(data, "hallucination_phrases"),
        domain_words=_string_list(data, "domain_words") if "domain_words" in data else (),
        version=content_version(file.raw),
        path=str(file.path),
    )
