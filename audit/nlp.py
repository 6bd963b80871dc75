"""The text engine under the rules: spaCy (blank ``zh``, jieba segmenter), the lexicon as jieba user words, and a
homophone index on toneless pinyin.

This is the only module that imports spacy or jieba (pinyin readings come from ``audit.pinyin``).

Speech recognition mishears key words as other characters with the same sound (逾期 -> 于七, 录音 -> 路音,
工号 -> 公号). ``Analyzer.analyze`` finds such spans by pinyin and rewrites them to the lexicon's spelling in a
*canonical* copy of the text of exactly the same length, so that every matcher downstream (terms, patterns,
disclosures, signals) is homophone-robust while each hit's offsets still index the original text, from which the
quote is taken. Words the user dictionary knows bound term matches, so 打电话 never matches a term 打.
"""

from __future__ import annotations

import logging
import re
from collections import defaultdict
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from typing import Any, Callable, Iterable

import ahocorasick
import jieba
import spacy

from audit.errors import LexiconError
from audit.pinyin import default_reading, is_cjk, loose, loose_default, sounds_of

jieba.setLogLevel(logging.WARNING)

# A homophone of a two-character term is believed only if the span is not itself a common word: 于七 is an ASR error
# for 逾期, 预期 ("expected") is a real word that sounds the same. jieba's dictionary counts say which is which.
COMMON_WORD_FREQ = 20
# 「让人扎了」「被人砸了」「遭人扎了」: 人 is the someone who does what follows, so a misheard word cannot start at it (人扎 is no 人渣)
SOMEONE_DOES = frozenset({"让人", "被人", "叫人", "给人", "有人", "找人", "派人", "遭人", "挨人"})
USER_WORD_FREQ = 200_000  # high enough that jieba keeps a lexicon term whole inside a longer run of characters
# The name of the person asked for (「请问是庞子淇本人吗」「是潘志强先生吗」「是叶诗涵吗」「武来福是吧」「你好，邵帅在吗」) is
# a name, not a misheard word (是叶 is no 失业, 武来 no 无赖, 帅在 no 衰仔).
_ADDRESSED_NAME = re.compile(r"(?<=是)[\u4e00-\u9fff]{2,3}(?=本人|先生|女士|小姐|吗|吧|伐|嘛|么|是吧|对吧)"
                             r"|(?:^|(?<=[，,。！？?!\s])|(?<=找)|(?<=请问))[\u4e00-\u9fff]{2,3}"
                             r"(?=是吧|是吗|是不是|在吗|在不在|在不|在家吗|在么|在伐|本人吗)")


@lru_cache(maxsize=65_536)
def _believable_two_char(heard: str, term: str) -> bool:
    """Two syllables match by chance often: demand the exact (not accent-folded) sound, and no real word. (Cached:
    the same syllable pairs recur in every call; cleared when an Analyzer changes jieba's word counts.)"""
    if sounds_of(heard) != sounds_of(term) and [default_reading(c) for c in heard] != sounds_of(term):
        return False
    return jieba.dt.FREQ.get(heard, 0) < COMMON_WORD_FREQ


def _accent_folded_syllables(heard: str, term: str) -> int:
    """How many syllables of ``heard`` match ``term`` only after folding zh/z, l/n, -ng/-n (not exactly)."""
    in_context = sounds_of(term)
    return sum(default_reading(h) not in (in_context[k], default_reading(t))
               for k, (h, t) in enumerate(zip(heard, term)))


@dataclass(frozen=True)
class HomophoneSpan:
    """A span of the original text read as a lexicon term through its sound."""

    char_start: int
    char_end: int
    heard: str  # what the text says (于七)
    term: str  # what it was read as (逾期)


@dataclass(frozen=True)
class AnalyzedText:
    """One turn's text prepared for matching. Word boundaries come from spaCy's jieba tokenizer, computed only when
    a term needs them (most turns contain no lexicon term at all)."""

    text: str  # as given (normalised Simplified Chinese)
    canonical: str  # same length; homophones of lexicon terms rewritten to the lexicon's spelling
    homophones: tuple[HomophoneSpan, ...]
    tokenize: Callable[[str], Any] = field(repr=False, compare=False)
    pauses: frozenset[int] = frozenset()  # the characters a pause in the speech came right before

    @cached_property
    def doc(self):
        """The spaCy Doc of the canonical text (jieba tokens), made on first use."""
        return self.tokenize(self.canonical)

    @cached_property
    def _bounds(self) -> tuple[frozenset[int], frozenset[int]]:
        return (frozenset(token.idx for token in self.doc),
                frozenset(token.idx + len(token.text) for token in self.doc))

    def on_word_boundaries(self, start: int, end: int) -> bool:
        starts, ends = self._bounds
        return start in starts and end in ends

    def via_homophone(self, start: int, end: int) -> bool:
        return any(span.char_start < end and start < span.char_end for span in self.homophones)


@dataclass(frozen=True)
class TermHit:
    char_start: int
    char_end: int
    term: str


class Analyzer:
    """Holds the spaCy pipeline, the jieba user words and the pinyin index for one set of lexicon terms."""

    def __init__(self, terms: Iterable[str], homophone_terms: Iterable[str] = (),
                 dialect_words: dict[str, str] | None = None):
        self.terms = tuple(sorted({term for term in terms if len(term) >= 2}))
        # dialect words of the same length as their Mandarin reading (the rule pack checks it); longest first, so
        # 系唔系 is read before 唔系
        self._dialect = dict(dialect_words or {})
        self._dialect_re = re.compile("|".join(map(re.escape, sorted(self._dialect, key=len, reverse=True)))) if (
            self._dialect) else None
        self._load_user_words()
        self.nlp = spacy.blank("zh", config={"nlp": {"tokenizer": {"segmenter": "jieba"}}})
        # spaCy's tokenizer drives the process-wide jieba instance; load the user words again in case creating the
        # pipeline reset it, or multi-character terms silently split and stop matching.
        self._load_user_words()
        self._exact = ahocorasick.Automaton()
        for term in self.terms:
            self._exact.add_word(term, term)
        self._exact.make_automaton()
        # Terms by the readings of their first two characters: a turn's every position is looked up once, and
        # only terms that already sound right for two syllables are checked further (rescans read 10,000s of turns).
        self._by_first_readings: dict[tuple[str, str], list[tuple[str, tuple[frozenset[str], ...]]]] = (
            defaultdict(list))
        for term in sorted(set(homophone_terms) | set(self.terms)):
            if len(term) >= 2 and all(is_cjk(char) for char in term):
                # each position accepts the term's own reading in context and the character's default reading
                sounds = tuple(frozenset({loose(in_term), loose(default_reading(char))})
                               for in_term, char in zip(sounds_of(term), term))
                for first in sounds[0]:
                    for second in sounds[1]:
                        self._by_first_readings[first, second].append((term, sounds))

    def _load_user_words(self) -> None:
        for term in self.terms:
            jieba.add_word(term, freq=USER_WORD_FREQ)
        _believable_two_char.cache_clear()  # it read jieba's word counts, which this just changed

    # -- homophones --------------------------------------------------------------------------------------------------

    def _homophones(self, text: str, doc_of_text, pauses: frozenset[int]) -> tuple[HomophoneSpan, ...]:
        # Candidates by each character's own default reading (cached, fast); the term side accepts both its reading
        # in context and each character's default, and two-character candidates are re-checked in context below.
        cjk = [is_cjk(char) for char in text]
        sounds = [loose_default(char) if is_cjk_char else char for char, is_cjk_char in zip(text, cjk)]
        exact_spans = [(end - len(term) + 1, end + 1) for end, term in self._exact.iter(text)]
        candidates: list[HomophoneSpan] = []
        for start in range(len(text) - 1):
            if not (cjk[start] and cjk[start + 1]):
                continue
            for term, term_sounds in self._by_first_readings.get((sounds[start], sounds[start + 1]), ()):
                end = start + len(term)
                if end > len(text) or not all(cjk[start:end]):
                    continue
                heard = text[start:end]
                if heard == term:
                    continue
                if not all(sounds[start + k] in term_sounds[k] for k in range(2, len(term))):
                    continue
                if len(term) == 2 and not _believable_two_char(heard, term):
                    continue
                if _accent_folded_syllables(heard, term) > 1:
                    continue  # 是潘志 is not 死胖子: a mishearing bends one sound, not every sound of a word
                if any(s < end and start < e for s, e in exact_spans):
                    continue  # the text already spells a lexicon word here
                if any(start < at < end for at in pauses):
                    continue  # the speaker stopped inside it (「你刚 打了两次」): two words, not one misheard
                candidates.append(HomophoneSpan(start, end, heard, term))
        if candidates:
            # A misheard word still sits where a word was spoken: 于七 is segmented 于|七 at the edges of its span,
            # while 涛先 in 孙涛先生 cuts through the name 孙涛 and the word 先生. Demand one aligned edge (jieba
            # sometimes glues a misheard word to its neighbour: 我公号 -> 我公|号).
            # Nor does it cut through a common word that was heard: in 按合同计罚息, 同计 sounds like 通缉 but takes
            # half of 合同.
            doc = doc_of_text()
            starts = {token.idx for token in doc}
            ends = {token.idx + len(token.text) for token in doc}
            common_words = [(token.idx, token.idx + len(token.text)) for token in doc
                            if len(token.text) >= 2 and jieba.dt.FREQ.get(token.text, 0) >= COMMON_WORD_FREQ]
            candidates = [c for c in candidates if (c.char_start in starts or c.char_end in ends) and not any(
                a < edge < b for a, b in common_words for edge in (c.char_start, c.char_end))
                and text[max(0, c.char_start - 1):c.char_start + 1] not in SOMEONE_DOES]
            names = [(m.start(), m.end()) for m in _ADDRESSED_NAME.finditer(text)]
            candidates = [c for c in candidates if not any(a < c.char_end and c.char_start < b for a, b in names)]
        chosen: list[HomophoneSpan] = []
        for span in sorted(candidates, key=lambda s: (-(s.char_end - s.char_start), s.char_start)):
            if all(span.char_end <= c.char_start or c.char_end <= span.char_start for c in chosen):
                chosen.append(span)
        return tuple(sorted(chosen, key=lambda s: s.char_start))

    # -- public ---------------------------------------------------------------------------------------------------

    def analyze(self, text: str, pauses: frozenset[int] = frozenset()) -> AnalyzedText:
        """``text`` normalised; ``pauses`` the characters a pause came before (``audit.text.pauses``)."""
        docs: dict[str, Any] = {}

        def tokenize(value: str):
            if value not in docs:
                docs[value] = self.nlp.make_doc(value)
            return docs[value]

        # dialect function words read as Mandarin (「我哋唔会上门」 as 「我们不会上门」); quotes keep what was said
        read = self._dialect_re.sub(lambda m: self._dialect[m.group(0)], text) if self._dialect_re else text
        homophones = self._homophones(read, lambda: tokenize(read), pauses)
        canonical = list(read)
        for span in homophones:
            canonical[span.char_start:span.char_end] = span.term
        return AnalyzedText(text, "".join(canonical), homophones, tokenize, pauses)

    def find_terms(self, analyzed: AnalyzedText, terms: frozenset[str] | None = None) -> list[TermHit]:
        """Lexicon terms in the canonical text, on word boundaries (optionally only those in ``terms``)."""
        hits = []
        for end, term in self._exact.iter(analyzed.canonical):
            if terms is not None and term not in terms:
                continue
            start = end - len(term) + 1
            if analyzed.on_word_boundaries(start, end + 1):
                hits.append(TermHit(start, end + 1, term))
        return hits

    def token_matcher(self, patterns: dict[str, tuple[tuple[dict, ...], ...]],
                      where: dict[str, str]) -> Callable[[AnalyzedText], list[tuple[str, int, int]]]:
        """Compile spaCy Matcher patterns per key (a rule id); return a function giving (key, char_start, char_end).

        A turn is tokenized for the matcher only if it contains one of a pattern's literal words: most turns
        contain none, and segmenting every turn would cost more than all other matching together.
        """
        from spacy.matcher import Matcher

        matcher = Matcher(self.nlp.vocab, validate=True)
        literals: dict[str, list[list[set[str]]] | None] = {}
        for key, key_patterns in patterns.items():
            try:
                matcher.add(key, [list(pattern) for pattern in key_patterns])
            except (ValueError, KeyError, TypeError) as error:
                raise LexiconError(where.get(key), f"rule {key}, field 'token_patterns': {error}") from error
            literals[key] = _literals(key_patterns)
        for pattern_sets in literals.values():
            # so the words the patterns name come out as tokens; single characters are tokens already, and weighting
            # one (我) would change how every sentence is segmented
            for word in {w for sets in pattern_sets or () for words in sets for w in words if len(w) >= 2}:
                jieba.add_word(word, freq=USER_WORD_FREQ)

        def possible(pattern_sets: list[list[set[str]]] | None, text: str) -> bool:
            return pattern_sets is None or any(all(any(w in text for w in words) for words in sets)
                                               for sets in pattern_sets)

        def match(analyzed: AnalyzedText) -> list[tuple[str, int, int]]:
            wanted = {key for key, pattern_sets in literals.items() if possible(pattern_sets, analyzed.canonical)}
            if not wanted:
                return []
            doc = analyzed.doc
            found = []
            for match_id, start, end in matcher(doc):
                key = self.nlp.vocab.strings[match_id]
                if key in wanted:
                    found.append((key, doc[start].idx, doc[end - 1].idx + len(doc[end - 1].text)))
            return found

        return match

    def tokens(self, text: str) -> list[str]:
        self._load_user_words()
        return [token.text for token in self.nlp.make_doc(text)]


def _literals(patterns: tuple[tuple[dict, ...], ...]) -> list[list[set[str]]] | None:
    """For each pattern, one set of words per required token that names words: the pattern can only match a text
    containing a word of every set. None when some pattern requires no particular word (it must always run)."""
    result = []
    for pattern in patterns:
        sets = []
        for token in pattern:
            if token.get("OP") in ("?", "*", "!") or str(token.get("OP", "")).startswith(("{0", "{,")):
                continue
            words: set[str] = set()
            for attr in ("TEXT", "ORTH", "LOWER", "NORM"):
                value = token.get(attr)
                if isinstance(value, str):
                    words.add(value)
                elif isinstance(value, dict) and isinstance(value.get("IN"), list):
                    words.update(v for v in value["IN"] if isinstance(v, str))
            if words:
                sets.append(words)
        if not sets:
            return None
        result.append(sets)
    return result
