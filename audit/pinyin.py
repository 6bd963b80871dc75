"""Toneless pinyin readings of Chinese text: the one module that imports pypinyin.

Speech recognition writes words it heard as other characters with the same sound (逾期 -> 于七); reading text by its
sound lets the rules (``audit.nlp``), the learned reader and the recogniser's guard see through that.
"""

from __future__ import annotations

from functools import lru_cache

from pypinyin import Style, lazy_pinyin, pinyin


def syllables(text: str) -> list[str]:
    """pypinyin's toneless syllables of ``text`` (characters it cannot read pass through as themselves)."""
    return lazy_pinyin(text, style=Style.NORMAL)


def is_cjk(char: str) -> bool:
    return "\u4e00" <= char <= "\u9fff" or "\u3400" <= char <= "\u4dbf" or "\uf900" <= char <= "\ufaff"


def loose(syllable: str) -> str:
    """Fold the distinctions ASR and regional accents blur: zh/z, ch/c, sh/s, l/n, -ng/-n (not -ong)."""
    for retroflex, flat in (("zh", "z"), ("ch", "c"), ("sh", "s")):
        if syllable.startswith(retroflex):
            syllable = flat + syllable[2:]
            break
    if syllable.startswith("l"):
        syllable = "n" + syllable[1:]
    if syllable.endswith("ng") and not syllable.endswith("ong"):
        syllable = syllable[:-1]
    return syllable


@lru_cache(maxsize=65_536)
def loose_default(char: str) -> str:
    return loose(default_reading(char))


@lru_cache(maxsize=65_536)
def default_reading(char: str) -> str:
    """The most common toneless reading of a character; a non-Chinese character reads as itself."""
    return pinyin(char, style=Style.NORMAL)[0][0] if is_cjk(char) else char


def sounds_of(text: str) -> list[str]:
    """One toneless reading per character, chosen in context (pypinyin's phrase table: 还款 -> huan kuan, 还有 ->
    hai you). Rare dictionary readings are never used: with them, 捷信 'sounds like' 借款 (款 has an archaic xin)."""
    sounds = lazy_pinyin(text, style=Style.NORMAL, errors=lambda chars: list(chars))
    if len(sounds) != len(text):  # characters pypinyin splits or merges oddly: fall back to one char at a time
        sounds = [default_reading(char) for char in text]
    return sounds
