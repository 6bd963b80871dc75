"""The learned reader: a multi-label classifier that scores every conduct category for one sentence of agent speech.

It sits beside the rules and reads what they were not written for (paraphrase, veiled menace, dialect). The model is
a linear one over TF-IDF weights of character 1-3-grams and toneless-pinyin syllable 1-2-grams (the pinyin lets a
homophone an ASR wrote still count as the word that was said). Its weights ship inside the package as plain numpy
arrays (``audit/reader_model/``), so it loads offline, in milliseconds, with no pickle and no training library.

``scripts/train_reader.py`` builds it from ``corpus/`` with a fixed seed; the features are computed here for both
training and scoring, so the shipped model scores exactly what the training script scored. ``audit train --from-db``
writes candidates trained with reviewers' verdicts too; one is used only once a person promotes it (``promote``),
and every audit records the version it ran with.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import re
import shutil
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timezone
from functools import lru_cache
from pathlib import Path

import numpy as np

from audit import pinyin, settings

MODEL_DIR = Path(__file__).with_name("reader_model")
_NOT_TEXT = re.compile(r"[^\u3400-\u9fff0-9a-z]+")
_HAN = re.compile(r"[\u3400-\u9fff]")
CHAR_NGRAMS = (1, 2, 3)
PINYIN_NGRAMS = (1, 2)


def feature_spans(text: str) -> list[tuple[str, int, int]]:
    """Every feature occurrence in one sentence, with the span of ``text`` it was read from: character n-grams of its
    letters and digits, and pinyin syllable n-grams of its Chinese characters (prefixed ``~`` so the two
    vocabularies never collide)."""
    lowered = text.lower()
    kept = [i for i, char in enumerate(lowered) if not _NOT_TEXT.fullmatch(char)]
    chars = "".join(lowered[i] for i in kept)
    spans = [(chars[i:i + n], kept[i], kept[i + n - 1] + 1)
             for n in CHAR_NGRAMS for i in range(len(chars) - n + 1)]
    han = [i for i in kept if _HAN.fullmatch(lowered[i])]
    syllables = pinyin.syllables("".join(lowered[i] for i in han))
    if len(syllables) == len(han):  # one syllable per character, so each n-gram has a place in the text
        spans += [("~" + " ".join(syllables[i:i + n]), han[i], han[i + n - 1] + 1)
                  for n in PINYIN_NGRAMS for i in range(len(syllables) - n + 1)]
    return spans


def features(text: str) -> Counter:
    """Counts of the reader's features in one sentence."""
    return Counter(name for name, _, _ in feature_spans(text))


def tfidf_rows(texts: list[str], vocabulary: dict[str, int], idf: np.ndarray) -> tuple[list[int], list[int],
                                                                                         list[float]]:
    """Sparse (row, column, value) triples of L2-normalised sublinear TF-IDF weights, one row per text."""
    rows, columns, values = [], [], []
    for row, text in enumerate(texts):
        known = [(vocabulary[f], count) for f, count in features(text).items() if f in vocabulary]
        weights = [(column, (1.0 + math.log(count)) * idf[column]) for column, count in known]
        norm = math.sqrt(sum(w * w for _, w in weights)) or 1.0
        for column, weight in weights:
            rows.append(row)
            columns.append(column)
            values.append(weight / norm)
    return rows, columns, values


@dataclass(frozen=True)
class ReaderScore:
    category: str
    score: float  # the model's probability that the sentence is this kind of violation
    threshold: float  # the category's operating point (a score at or above it is a hit)


class LearnedReader:
    """Scores sentences. Load once per process (``load_reader``); ``score`` is thread-safe and holds no state."""

    def __init__(self, model_dir: Path = MODEL_DIR):
        meta_path, weights_path = model_dir / "reader.json", model_dir / "reader.npz"
        try:
            meta = json.loads(meta_path.read_text(encoding="utf-8"))
            with np.load(weights_path, allow_pickle=False) as weights:
                self.idf = weights["idf"]
                self.intercept = weights["intercept"]
                # the other-side head is one more column, read in the same pass; a reader trained without it
                # reads no sentence as the other side's
                self.has_other_side = "other_side_coef" in weights
                other_coef = weights["other_side_coef"] if self.has_other_side else np.zeros(len(self.idf))
                self._heads = np.column_stack([weights["coef"], other_coef])  # (features, categories + 1)
                self._intercepts = np.append(self.intercept, weights["other_side_intercept"]
                                             if self.has_other_side else 0.0)
        except (OSError, ValueError, KeyError) as error:
            raise RuntimeError(f"learned reader in {model_dir} cannot be loaded: {error}") from error
        self.coef = self._heads[:, :-1]  # (features, categories)
        self.categories: tuple[str, ...] = tuple(meta["categories"])
        self.thresholds = np.array([meta["thresholds"][c] for c in self.categories])
        self.other_side_bar: float = meta.get("other_side", {}).get("bar", 1.01)
        self.vocabulary = {feature: index for index, feature in enumerate(meta["features"])}
        if self.coef.shape != (len(self.vocabulary), len(self.categories)) or len(self.idf) != len(self.vocabulary):
            raise RuntimeError(f"learned reader in {model_dir}: weights do not fit its vocabulary")
        digest = hashlib.sha256(meta_path.read_bytes() + weights_path.read_bytes()).hexdigest()
        self.version = f"{meta['name']}@{digest[:12]}"
        self.meta = meta

    def read(self, texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """From one pass over each sentence's features: its (texts, categories) probabilities, and the probability
        that the other side (the debtor, or whoever answered) said it, not the agent (``audit.other_side_training``;
        ``other_side_bar`` is where it counts; zeros for a reader without that head)."""
        if not texts:
            return np.zeros((0, len(self.categories))), np.zeros(0)
        rows, columns, values = tfidf_rows(texts, self.vocabulary, self.idf)
        logits = np.tile(self._intercepts, (len(texts), 1))
        np.add.at(logits, np.array(rows, dtype=int),
                  np.array(values)[:, None] * self._heads[np.array(columns, dtype=int)])
        scores = 1.0 / (1.0 + np.exp(-logits))
        return scores[:, :-1], scores[:, -1] if self.has_other_side else np.zeros(len(texts))

    def probabilities(self, texts: list[str]) -> np.ndarray:
        """(texts, categories) probabilities."""
        return self.read(texts)[0]

    def other_side(self, texts: list[str]) -> np.ndarray:
        """For each sentence, the probability that the other side said it (``read``)."""
        return self.read(texts)[1]

    def hits(self, texts: list[str]) -> list[list[ReaderScore]]:
        """For each sentence, the categories whose score reaches their threshold, best first."""
        return [self.above(scores) for scores in self.probabilities(texts)]

    def above(self, scores: np.ndarray) -> list[ReaderScore]:
        """Of one sentence's scores (a row of ``probabilities``), the categories at or above their threshold."""
        found = [ReaderScore(c, float(s), float(t)) for c, s, t in zip(self.categories, scores, self.thresholds)
                 if s >= t]
        return sorted(found, key=lambda hit: -hit.score)

    def evidence(self, text: str, category: str) -> tuple[int, int]:
        """The span of ``text`` whose words weighed most towards ``category``: each feature occurrence adds its share
        of the score to the characters it covers; the span runs around the heaviest character while its
        neighbours carry at least a quarter of that weight."""
        column = self.categories.index(category)
        spans = [(f, start, end) for f, start, end in feature_spans(text) if f in self.vocabulary]
        if not spans:
            return 0, len(text)
        counts = Counter(f for f, _, _ in spans)
        weights = {f: (1.0 + math.log(c)) * self.idf[self.vocabulary[f]] for f, c in counts.items()}
        norm = math.sqrt(sum(w * w for w in weights.values())) or 1.0
        per_char = np.zeros(len(text))
        for feature, start, end in spans:
            share = weights[feature] / norm * self.coef[self.vocabulary[feature], column] / counts[feature]
            per_char[start:end] += share / (end - start)
        peak = int(per_char.argmax())
        if per_char[peak] <= 0:
            return 0, len(text)
        start, end = peak, peak + 1
        while start > 0 and per_char[start - 1] >= per_char[peak] / 4:
            start -= 1
        while end < len(text) and per_char[end] >= per_char[peak] / 4:
            end += 1
        return start, end


def promoted_dir() -> Path:
    """Where a promoted reader lives (``settings.reader_dir()/current``)."""
    return settings.reader_dir() / "current"


def current_dir() -> Path:
    """The reader every audit uses: the promoted one, else the shipped one."""
    promoted = promoted_dir()
    return promoted if (promoted / "reader.json").is_file() else MODEL_DIR


def load_reader() -> LearnedReader:
    """The current reader (``current_dir``), loaded once per folder and content: a promotion is seen at once."""
    folder = current_dir()
    try:
        changed = (folder / "reader.json").stat().st_mtime_ns
    except OSError:
        changed = 0
    return _load(str(folder), changed)


@lru_cache(maxsize=4)
def _load(folder: str, _changed: int) -> LearnedReader:
    return LearnedReader(Path(folder))


PROMOTION_FILE = "promoted.json"


def promote(candidate: Path, promoted_by: str = "") -> LearnedReader:
    """Make a trained candidate (a folder ``audit train`` wrote) the reader every audit uses from now on: its files are
    copied into ``promoted_dir()`` (whole, then swapped in) with a note of where from, by whom and when. Audits made
    before keep the version they recorded; ``audit rescan`` re-audits stored calls with the new one."""
    reader = LearnedReader(Path(candidate))  # refuses a folder that does not load
    target = promoted_dir()
    staging = target.with_name(f".promoting-{os.getpid()}")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    for name in ("reader.json", "reader.npz"):
        shutil.copy2(Path(candidate) / name, staging / name)
    note = {"version": reader.version, "from": str(Path(candidate).resolve()), "promoted_by": promoted_by,
            "promoted_at": datetime.now(timezone.utc).isoformat(timespec="seconds")}
    (staging / PROMOTION_FILE).write_text(json.dumps(note, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    old = target.with_name(f".replaced-{os.getpid()}")
    if target.exists():
        os.replace(target, old)
    os.replace(staging, target)
    shutil.rmtree(old, ignore_errors=True)
    return LearnedReader(target)
