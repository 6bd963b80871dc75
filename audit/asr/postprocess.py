"""From the raw ASR of each channel (fresh or cached) to the transcript's segments: the post-processing that runs on
every transcription, so changing its options needs no re-decoding."""

from __future__ import annotations

from typing import Any, Callable

from audit import roles
from audit.asr.guard import guard_segment, silences_between, split_at_pauses
from audit.asr.options import AsrOptions
from audit.audio import SAMPLE_RATE_HZ
from audit.lexicons import AsrLexicon
from audit.models import DroppedSegment, Segment, Word
from audit.text import normalize_transcript_text


def postprocess(channels: list[dict[str, Any]], layout: str, mono_audio: Callable[[], Any], options: AsrOptions,
                lexicon: AsrLexicon) -> tuple[tuple[Segment, ...], tuple[DroppedSegment, ...]]:
    """Hallucination guard, Simplified text, speaker roles, time order. ``mono_audio()`` gives what the mono
    roles measure voices on: the whole mono signal, or for a long recording a reader of clips in time order."""
    agent_channel = 1 if layout == "stereo_agent_right" else 0
    kept: list[Segment] = []
    dropped: list[DroppedSegment] = []
    for channel in channels:
        index = channel["channel"]
        silences = silences_between(channel["speech_s"], options.split_silence_s)
        for raw in channel["segments"]:
            kept_raw, reason = guard_segment(raw, lexicon.hallucination_phrases, options, lexicon.domain_words)
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
            for piece in split_at_pauses(raw, options.split_pause_s, silences):
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
