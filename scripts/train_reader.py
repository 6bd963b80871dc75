"""Train the learned reader from the corpus and write it into the package (``audit/reader_model/``).

    python scripts/train_reader.py            # cross-validate by author, train on everything, write the model
    python scripts/train_reader.py --cv-only  # only the cross-validated figures
    python scripts/train_reader.py --check    # retrain in memory; exit 1 unless it scores like the shipped model

Training data: every utterance in ``corpus/train/*.jsonl`` and every agent turn of ``tests/data/dev_clean.jsonl`` and
of the opened former test split ``tests/data/opened/``. Never the locked test split (``tests/data/locked/``). Each text goes through what a transcript turn goes through
before the reader sees it (normalisation, homophones resolved to the rule pack's words).

The reader reads sentences without knowing who is on the line, so a debt detail told to a third party (a violation
only because of who listens) is not taught to it as third_party_disclosure: the third-party rules own that context.

Thresholds: for each category, the lowest score at which the out-of-fold flags of a leave-one-author-out
cross-validation land on violating text at the target rate. Out-of-fold by author means each author's text was
scored by a model that never saw that author, the situation the reader meets in production.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import sys
from collections import Counter
from pathlib import Path
from typing import Callable

import numpy as np
from scipy.sparse import csr_matrix
from sklearn.linear_model import LogisticRegression

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from audit.nlp import Analyzer  # noqa: E402
from audit.reader import MODEL_DIR, LearnedReader, features, tfidf_rows  # noqa: E402
from audit.rulepack import CONDUCT_CATEGORIES, load_rule_pack  # noqa: E402
from audit.rules.learned import sentence_spans  # noqa: E402
from audit.text import normalize_with_offsets  # noqa: E402

SEED = 20261203
C = 32.0
MIN_DF = 2
TARGET_PRECISION = 0.95  # of flags that land on a violation of some kind
THRESHOLD_FLOOR = 0.5  # never flag below an even chance, whatever the cross-validation allows
CONTEXT_ONLY = "third_party_disclosure"  # with a third party on the line, the context (not the words) makes it one
CHECK_SAMPLE = 60
THREAT_TO_TELL = re.compile("告诉|通知|联系|打电话|打给|找|说|发给|寄|上门|打招呼|沟通")


def read_corpus(root: Path = ROOT) -> list[dict]:
    """Every training utterance: text, labels, author (the cross-validation group)."""
    examples = []
    for path in sorted((root / "corpus" / "train").glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            row = json.loads(line)
            labels = set(row["labels"])
            if row["listener"] == "third_party":
                labels.discard(CONTEXT_ONLY)
            examples.append({"text": row["text"], "labels": labels, "author": path.stem})
    kinds = json.loads((root / "tests" / "data" / "dev_clean.kinds.json").read_text(encoding="utf-8"))
    examples += call_examples(root / "tests" / "data" / "dev_clean.jsonl", "dev_clean",
                              lambda call, quote: kinds.get(call["call_id"], "").startswith("tp_"))
    for path in sorted((root / "tests" / "data" / "opened").glob("*.jsonl")):
        # No record of who answered these calls: a third_party_disclosure quote that tells nobody is taken to be a
        # debt detail said to a third party (context), one that names telling someone is taught as words.
        examples += call_examples(path, f"opened_{path.stem}", lambda call, quote: not THREAT_TO_TELL.search(quote))
    return examples


def call_examples(path: Path, author: str, context_only: Callable[[dict, str], bool]) -> list[dict]:
    """The agent turns of a labelled call file as examples; ``context_only(call, quote)`` says whether a
    third_party_disclosure quote is one only because a third party is listening."""
    examples = []
    for line in path.read_text(encoding="utf-8").splitlines():
        call = json.loads(line)
        quotes: dict[int, list] = {}
        for violation in call["labels"]["violations"]:
            if violation["category"] == CONTEXT_ONLY and context_only(call, violation["quote"]):
                continue
            quotes.setdefault(violation["turn"], []).append((violation["category"], violation["quote"]))
        for index, turn in enumerate(call["turns"]):
            if turn["speaker"] == "agent":
                turn_quotes = quotes.get(index, [])
                examples.append({"text": turn["text"], "labels": {c for c, _ in turn_quotes}, "author": author,
                                 "quotes": turn_quotes})
    return examples


def sentence_examples(examples: list[dict]) -> list[dict]:
    """Each example, and its sentences as examples of their own where their labels are known: every sentence of a
    clean utterance is clean; a sentence of a labelled turn carries the labels whose quote lies in it. The reader
    scores sentences, so it must learn from them too (else a short clean sentence scores like a fragment of a
    threat)."""
    expanded = []
    for example in examples:
        expanded.append(example)
        spans = sentence_spans(example["text"])
        if len(spans) < 2 or (example["labels"] and "quotes" not in example):
            continue
        for start, end in spans:
            sentence = example["text"][start:end]
            labels = {c for c, q in example.get("quotes", []) if q in sentence}
            expanded.append({"text": sentence, "labels": labels, "author": example["author"]})
    return expanded


def canonical_texts(texts: list[str]) -> list[str]:
    pack = load_rule_pack()
    analyzer = Analyzer(pack.terms(), pack.vocabulary)  # as the Auditor builds it
    return [analyzer.analyze(normalize_with_offsets(text)[0]).canonical for text in texts]


def fit_vocabulary(texts: list[str]) -> tuple[dict[str, int], np.ndarray]:
    document_frequency: Counter = Counter()
    for text in texts:
        document_frequency.update(features(text).keys())
    kept = sorted(f for f, df in document_frequency.items() if df >= MIN_DF)
    vocabulary = {feature: index for index, feature in enumerate(kept)}
    n = len(texts)
    idf = np.array([np.log((1 + n) / (1 + document_frequency[f])) + 1.0 for f in kept])
    return vocabulary, idf


def matrix(texts: list[str], vocabulary: dict[str, int], idf: np.ndarray) -> csr_matrix:
    rows, columns, values = tfidf_rows(texts, vocabulary, idf)
    return csr_matrix((values, (rows, columns)), shape=(len(texts), len(vocabulary)))


def targets(examples: list[dict]) -> np.ndarray:
    return np.array([[category in e["labels"] for category in CONDUCT_CATEGORIES] for e in examples], dtype=int)


def fit(texts: list[str], y: np.ndarray) -> tuple[dict[str, int], np.ndarray, np.ndarray, np.ndarray]:
    vocabulary, idf = fit_vocabulary(texts)
    x = matrix(texts, vocabulary, idf)
    coef = np.zeros((len(vocabulary), y.shape[1]))
    intercept = np.full(y.shape[1], -10.0)  # a category with no example never fires
    for k in range(y.shape[1]):
        if y[:, k].sum() == 0:
            continue
        model = LogisticRegression(C=C, class_weight="balanced", max_iter=2000, solver="liblinear",
                                   random_state=SEED)
        model.fit(x, y[:, k])
        coef[:, k], intercept[k] = model.coef_[0], model.intercept_[0]
    return vocabulary, idf, coef, intercept


def predict(texts: list[str], vocabulary, idf, coef, intercept) -> np.ndarray:
    x = matrix(texts, vocabulary, idf)
    return 1.0 / (1.0 + np.exp(-(x @ coef + intercept)))


def out_of_fold(texts: list[str], y: np.ndarray, groups: list[str]) -> np.ndarray:
    scores = np.zeros(y.shape, dtype=float)
    for group in sorted(set(groups)):
        held = np.array([g == group for g in groups])
        train_texts = [t for t, h in zip(texts, held) if not h]
        model = fit(train_texts, y[~held])
        scores[held] = predict([t for t, h in zip(texts, held) if h], *model)
    return scores


def choose_thresholds(scores: np.ndarray, y: np.ndarray) -> dict[str, float]:
    """Per category, the lowest score at which the out-of-fold flags are violations (of any category) at least
    ``TARGET_PRECISION`` of the time. A flag on clean speech costs a reviewer a call; a flag that names a related
    category (insult for improper_conduct) costs little, and the authors themselves draw those lines differently."""
    violating = y.any(axis=1)
    thresholds = {}
    for k, category in enumerate(CONDUCT_CATEGORIES):
        chosen = 0.95
        for threshold in np.arange(THRESHOLD_FLOOR, 0.96, 0.01):
            flagged = scores[:, k] >= threshold
            if flagged.sum() and (flagged & violating).sum() / flagged.sum() >= TARGET_PRECISION:
                chosen = float(round(threshold, 2))
                break
        thresholds[category] = chosen
    return thresholds


def report(scores: np.ndarray, y: np.ndarray, thresholds: dict[str, float], title: str) -> None:
    print(f"\n{title}")
    print(f"{'category':24} {'n':>5} {'thr':>5} {'prec':>6} {'recall':>6}")
    any_true = y.any(axis=1)
    any_flag = np.zeros(len(y), dtype=bool)
    for k, category in enumerate(CONDUCT_CATEGORIES):
        flagged = scores[:, k] >= thresholds[category]
        any_flag |= flagged
        true = (flagged & (y[:, k] == 1)).sum()
        precision = true / flagged.sum() if flagged.sum() else 1.0
        recall = true / y[:, k].sum() if y[:, k].sum() else 1.0
        print(f"{category:24} {y[:, k].sum():5d} {thresholds[category]:5.2f} {precision:6.3f} {recall:6.3f}")
    true = (any_flag & any_true).sum()
    print(f"{'any violation (turn)':24} {any_true.sum():5d} {'':5} {true / max(any_flag.sum(), 1):6.3f} "
          f"{true / max(any_true.sum(), 1):6.3f}   false alarms on clean turns: "
          f"{(any_flag & ~any_true).sum()}/{(~any_true).sum()}")


def corpus_digest(examples: list[dict]) -> str:
    body = json.dumps([[e["author"], e["text"], sorted(e["labels"])] for e in examples], ensure_ascii=False)
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


def write_model(model_dir: Path, vocabulary, idf, coef, intercept, thresholds, examples) -> None:
    model_dir.mkdir(parents=True, exist_ok=True)
    features_in_order = sorted(vocabulary, key=vocabulary.get)
    meta = {
        "name": "char-pinyin-tfidf-logreg",
        "categories": list(CONDUCT_CATEGORIES),
        "thresholds": thresholds,
        "features": features_in_order,
        "training": {"examples": len(examples), "corpus_sha256": corpus_digest(examples), "seed": SEED, "C": C,
                     "min_df": MIN_DF, "target_precision": TARGET_PRECISION,
                     "authors": dict(sorted(Counter(e["author"] for e in examples).items()))},
    }
    (model_dir / "reader.json").write_text(json.dumps(meta, ensure_ascii=False, indent=0) + "\n", encoding="utf-8")
    np.savez_compressed(model_dir / "reader.npz", idf=idf.astype(np.float32), coef=coef.astype(np.float32),
                        intercept=intercept.astype(np.float32))


def check_sample(texts: list[str]) -> list[str]:
    """A fixed sample of the training texts, on which a retrained model must score like the shipped one."""
    picked = np.random.default_rng(SEED).choice(len(texts), size=min(CHECK_SAMPLE, len(texts)), replace=False)
    return [texts[i] for i in sorted(picked)]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cv-only", action="store_true")
    parser.add_argument("--check", action="store_true", help="retrain in memory and compare with the shipped model")
    parser.add_argument("--out", type=Path, default=MODEL_DIR)
    parser.add_argument("--leave-out", metavar="AUTHOR", action="append", default=[],
                        help="train without this author's text (e.g. dev_clean, to audit the dev set with a reader "
                             "that never saw it)")
    args = parser.parse_args()
    examples = sentence_examples([e for e in read_corpus() if e["author"] not in args.leave_out])
    texts = canonical_texts([e["text"] for e in examples])
    y = targets(examples)
    print(f"{len(examples)} examples from {len({e['author'] for e in examples})} authors; "
          f"violations {int(y.any(axis=1).sum())}, clean {int((~y.any(axis=1)).sum())}")
    if args.check:
        sample = check_sample(texts)
        difference = float(np.abs(LearnedReader().probabilities(sample) - predict(sample, *fit(texts, y))).max())
        print(f"largest score difference between the shipped model and a retrained one: {difference:.6f}")
        return 0 if difference < 5e-4 else 1
    scores = out_of_fold(texts, y, [e["author"] for e in examples])
    thresholds = choose_thresholds(scores, y)
    report(scores, y, thresholds, "leave-one-author-out (each author scored by a model that never saw it)")
    if args.cv_only:
        return 0
    write_model(args.out, *fit(texts, y), thresholds, examples)
    print(f"\nwrote {args.out} ({LearnedReader(args.out).version})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
