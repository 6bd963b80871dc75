"""Training the learned reader (``audit.reader``): its corpus, the fit, the operating points, the files it is made of.

``scripts/train_reader.py`` rebuilds the shipped model from the corpus with a fixed seed; ``audit train`` (the
``train_candidate`` below) adds reviewers' verdicts from a database as one more author group and writes a candidate
beside the shipped model, never over it (``audit model promote`` makes a candidate the one used).

Training data: every utterance in ``corpus/train/*.jsonl`` and every agent turn of ``tests/data/dev_clean.jsonl`` and
of the opened former test split ``tests/data/opened/``. Never the locked test split (``tests/data/locked/``). Each
text goes through what a transcript turn goes through before the reader sees it (normalisation, homophones resolved
to the rule pack's words). The corpus is read from a checkout (it is not in the wheel).

The reader reads sentences without knowing who is on the line, so a debt detail told to a third party (a violation
only because of who listens) is taught to it neither as third_party_disclosure nor as clean of it: its words do not
say, and the third-party rules own that context. Such a sentence is left out of that one category's fit and threshold
(``unknown``), and counts as usual for every other category.

Thresholds: for each category, the lowest score at which the out-of-fold flags of a leave-one-author-out
cross-validation land on violating text at the target rate, counted on what agents say (the other side's words in
the corpus, ``speaker: customer``, train the reader but set no threshold). Out-of-fold by author means each author's
text was scored by a model that never saw that author, the situation the reader meets in production.

A second head, over the same features, reads whether the other side said a sentence (``audit.other_side_training``).

scikit-learn and scipy (the ``train`` extra) are needed here only; the auditor scores with numpy alone.
"""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import os
import re
import shutil
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np
from scipy.sparse import csr_matrix
from sklearn.linear_model import LogisticRegression

from audit import other_side_training
from audit.errors import AuditError
from audit.nlp import Analyzer
from audit.reader import LearnedReader, features, tfidf_rows
from audit.rulepack import CONDUCT_CATEGORIES, load_rule_pack
from audit.rules.learned import sentence_spans
from audit.text import normalize_with_offsets, pauses

ROOT = Path(__file__).resolve().parents[1]  # the checkout, whose corpus/ and tests/data/ hold the training text

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
            labels, unknown = set(row["labels"]), set()
            if row["listener"] == "third_party" and CONTEXT_ONLY in labels:
                labels.discard(CONTEXT_ONLY)
                unknown.add(CONTEXT_ONLY)
            examples.append({"text": row["text"], "labels": labels, "unknown": unknown, "author": path.stem,
                             "speaker": row.get("speaker", "agent")})
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
    third_party_disclosure quote is one only because a third party is listening. ``before``: the nearest earlier
    turn that is not the agent's (the reader does not read it; ``bench/reader_with_context.py`` does)."""
    examples = []
    for line in path.read_text(encoding="utf-8").splitlines():
        call = json.loads(line)
        quotes: dict[int, list] = {}
        unknown: dict[int, list] = {}  # context-only quotes: which sentences they lie in is known, not their label
        for violation in call["labels"]["violations"]:
            context = violation["category"] == CONTEXT_ONLY and context_only(call, violation["quote"])
            (unknown if context else quotes).setdefault(violation["turn"], []).append(
                (violation["category"], violation["quote"]))
        before = ""
        for index, turn in enumerate(call["turns"]):
            if turn["speaker"] != "agent":
                before = turn["text"]
                continue
            turn_quotes = quotes.get(index, [])
            examples.append({"text": turn["text"], "labels": {c for c, _ in turn_quotes}, "author": author,
                             "quotes": turn_quotes, "unknown_quotes": unknown.get(index, []),
                             "unknown": {c for c, _ in unknown.get(index, [])} - {c for c, _ in turn_quotes},
                             "before": before})
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
            unknown = {c for c, q in example.get("unknown_quotes", []) if q in sentence} - labels
            expanded.append({"text": sentence, "labels": labels, "unknown": unknown, "author": example["author"],
                             "speaker": example.get("speaker", "agent"), "before": example.get("before", "")})
    return expanded


def canonical_texts(texts: list[str]) -> list[str]:
    pack = load_rule_pack()
    analyzer = Analyzer(pack.terms(), pack.vocabulary, pack.dialect_words)  # as the Auditor builds it
    return [analyzer.analyze(normalized, pauses(text, offsets)).canonical
            for text in texts for normalized, offsets in (normalize_with_offsets(text),)]


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
    """Per example and category: 1 a violation of it, 0 clean of it, -1 unknown (left out of that category)."""
    return np.array([[1 if category in e["labels"] else -1 if category in e.get("unknown", ()) else 0
                      for category in CONDUCT_CATEGORIES] for e in examples], dtype=int)


def violating(y: np.ndarray) -> np.ndarray:
    return (y == 1).any(axis=1)


def fit(texts: list[str], y: np.ndarray) -> tuple[dict[str, int], np.ndarray, np.ndarray, np.ndarray]:
    vocabulary, idf = fit_vocabulary(texts)
    x = matrix(texts, vocabulary, idf)
    coef = np.zeros((len(vocabulary), y.shape[1]))
    intercept = np.full(y.shape[1], -10.0)  # a category with no example never fires
    for k in range(y.shape[1]):
        known = y[:, k] >= 0
        if not (y[:, k] == 1).any():
            continue
        model = LogisticRegression(C=C, class_weight="balanced", max_iter=2000, solver="liblinear",
                                   random_state=SEED)
        model.fit(x[known], y[known, k])
        coef[:, k], intercept[k] = model.coef_[0], model.intercept_[0]
    return vocabulary, idf, coef, intercept


def predict(texts: list[str], vocabulary, idf, coef, intercept) -> np.ndarray:
    x = matrix(texts, vocabulary, idf)
    return 1.0 / (1.0 + np.exp(-(x @ coef + intercept)))


def out_of_fold(texts: list[str], y: np.ndarray, groups: list[str], workers: int | None = None) -> np.ndarray:
    """Each group's texts scored by a model fitted without that group. The folds are independent fits (one
    single-threaded liblinear fit per category), so they run one process per core; the result does not depend on it."""
    held_out = [np.array([g == group for g in groups]) for group in sorted(set(groups))]
    workers = max(1, min(workers or os.cpu_count() or 1, len(held_out)))
    global _FOLDS
    _FOLDS = (texts, y)  # read by the forked workers (copy on write), never pickled per fold
    try:
        if workers == 1:
            fold_scores = [_fold_scores(held) for held in held_out]
        else:
            with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork")) as pool:
                fold_scores = list(pool.map(_fold_scores, held_out))
    finally:
        _FOLDS = None
    scores = np.zeros(y.shape, dtype=float)
    for held, group_scores in zip(held_out, fold_scores):
        scores[held] = group_scores
    return scores


_FOLDS: tuple[list[str], np.ndarray] | None = None


def _fold_scores(held: np.ndarray) -> np.ndarray:
    texts, y = _FOLDS
    model = fit([t for t, h in zip(texts, held) if not h], y[~held])
    return predict([t for t, h in zip(texts, held) if h], *model)


def said_by_agent(examples: list[dict]) -> np.ndarray:
    """Which examples are the agent's words. The other side's (``speaker: customer`` in the corpus: what debtors and
    relatives say in a mono recording, met as turns of unknown speaker) teach the reader that such words are no
    conduct of the agent's, but set none of its thresholds: those are for what agents say, and a finding in a turn of
    unknown speaker has a bar of its own (``audit.rules.learned``)."""
    return np.array([e.get("speaker", "agent") == "agent" for e in examples])


def choose_thresholds(scores: np.ndarray, y: np.ndarray, counted: np.ndarray | None = None) -> dict[str, float]:
    """Per category, the lowest score at which the out-of-fold flags are violations (of any category) at least
    ``TARGET_PRECISION`` of the time, over the ``counted`` rows (all when None; ``said_by_agent`` for training). A
    flag on clean speech costs a reviewer a call; a flag that names a related category (insult for improper_conduct)
    costs little, and the authors themselves draw those lines differently."""
    if counted is not None:
        scores, y = scores[counted], y[counted]
    any_violation = violating(y)
    thresholds = {}
    for k, category in enumerate(CONDUCT_CATEGORIES):
        chosen = 0.95
        for threshold in np.arange(THRESHOLD_FLOOR, 0.96, 0.01):
            flagged = (scores[:, k] >= threshold) & (y[:, k] >= 0)
            if flagged.sum() and (flagged & any_violation).sum() / flagged.sum() >= TARGET_PRECISION:
                chosen = float(round(threshold, 2))
                break
        thresholds[category] = chosen
    return thresholds


def report(scores: np.ndarray, y: np.ndarray, thresholds: dict[str, float], title: str) -> None:
    print(f"\n{title}")
    print(f"{'category':24} {'n':>5} {'thr':>5} {'prec':>6} {'recall':>6}")
    any_true = violating(y)
    any_flag = np.zeros(len(y), dtype=bool)
    for k, category in enumerate(CONDUCT_CATEGORIES):
        flagged = (scores[:, k] >= thresholds[category]) & (y[:, k] >= 0)
        any_flag |= flagged
        true = (flagged & (y[:, k] == 1)).sum()
        positives = (y[:, k] == 1).sum()
        precision = true / flagged.sum() if flagged.sum() else 1.0
        recall = true / positives if positives else 1.0
        print(f"{category:24} {positives:5d} {thresholds[category]:5.2f} {precision:6.3f} {recall:6.3f}")
    true = (any_flag & any_true).sum()
    print(f"{'any violation (turn)':24} {any_true.sum():5d} {'':5} {true / max(any_flag.sum(), 1):6.3f} "
          f"{true / max(any_true.sum(), 1):6.3f}   false alarms on clean turns: "
          f"{(any_flag & ~any_true).sum()}/{(~any_true).sum()}")


def corpus_digest(examples: list[dict]) -> str:
    body = json.dumps([[e["author"], e["text"], sorted(e["labels"])] + ([sorted(e["unknown"])] if e.get("unknown")
                                                                          else []) for e in examples],
                      ensure_ascii=False)
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


def train_other_side(vocabulary: dict[str, int], idf: np.ndarray, root: Path = ROOT) -> other_side_training.OtherSide:
    """The head that reads whether the other side said a sentence (``audit.other_side_training``), over the features
    of the reader just fitted."""
    rows = other_side_training.examples(root)
    return other_side_training.train(matrix(canonical_texts([r[0] for r in rows]), vocabulary, idf), rows)


def write_model(model_dir: Path, vocabulary, idf, coef, intercept, thresholds, examples,
                other_side: other_side_training.OtherSide) -> None:
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
        "other_side": {"bar": other_side.bar, "examples": other_side.examples, "C": other_side_training.C},
    }
    (model_dir / "reader.json").write_text(json.dumps(meta, ensure_ascii=False, indent=0) + "\n", encoding="utf-8")
    np.savez_compressed(model_dir / "reader.npz", idf=idf.astype(np.float32), coef=coef.astype(np.float32),
                        intercept=intercept.astype(np.float32), other_side_coef=other_side.coef.astype(np.float32),
                        other_side_intercept=np.float32(other_side.intercept))


def check_sample(texts: list[str]) -> list[str]:
    """A fixed sample of the training texts, on which a retrained model must score like the shipped one."""
    picked = np.random.default_rng(SEED).choice(len(texts), size=min(CHECK_SAMPLE, len(texts)), replace=False)
    return [texts[i] for i in sorted(picked)]


# -- a candidate trained with reviewers' verdicts (``audit train --from-db``) -------------------------------------------

DB_AUTHOR = "reviewed_calls"  # the author group of the database's examples (held out together in cross-validation)
RIGHT = ("upheld", "severity_changed")  # effects that confirm a finding; a reviewer-added one counts as upheld


def db_examples(turns: list[dict]) -> list[dict]:
    """Examples from ``Store.judged_turns`` rows: a turn is labelled with the categories of its findings a person
    upheld, changed the severity of, or added (quotes place them in its sentences); a turn whose findings were all
    dismissed is clean, a false alarm the reader should not repeat."""
    examples = []
    for turn in turns:
        right = [(category, quote) for category, effect, quote in turn["findings"] if effect in RIGHT]
        examples.append({"text": turn["text"], "labels": {c for c, _ in right}, "author": DB_AUTHOR, "quotes": right})
    return examples


@dataclass(frozen=True)
class Candidate:
    folder: Path
    version: str
    examples: int  # training examples, sentences included
    from_db: int  # agent turns the database added


def train_candidate(extra: list[dict], candidates_dir: Path, *, corpus_every: int = 1, root: Path = ROOT) -> Candidate:
    """Train a reader on the corpus (every ``corpus_every``-th utterance: 1 for all, more for a quick trial) plus
    ``extra`` examples, exactly as the shipped one is trained, into ``candidates_dir/<version>`` (never the shipped
    folder). Minutes on the whole corpus: a cross-validation by author, then the fit on everything."""
    if not (root / "corpus" / "train").is_dir():
        raise AuditError(root / "corpus" / "train", "no training corpus here: `audit train` runs in a checkout of "
                                                    "the project")
    examples = sentence_examples(read_corpus(root)[::max(1, corpus_every)] + list(extra))
    texts = canonical_texts([e["text"] for e in examples])
    y = targets(examples)
    thresholds = choose_thresholds(out_of_fold(texts, y, [e["author"] for e in examples]), y, said_by_agent(examples))
    staging = Path(candidates_dir) / f".training-{os.getpid()}"
    shutil.rmtree(staging, ignore_errors=True)
    vocabulary, idf, coef, intercept = fit(texts, y)
    write_model(staging, vocabulary, idf, coef, intercept, thresholds, examples,
                train_other_side(vocabulary, idf, root))
    version = LearnedReader(staging).version
    folder = Path(candidates_dir) / version
    if folder.exists():  # the same training again: the same files
        shutil.rmtree(staging)
    else:
        os.replace(staging, folder)
    return Candidate(folder, version, len(examples), len(extra))


def locked_split_report(reader: LearnedReader | None, profile: str = "cn", root: Path = ROOT):
    """The auditor with this reader over the locked test split (``tests/data/locked/``): an ``EvalReport`` whose
    figures only are shown (``format_report(report, 0)``, as ``audit eval --scores-only``), never its text."""
    from audit.auditor import Auditor
    from audit.evaluate import evaluate

    paths = sorted((root / "tests" / "data" / "locked").glob("*.jsonl"))
    if not paths:
        raise AuditError(root / "tests" / "data" / "locked", "no locked test split here")
    auditor = Auditor(profile=profile, reader=reader)
    report = None
    for path in paths:
        report = evaluate(auditor, path, report)
    return report


def side_by_side(current, candidate, current_name: str, candidate_name: str) -> str:
    """Two ``EvalReport``s' figures in columns (per category P/R/F1, macro-F1, critical calls, false alarms on clean
    calls): figures only, no call text."""
    lines = [f"locked test split, {current.calls} calls: precision / recall / F1 of the current reader "
             f"({current_name}) and the candidate ({candidate_name})", f"{'':24} {'current':>20}   {'candidate':>20}"]

    def prf(c) -> str:
        return f"{c.precision:6.3f} {c.recall:6.3f} {c.f1:6.3f}"

    for name in list(current.categories) + ["ALL"]:
        a, b = ((r.overall if name == "ALL" else r.categories[name]) for r in (current, candidate))
        lines.append(f"{name:24} {prf(a):>20}   {prf(b):>20}")
    lines.append(f"{'macro-F1':24} {current.macro_f1:20.3f}   {candidate.macro_f1:20.3f}")
    lines.append(f"{'critical calls':24} {prf(current.critical):>20}   {prf(candidate.critical):>20}")
    if current.negative_calls:
        lines.append(f"{'false alarms, clean calls':24} {current.negative_calls_flagged:>16}/{current.negative_calls:<3}"
                     f"   {candidate.negative_calls_flagged:>16}/{candidate.negative_calls:<3}")
    return "\n".join(lines)
