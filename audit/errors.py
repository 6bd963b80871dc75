"""Errors a user can act on. Each names the file (and row or field where there is one) and the problem."""

from __future__ import annotations

from pathlib import Path


class AuditError(Exception):
    """Base of every error the tool raises on purpose; the CLI prints these without a traceback."""

    def __init__(self, source: str | Path | None, problem: str):
        self.source = str(source) if source is not None else None
        self.problem = problem
        super().__init__(f"{self.source}: {problem}" if self.source else problem)


class AudioError(AuditError):
    """The audio file is missing, empty, not audio, or cannot be decoded."""


class MetadataError(AuditError):
    """The metadata CSV cannot be read at all (a single bad row is a warning, not this)."""


class ModelError(AuditError):
    """No speech-recognition model could be found or loaded."""


class LexiconError(AuditError):
    """A lexicon file is missing, is not valid YAML, or does not have the expected fields."""


class TranscriptError(AuditError):
    """A transcript file (ours, or JSONL from another ASR system) cannot be read."""


class DialLogError(AuditError):
    """A dial-log CSV cannot be read at all (a single bad row is a warning, not this)."""
