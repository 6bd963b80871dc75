"""Would the reader find more with lower bars, or reading parts of long sentences? Figures only.

    OMP_NUM_THREADS=1 .venv/bin/python bench/reader_bars_and_windows.py [--held-out REGEX]

Fits the reader (its training examples, features and C, as ``scripts/train_reader.py`` does, with the shipped
reader's bars) without the opened splits the regex names (default l52–l55), then, on those splits (the second head,
which reads whose words a sentence is, is trained as ``train_other_side`` trains it: on every opened split's turns of
known speaker, these included):

1. every category's bar lowered by 0.05 to 0.2, the whole auditor scored as ``audit eval --disclosure-labels done``
   scores it (critical calls, macro-F1, false alarms on violation-free calls);
2. each agent sentence read whole, as the auditor reads it, and also in windows of one to three clauses (split at
   commas and pauses): how many labelled agent turns get their category, how many clean agent turns get any.

No call text is printed.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from audit.auditor import Auditor  # noqa: E402
from audit.evaluate import EvalReport, evaluate  # noqa: E402
from audit.models import Turn  # noqa: E402
from audit.reader import MODEL_DIR, LearnedReader  # noqa: E402
from audit.reader_training import (ROOT, canonical_texts, fit, read_corpus, sentence_examples, targets,  # noqa: E402
                                   train_other_side, write_model)
from audit.rules.learned import _too_short, sentence_spans  # noqa: E402

DELTAS = (0.0, 0.05, 0.1, 0.2)
CLAUSE_BREAK = re.compile(r"[，,、：:\s]+")


def held_out_reader(held_out: re.Pattern, model_dir: Path) -> LearnedReader:
    examples = [e for e in sentence_examples(read_corpus()) if not held_out.match(e["author"])]
    texts = canonical_texts([e["text"] for e in examples])
    vocabulary, idf, coef, intercept = fit(texts, targets(examples))
    thresholds = json.loads((MODEL_DIR / "reader.json").read_text(encoding="utf-8"))["thresholds"]
    write_model(model_dir, vocabulary, idf, coef, intercept, thresholds, examples,
                train_other_side(vocabulary, idf))
    return LearnedReader(model_dir)


def windows(text: str, start: int, end: int) -> list[str]:
    clauses, position = [], start
    for found in CLAUSE_BREAK.finditer(text, start, end):
        if found.start() > position:
            clauses.append((position, found.start()))
        position = found.end()
    if position < end:
        clauses.append((position, end))
    return [text[clauses[i][0]:clauses[j][1]] for i in range(len(clauses)) for j in range(i, min(i + 3, len(clauses)))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--held-out", default=r"l5[2-5]_", help="regex on the opened files' names")
    args = parser.parse_args()
    files = sorted(p for p in (ROOT / "tests" / "data" / "opened").glob("*.jsonl") if re.match(args.held_out, p.name))
    held_out = re.compile(r"^opened_(?:" + args.held_out + ")")
    with tempfile.TemporaryDirectory() as model_dir:
        reader = held_out_reader(held_out, Path(model_dir))
        auditor = Auditor(reader=reader)
        print(f"held out: {', '.join(p.stem for p in files)}; reader fitted without them\n")
        shipped = reader.thresholds.copy()
        for delta in DELTAS:
            reader.thresholds = np.maximum(0.5, shipped - delta)
            report = EvalReport()
            for path in files:
                evaluate(auditor, path, report, "done")
            critical = report.critical
            print(f"bars lowered by {delta:.2f}: critical precision {critical.precision:.3f} recall "
                  f"{critical.recall:.3f}, macro-F1 {report.macro_f1:.3f}, false alarms "
                  f"{report.negative_calls_flagged}/{report.negative_calls}")
        reader.thresholds = shipped
        print(f"\n{'reading':18} {'labelled turns with their category':>36} {'clean turns flagged':>20}")
        for name, windowed in (("sentences", False), ("+ clause windows", True)):
            found = labelled = flagged = clean = 0
            for path in files:
                for line in path.read_text(encoding="utf-8").splitlines():
                    call = json.loads(line)
                    gold: dict[int, set[str]] = {}
                    for violation in call["labels"]["violations"]:
                        gold.setdefault(violation["turn"], set()).add(violation["category"])
                    view = auditor.view(tuple(Turn(t["speaker"], t["text"]) for t in call["turns"]))
                    for turn in view.turns:
                        if turn.speaker != "agent":
                            continue
                        text = turn.canonical
                        read = []
                        for start, end in sentence_spans(text):
                            read += [text[start:end]] + (windows(text, start, end) if windowed else [])
                        read = [r for r in read if not _too_short(r)]
                        scores = reader.probabilities(read) if read else np.zeros((0, len(reader.categories)))
                        hit = {c for k, c in enumerate(reader.categories) if (scores[:, k] >= shipped[k]).any()}
                        if turn.index in gold:
                            labelled += len(gold[turn.index])
                            found += len(gold[turn.index] & hit)
                        else:
                            clean += 1
                            flagged += bool(hit)
            print(f"{name:18} {found:>30d}/{labelled:<5d} {flagged:>14d}/{clean:<5d}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
