"""Would the reader find more if it read the other side's turn before the agent's sentence? Figures only.

    OMP_NUM_THREADS=1 .venv/bin/python bench/reader_with_context.py

Fits the reader's model (its training examples, features, C and class weights, as ``scripts/train_reader.py`` does)
without the opened splits l48–l51, once on the agent's sentence alone and once with the features of the nearest
earlier turn of the other side beside it (``before`` in ``audit.reader_training.call_examples``; their own
vocabulary, scaled by a weight), then scores l48–l51's agent turns and their sentences. Printed per category and bar:
how many are flagged, how many carry that category's label, how many carry any label. The corpus utterances have no
turn before them; their context is empty. No call text is printed.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from scipy.sparse import hstack
from sklearn.linear_model import LogisticRegression

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from audit.reader_training import (C, SEED, canonical_texts, fit_vocabulary, matrix, read_corpus,  # noqa: E402
                                   sentence_examples, targets)
from audit.rulepack import CONDUCT_CATEGORIES  # noqa: E402

HELD_OUT = re.compile(r"^opened_l(4[89]|5[01])_")
WEIGHTS = (0.0, 0.5, 1.0)  # 0: the sentence alone, as the shipped reader reads it
BARS = (0.5, 0.7, 0.87)


def canonical(texts: list[str]) -> list[str]:
    unique = sorted(set(texts))
    read = dict(zip(unique, canonical_texts(unique)))
    return [read[t] for t in texts]


def main() -> int:
    examples = sentence_examples(read_corpus())
    train = [e for e in examples if not HELD_OUT.match(e["author"])]
    test = [e for e in examples if HELD_OUT.match(e["author"])]
    print(f"{len(train)} training rows, {len(test)} held-out rows (l48–l51)")
    y_train, y_test = targets(train), targets(test)
    said = {key: (canonical([e.get(key, "") for e in train]), canonical([e.get(key, "") for e in test]))
            for key in ("text", "before")}
    vocabulary, idf = fit_vocabulary(said["text"][0])
    before_vocabulary, before_idf = fit_vocabulary([t for t in said["before"][0] if t])
    sentence = [matrix(texts, vocabulary, idf) for texts in said["text"]]
    before = [matrix(texts, before_vocabulary, before_idf) for texts in said["before"]]
    violating = (y_test == 1).any(axis=1)
    for weight in WEIGHTS:
        x_train, x_test = (sentence if weight == 0 else
                           [hstack([s, weight * b]).tocsr() for s, b in zip(sentence, before)])
        print(f"\ncontext weight {weight}" + (" (the sentence alone)" if weight == 0 else ""))
        print(f"{'category':24} {'bar':>5} {'flagged':>8} {'its label':>10} {'any label':>10}")
        for k, category in enumerate(CONDUCT_CATEGORIES):
            known = y_train[:, k] >= 0
            model = LogisticRegression(C=C, class_weight="balanced", max_iter=2000, solver="liblinear",
                                       random_state=SEED).fit(x_train[known], y_train[known, k])
            scores = model.predict_proba(x_test)[:, 1]
            for bar in BARS:
                flagged = (scores >= bar) & (y_test[:, k] >= 0)
                right = (flagged & (y_test[:, k] == 1)).sum()
                print(f"{category:24} {bar:5.2f} {flagged.sum():8d} {right:4d}/{(y_test[:, k] == 1).sum():<5d} "
                      f"{(flagged & violating).sum():10d}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
