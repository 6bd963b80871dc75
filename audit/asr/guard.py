"""The hallucination guard and pause splitting, applied to raw Whisper segments (plain dicts, as cached).

Whisper invents text on silence and noise, loops on a word, and ends short utterances with the domain words it was
biased toward; ``guard_segment`` removes these before any rule reads them, keeping the real speech around them.
``split_at_pauses`` then cuts a segment into turns at the pauses and silences inside it.
"""

from __future__ import annotations

import re
import zlib
from functools import lru_cache
from typing import Any

from audit.asr.options import AsrOptions
from audit.pinyin import is_cjk, loose, sounds_of
from audit.text import content_characters, normalize_transcript_text

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


@lru_cache(maxsize=8)
def _readings(domain_words: tuple[str, ...]) -> tuple[tuple[tuple[str, ...], str], ...]:
    """Each domain word's accent-folded syllables, longest word first (read once per word list, not per segment)."""
    return tuple(sorted(((tuple(loose(sound) for sound in sounds_of(word)), word) for word in domain_words),
                        key=lambda reading: -len(reading[0])))


def _domain_run(text: str, domain_words: tuple[str, ...]) -> list[tuple[int, str]]:
    """The domain words (by sound: 证信 reads as 征信) that end ``text``, last first, with where each starts."""
    han = [i for i, char in enumerate(text) if is_cjk(char)]
    sounds = [loose(sound) for sound in sounds_of("".join(text[i] for i in han))]
    readings = _readings(domain_words)
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
