"""Chinese text normalisation shared by every stage: Traditional -> Simplified, whitespace, character error rate.

This module owns OpenCC. Whisper writes Traditional characters for Mandarin (錄音, 於七) and sometimes puts spaces
between characters; everything downstream (rules, reviewers, exports) works on Simplified text.
"""

from __future__ import annotations

import re
import unicodedata
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


def normalize_transcript_text(text: str) -> str:
    """What every segment's ``text`` goes through: NFKC width folding (Ｆ->F), Simplified, tidy spaces.

    Chinese punctuation is kept full-width (NFKC would turn ，into a comma), because it carries sentence boundaries
    that the rules use.
    """
    folded = "".join(ch if unicodedata.category(ch).startswith("P") else unicodedata.normalize("NFKC", ch) for ch in text)
    simplified = to_simplified(folded.replace("\ufffd", ""))  # U+FFFD: a byte token Whisper left unfinished
    return _SPACE_BETWEEN_CJK.sub("", simplified).strip()


def is_simplified(text: str) -> bool:
    """True when converting to Simplified would change nothing."""
    return to_simplified(text) == text


_NOT_CONTENT = re.compile(r"[\s\W_]+", re.UNICODE)


def content_characters(text: str) -> str:
    """Letters and digits only, Simplified, lower-case: the units a character error rate is counted in."""
    return _NOT_CONTENT.sub("", to_simplified(text)).lower()


_DIGITS_AS_HANZI = str.maketrans("0123456789", "零一二三四五六七八九")


def character_error_rate(reference: str, hypothesis: str) -> float:
    """(substitutions + deletions + insertions) / reference length, over content characters only.

    Punctuation and spacing are ignored because Whisper's punctuation of Mandarin is arbitrary; Traditional forms are
    folded to Simplified first so 錄音 against 录音 counts as correct; digits are read digit by digit (8721 = 八七二一)
    because Whisper writes spoken numbers either way. Amounts (2100 against 两千一百) still count as errors.
    """
    ref = content_characters(reference).translate(_DIGITS_AS_HANZI)
    hyp = content_characters(hypothesis).translate(_DIGITS_AS_HANZI)
    if not ref:
        return 0.0 if not hyp else 1.0
    return Levenshtein.distance(ref, hyp) / len(ref)
