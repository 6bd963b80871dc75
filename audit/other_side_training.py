"""Training the reader's second head: whether a sentence was said by the other side (the debtor, or whoever answered)
rather than by the agent.

In a mono recording the recogniser cannot tell the voices apart, and a turn of unknown speaker holds the customer's
words as often as the agent's: 「老子怕你哦」「你们会不会打给我妈」「我帮他还了算了」 are no conduct of the agent's, yet they
carry the words of abuse, telling and paying. The reader's categories cannot see whose words these are; this head
reads it from how people on each side talk. It is trained on every sentence of a known speaker in the labelled calls
(the development set and the opened splits: agent and customer turns) and on the corpus (the customer's lines,
``speaker: customer``, and the agent's), over the reader's own features, so it ships in the same files and is
recorded with the same version.

Its bar: the lowest score at which, out of fold by author, at most ``AGENT_VIOLATIONS_SET_ASIDE`` of the agent's
violating sentences would be taken for the other side's. A sentence of unknown speaker at or above it is read as the
other side's (``audit.rules.learned``). Turns of unknown speaker are never training text: who said them is not known.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegression

from audit.rules.learned import sentence_spans

SEED = 20261203
C = 8.0
FOLDS = 5  # by author: the head is one binary fit, and five folds give its bar enough violating sentences to count
AGENT_VIOLATIONS_SET_ASIDE = 0.01
BAR_FLOOR = 0.7  # never read a sentence as the other side's below this, whatever the cross-validation allows


@dataclass(frozen=True)
class OtherSide:
    coef: np.ndarray  # (features,)
    intercept: float
    bar: float
    examples: int
    report: str  # the cross-validated figures, for the training log

    def scores(self, x) -> np.ndarray:
        """Its probabilities for the rows of a TF-IDF matrix, as ``LearnedReader.other_side`` computes them."""
        return 1.0 / (1.0 + np.exp(-(x @ self.coef + self.intercept)))


def examples(root: Path) -> list[tuple[str, bool, str, bool]]:
    """(sentence, said by the other side, author group, a violation) for every sentence of known speaker."""
    rows = []
    for path in [root / "tests" / "data" / "dev_clean.jsonl"] + sorted((root / "tests" / "data" / "opened").glob(
            "*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            call = json.loads(line)
            quotes: dict[int, list[str]] = {}
            for violation in call["labels"]["violations"]:
                quotes.setdefault(violation["turn"], []).append(violation["quote"])
            for index, turn in enumerate(call["turns"]):
                if turn["speaker"] not in ("agent", "customer"):
                    continue
                for start, end in sentence_spans(turn["text"]):
                    sentence = turn["text"][start:end]
                    rows.append((sentence, turn["speaker"] == "customer", path.stem,
                                 any(quote in sentence or sentence in quote for quote in quotes.get(index, []))))
    for path in sorted((root / "corpus" / "train").glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                row = json.loads(line)
                rows.append((row["text"], row.get("speaker", "agent") == "customer", path.stem, bool(row["labels"])))
    return rows


def _fit(x, y) -> LogisticRegression:
    model = LogisticRegression(C=C, class_weight="balanced", max_iter=2000, solver="liblinear", random_state=SEED)
    return model.fit(x, y)


def train(x, rows: list[tuple[str, bool, str, bool]]) -> OtherSide:
    """``x``: the rows' sentences as the reader's TF-IDF matrix (canonical text)."""
    other = np.array([r[1] for r in rows])
    violation = np.array([r[3] for r in rows]) & ~other
    authors = sorted({r[2] for r in rows})
    np.random.default_rng(SEED).shuffle(authors)
    fold_of = {author: i % FOLDS for i, author in enumerate(authors)}
    folds = np.array([fold_of[r[2]] for r in rows])
    scores = np.zeros(len(rows))
    for fold in range(FOLDS):
        scores[folds == fold] = _fit(x[folds != fold], other[folds != fold]).predict_proba(x[folds == fold])[:, 1]
    bar = next((float(round(b, 2)) for b in np.arange(BAR_FLOOR, 0.991, 0.01)
                if (scores[violation] >= b).mean() <= AGENT_VIOLATIONS_SET_ASIDE), 0.99)
    report = (f"the other side's sentences read as theirs out of fold at bar {bar:.2f}: "
              f"{int((scores[other] >= bar).sum())} of {int(other.sum())}; the agent's: "
              f"{int((scores[~other] >= bar).sum())} of {int((~other).sum())}, violating ones "
              f"{int((scores[violation] >= bar).sum())} of {int(violation.sum())}")
    model = _fit(x, other)
    return OtherSide(model.coef_[0], float(model.intercept_[0]), bar, len(rows), report)
