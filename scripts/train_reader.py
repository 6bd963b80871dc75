"""Train the learned reader from the corpus and write it into the package (``audit/reader_model/``).

    python scripts/train_reader.py            # cross-validate by author, train on everything, write the model
    python scripts/train_reader.py --cv-only  # only the cross-validated figures
    python scripts/train_reader.py --check    # retrain in memory; exit 1 unless it scores like the shipped model

What it trains on and how: ``audit/reader_training.py`` (``audit train --from-db`` trains a candidate from the same
corpus plus reviewers' verdicts).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from audit.reader import MODEL_DIR  # noqa: E402
from audit.rulepack import CONDUCT_CATEGORIES  # noqa: E402
from audit.rules.learned import MIN_FINDING_SCORE_UNKNOWN_SPEAKER  # noqa: E402
from audit.reader_training import *  # noqa: E402,F401,F403  (the names bench/ and tests/ read as train_reader.*)
from audit.reader_training import (LearnedReader, canonical_texts, check_sample, choose_thresholds, fit,  # noqa: E402
                                   matrix, out_of_fold, predict, read_corpus, report, said_by_agent,
                                   sentence_examples, targets, train_other_side, violating, write_model)

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
          f"violations {int(violating(y).sum())}, clean {int((~violating(y)).sum())}, "
          f"a category unknown {int((y < 0).any(axis=1).sum())}")
    if args.check:
        sample = check_sample(texts)
        vocabulary, idf, coef, intercept = fit(texts, y)
        shipped = LearnedReader()
        retrained_other_side = train_other_side(vocabulary, idf).scores(matrix(sample, vocabulary, idf))
        difference = max(float(np.abs(shipped.probabilities(sample) - predict(sample, vocabulary, idf, coef,
                                                                                intercept)).max()),
                         float(np.abs(shipped.other_side(sample) - retrained_other_side).max()))
        print(f"largest score difference between the shipped model and a retrained one: {difference:.6f}")
        return 0 if difference < 5e-4 else 1
    scores = out_of_fold(texts, y, [e["author"] for e in examples])
    agent = said_by_agent(examples)
    thresholds = choose_thresholds(scores, y, agent)
    report(scores[agent], y[agent], thresholds, "leave-one-author-out (each author scored by a model that never saw "
                                                "it), on what agents say")
    other = scores[~agent]
    flagged = other >= np.array([thresholds[c] for c in CONDUCT_CATEGORIES])
    unknown_bar = flagged & (other >= MIN_FINDING_SCORE_UNKNOWN_SPEAKER)
    print(f"the other side's sentences flagged out of fold: {int(flagged.any(axis=1).sum())} of {len(other)}; at the "
          f"bar of a turn of unknown speaker: {int(unknown_bar.any(axis=1).sum())}")
    if args.cv_only:
        return 0
    vocabulary, idf, coef, intercept = fit(texts, y)
    other_side = train_other_side(vocabulary, idf)
    print(other_side.report)
    write_model(args.out, vocabulary, idf, coef, intercept, thresholds, examples, other_side)
    print(f"\nwrote {args.out} ({LearnedReader(args.out).version})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
