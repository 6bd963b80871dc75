"""Would the reader find more if it read the other side's turn before the agent's sentence? Figures only.

    OMP_NUM_THREADS=1 .venv/bin/python bench/reader_with_context.py

Fits the reader's model (the same features, C and class weights as ``scripts/train_reader.py``) without the opened
splits l48–l51, once on the agent's sentence alone and once with the features of the nearest earlier turn of the other
side beside it (their own vocabulary, scaled by a weight), then scores every sentence of l48–l51's agent turns. Printed
per category and bar: sentences flagged, how many carry that category's label, how many carry any label. The corpus
utterances have no turn before them; their context is empty. No call text is printed.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import numpy as np
from scipy.sparse import hstack
from sklearn.linear_model import LogisticRegression

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from audit.reader_training import (C, CONTEXT_ONLY, ROOT, SEED, THREAT_TO_TELL, canonical_texts,  # noqa: E402
                                   fit_vocabulary, matrix, read_corpus, sentence_examples, targets)
from audit.rulepack import CONDUCT_CATEGORIES  # noqa: E402
from audit.rules.learned import sentence_spans  # noqa: E402

HELD_OUT = re.compile(r"^l(4[89]|5[01])_")
WEIGHTS = (0.0, 0.5, 1.0)  # 0: the sentence alone, as the shipped reader reads it
BARS = (0.5, 0.7, 0.87)


def call_rows(path: Path, context_only) -> list[dict]:
    """Each agent turn and (when it has several) each of its sentences, with its labels and the text of the nearest
    earlier turn that is not the agent's; ``context_only(call, quote)`` as in ``audit.reader_training.call_examples``."""
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        call = json.loads(line)
        quotes: dict[int, list] = {}
        unknown: dict[int, list] = {}
        for violation in call["labels"]["violations"]:
            listener_only = violation["category"] == CONTEXT_ONLY and context_only(call, violation["quote"])
            (unknown if listener_only else quotes).setdefault(violation["turn"], []).append(
                (violation["category"], violation["quote"]))
        turns = call["turns"]
        for index, turn in enumerate(turns):
            if turn["speaker"] != "agent":
                continue
            before = next((turns[j]["text"] for j in range(index - 1, -1, -1) if turns[j]["speaker"] != "agent"), "")
            text, known, unsure = turn["text"], quotes.get(index, []), unknown.get(index, [])
            spans = sentence_spans(text)
            pieces = [(0, len(text))] + (spans if len(spans) > 1 else [])
            for start, end in pieces:
                sentence = text[start:end]
                labels = {c for c, q in known if q in sentence}
                rows.append({"text": sentence, "labels": labels, "context": before,
                             "unknown": {c for c, q in unsure if q in sentence} - labels})
    return rows


def canonical(texts: list[str]) -> list[str]:
    unique = sorted(set(texts))
    read = dict(zip(unique, canonical_texts(unique)))
    return [read[t] for t in texts]


def main() -> int:
    train = [dict(e, context="") for e in sentence_examples(read_corpus(ROOT))
             if not e["author"].startswith("opened_") and e["author"] != "dev_clean"]
    kinds = json.loads((ROOT / "tests" / "data" / "dev_clean.kinds.json").read_text(encoding="utf-8"))
    train += call_rows(ROOT / "tests" / "data" / "dev_clean.jsonl",
                       lambda call, quote: kinds.get(call["call_id"], "").startswith("tp_"))
    test = []
    for path in sorted((ROOT / "tests" / "data" / "opened").glob("*.jsonl")):
        rows = call_rows(path, lambda call, quote: not THREAT_TO_TELL.search(quote))
        (test if HELD_OUT.match(path.stem) else train).extend(rows)
    print(f"{len(train)} training rows, {len(test)} held-out rows (l48–l51)")
    y_train, y_test = targets(train), targets(test)
    said = {name: (canonical([r[name] for r in train]), canonical([r[name] for r in test]))
            for name in ("text", "context")}
    vocabulary, idf = fit_vocabulary(said["text"][0])
    context_vocabulary, context_idf = fit_vocabulary([t for t in said["context"][0] if t])
    sentence = [matrix(texts, vocabulary, idf) for texts in said["text"]]
    context = [matrix(texts, context_vocabulary, context_idf) for texts in said["context"]]
    violating = (y_test == 1).any(axis=1)
    for weight in WEIGHTS:
        x_train, x_test = (sentence if weight == 0 else
                           [hstack([s, weight * c]).tocsr() for s, c in zip(sentence, context)])
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
