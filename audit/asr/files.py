"""Transcript files: one call's ``Transcript`` as JSON, written atomically and read back."""

from __future__ import annotations

import json
from pathlib import Path

from audit.errors import TranscriptError
from audit.jsonio import write_json_atomic
from audit.models import Transcript


def write_transcript(transcript: Transcript, path: str | Path) -> Path:
    path = Path(path)
    write_json_atomic(path, transcript.to_dict())
    return path


def read_transcript(path: str | Path) -> Transcript:
    path = Path(path)
    try:
        return Transcript.from_dict(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError, TypeError, KeyError) as error:
        raise TranscriptError(path, f"not a transcript JSON written by this tool ({error})") from error

