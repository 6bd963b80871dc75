"""Chinese text normalisation shared by every stage: Traditional -> Simplified, whitespace, character error rate.

This module owns OpenCC. Whisper writes Traditional characters for Mandarin (錄音, 於七) and sometimes puts spaces
between characters; everything downstream (rules, reviewers, exports) works on Simplified text.
"""

from __future__ import annotations

import re
from functools import lru_cache

import opencc
from rapidfuzz.distance import Levenshtein

# Spaces between two CJK characters are an ASR artefact, not a word boundary; spaces next to Latin text are kept.
_CJK = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_SPACE_BETWEEN_CJK = re.compile(rf"(?<=[{_CJK}，。？！、：；])\s+(?=[{_CJK}，。？！、：；])")


@lru_cache(maxsize=1)
def _t2s() -> opencc.OpenCC:
    return opencc.OpenCC("t2s")


def to_simplified(text: str) -> str:
    """Traditional -> Simplified with OpenCC's phrase-aware tables; other scripts pass through unchanged."""
    return _t2s().convert(text) if text else text


# Full-width digits and Latin letters (８７２１, ＯＫ) and the ideographic space, folded to ASCII one for one. This is
# the part of NFKC that occurs in transcripts; full-width punctuation (，。？) is kept, it marks clauses.
_FULLWIDTH = {code: code - 0xFEE0 for code in (*range(0xFF10, 0xFF1A), *range(0xFF21, 0xFF3B), *range(0xFF41, 0xFF5B))}
_FULLWIDTH[0x3000] = 0x20


def normalize_with_offsets(text: str) -> tuple[str, tuple[int, ...]]:
    """``normalize_transcript_text`` plus, for each output character, the index of the input character it came from
    (and one more entry for the end), so evidence found in the normalised text is quoted from the text as given."""
    origin = list(range(len(text)))
    if "\ufffd" in text:  # a byte token Whisper left unfinished
        origin = [i for i, char in enumerate(text) if char != "\ufffd"]
        text_kept = "".join(text[i] for i in origin)
    else:
        text_kept = text
    folded = text_kept.translate(_FULLWIDTH)  # one character for one: offsets unchanged
    simplified = to_simplified(folded)
    if len(simplified) != len(folded):  # a phrase conversion changed the length: convert char by char instead
        simplified = "".join(c if len(c) == 1 else f for f, c in ((f, to_simplified(f)) for f in folded))
    if not any(char.isspace() for char in simplified):
        return simplified, tuple(origin) + (len(text),)
    drop = {i for match in _SPACE_BETWEEN_CJK.finditer(simplified) for i in range(match.start(), match.end())}
    kept = [i for i in range(len(simplified)) if i not in drop]
    while kept and simplified[kept[0]].isspace():
        kept.pop(0)
    while kept and simplified[kept[-1]].isspace():
        kept.pop()
    return "".join(simplified[i] for i in kept), tuple(origin[i] for i in kept) + (len(text),)


def pauses(text: str, offsets: tuple[int, ...]) -> frozenset[int]:
    """The characters of the normalised text that a pause (a space in ``text`` between Chinese characters, where the
    recogniser heard the speaker stop) came right before. ``offsets`` is what ``normalize_with_offsets`` gave."""
    return frozenset(index for index in range(1, len(offsets) - 1)
                     if any(char.isspace() for char in text[offsets[index - 1] + 1:offsets[index]]))


def normalize_transcript_text(text: str) -> str:
    """What every segment's ``text`` goes through: full-width letters and digits folded (８７２１ -> 8721),
    Traditional -> Simplified, spaces between Chinese characters removed. Chinese punctuation stays full-width,
    because it carries the clause boundaries the rules use.
    """
    return normalize_with_offsets(text)[0]


def is_simplified(text: str) -> bool:
    """True when converting to Simplified would change nothing."""
    return to_simplified(text) == text


_NOT_CONTENT = re.compile(r"[\s\W_]+", re.UNICODE)


def content_characters(text: str) -> str:
    """Letters and digits only, Simplified, lower-case: the units a character error rate is counted in."""
    return _NOT_CONTENT.sub("", to_simplified(text)).lower()


_DIGITS_AS_HANZI = str.maketrans("0123456789", "零一二三四五六七八九")


def character_edits(reference: str, hypothesis: str) -> tuple[int, int]:
    """(substitutions + deletions + insertions, reference length), over content characters only.

    Punctuation and spacing are ignored because Whisper's punctuation of Mandarin is arbitrary; Traditional forms are
    folded to Simplified first so 錄音 against 录音 counts as correct; digits are read digit by digit (8721 = 八七二一)
    because Whisper writes spoken numbers either way. Amounts (2100 against 两千一百) still count as errors.
    """
    ref = content_characters(reference).translate(_DIGITS_AS_HANZI)
    hyp = content_characters(hypothesis).translate(_DIGITS_AS_HANZI)
    return Levenshtein.distance(ref, hyp), len(ref)


def character_error_rate(reference: str, hypothesis: str) -> float:
    """Edits over reference length (see ``character_edits``); an empty reference scores 0 only against nothing."""
    edits, length = character_edits(reference, hypothesis)
    if not length:
        return 0.0 if not content_characters(hypothesis) else 1.0
    return edits / length
