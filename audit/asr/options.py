"""``AsrOptions``: everything that shapes a transcript, and which of it keys the raw-ASR cache."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from audit.lexicons import AsrLexicon


@dataclass(frozen=True)
class AsrOptions:
    """Everything that shapes a transcript. Decoding options key the raw-ASR cache; the post-processing ones (guard
    thresholds, pause splitting) are applied to cached output on every run, so changing them needs no re-decoding."""

    language: str | None = "zh"
    beam_size: int = 5
    vad_filter: bool = True
    # A pause must last this long before the VAD cuts it out of what Whisper hears. Shorter (500 ms) spliced readers'
    # phrase pauses and cut words off (「阿尔利河畔普拉」 heard as 「…plar」); on ../shared/asr-dev/ 1000 ms and
    # faster-whisper's own 2000 ms give the same text, and 1000 keeps more of a channel's long silences out.
    vad_min_silence_ms: int = 1000
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
