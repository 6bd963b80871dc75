"""Would another recipe read unseen calls better? Threshold-free figures only.

    OMP_NUM_THREADS=1 .venv/bin/python bench/reader_recipes.py [--held-out REGEX]

Fits the reader (its training examples and features, as ``scripts/train_reader.py`` does) without the opened splits
the regex names (default l44–l59), in three recipes: the shipped one (C 32), a stronger penalty (C 8), and jieba word
1–2-grams added to the character and pinyin n-grams. Each scores every sentence of those splits' agent-side turns; a
turn scores a category's highest sentence score. Printed: average precision of "any violation" over turns, and per
category, against the authors' labels. No call text is printed. About two minutes a recipe on one core.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from pathlib import Path

import jieba
import numpy as np
from sklearn.metrics import average_precision_score

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import audit.reader as reader  # noqa: E402
import audit.reader_training as training  # noqa: E402
from audit.rulepack import CONDUCT_CATEGORIES  # noqa: E402
from audit.rules.learned import sentence_spans  # noqa: E402

CHARACTERS_AND_PINYIN = reader.feature_spans


def with_words(text: str) -> list[tuple[str, int, int]]:
    """The shipped features plus jieba words and word pairs (their spans are not used here)."""
    words = [w for w in jieba.lcut(text) if w.strip()]
    return CHARACTERS_AND_PINYIN(text) + [("#" + w, 0, 1) for w in words] + [
        ("#" + a + "|" + b, 0, 1) for a, b in zip(words, words[1:])]


def held_out_turns(pattern: re.Pattern) -> tuple[list[str], np.ndarray]:
    texts, labels = [], []
    for path in sorted((ROOT / "tests" / "data" / "opened").glob("l*.jsonl")):
        if not pattern.search(path.name):
            continue
        for line in path.read_text(encoding="utf-8").splitlines():
            call = json.loads(line)
            for index, turn in enumerate(call["turns"]):
                if turn["speaker"] == "customer":
                    continue
                said = {v["category"] for v in call["labels"]["violations"] if v.get("turn") == index}
                texts.append(turn["text"])
                labels.append([category in said for category in CONDUCT_CATEGORIES])
    return texts, np.array(labels)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--held-out", default=r"^l(4[4-9]|5[0-9])_", help="regex on opened split file names")
    pattern = re.compile(parser.parse_args().held_out)
    examples = [e for e in training.sentence_examples(training.read_corpus())
                if not (e["author"].startswith("opened_") and pattern.search(e["author"][len("opened_"):]))]
    texts, y = training.canonical_texts([e["text"] for e in examples]), training.targets(examples)
    turns, labels = held_out_turns(pattern)
    canonical = training.canonical_texts(turns)
    units = [(i, canonical[i][s:e]) for i in range(len(canonical)) for s, e in sentence_spans(canonical[i])]
    print(f"{len(examples)} training sentences; {len(turns)} held-out agent-side turns, "
          f"{int(labels.any(axis=1).sum())} of them violating")
    for name, c, features in (("shipped (C 32)", 32.0, CHARACTERS_AND_PINYIN), ("C 8", 8.0, CHARACTERS_AND_PINYIN),
                              ("+ jieba words 1-2", 32.0, with_words)):
        started = time.time()
        reader.feature_spans, training.C = features, c
        vocabulary, idf, coef, intercept = training.fit(texts, y)
        scores = training.predict([u for _, u in units], vocabulary, idf, coef, intercept)
        per_turn = np.zeros((len(turns), len(CONDUCT_CATEGORIES)))
        for (i, _), row in zip(units, scores):
            per_turn[i] = np.maximum(per_turn[i], row)
        per_category = {category: average_precision_score(labels[:, k], per_turn[:, k])
                        for k, category in enumerate(CONDUCT_CATEGORIES) if labels[:, k].any()}
        print(f"{name}: AP any {average_precision_score(labels.any(axis=1), per_turn.max(axis=1)):.3f}, mean over "
              f"categories {np.mean(list(per_category.values())):.3f} ("
              + ", ".join(f"{category} {ap:.2f}" for category, ap in per_category.items())
              + f"; {time.time() - started:.0f} s)", flush=True)


if __name__ == "__main__":
    main()
