"""Would a lower bar for the reader's improper_conduct score, right after the customer offers, asks or complains, find
more improper conduct? Figures only.

    OMP_NUM_THREADS=1 .venv/bin/python bench/improper_after_customer.py

Fits the reader (as ``scripts/train_reader.py`` does) without the opened splits l36–l47, then scores every sentence of
their agent turns. A sentence is "after the customer" when one of the two turns before it is the other side's and
the rules' customer signals find a promise, a complaint, hardship or a dispute there. Printed per bar: sentences
flagged improper_conduct, how many carry that label, how many any label, how many none. No call text is printed.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from audit.auditor import Auditor  # noqa: E402
from audit.models import Turn  # noqa: E402
from audit.reader_training import canonical_texts, fit, predict, read_corpus, sentence_examples, targets  # noqa: E402
from audit.rulepack import CONDUCT_CATEGORIES  # noqa: E402
from audit.rules.learned import sentence_spans  # noqa: E402
from audit.rules.signals import find_signals  # noqa: E402

OPENED = Path(__file__).resolve().parents[1] / "tests" / "data" / "opened"
HELD_OUT = re.compile(r"^l(3[6-9]|4[0-7])_")
CONTEXT = {"promise_to_pay", "complaint_intent", "vulnerability", "dispute"}
BARS = (0.4, 0.5, 0.6, 0.7, 0.8, 0.87)


def sentences(paths: list[Path]) -> list[tuple[str, set[str], bool]]:
    """(sentence, its labels, whether it comes right after the customer offered, asked or complained)."""
    auditor = Auditor(reader=False)
    rows = []
    for path in paths:
        for line in path.read_text(encoding="utf-8").splitlines():
            call = json.loads(line)
            turns = call["turns"]
            view = auditor.view(tuple(Turn(t["speaker"], t["text"]) for t in turns))
            said: dict[int, set[str]] = {}
            for signal in find_signals(auditor.pack, view, auditor.borrowed):
                said.setdefault(signal.turn, set()).add(signal.signal)
            for index, turn in enumerate(turns):
                if turn["speaker"] != "agent":
                    continue
                after = any(said.get(j, set()) & CONTEXT for j in range(max(0, index - 2), index)
                            if turns[j]["speaker"] != "agent")
                quotes = [(v["category"], v["quote"]) for v in call["labels"]["violations"] if v["turn"] == index]
                for start, end in sentence_spans(turn["text"]):
                    text = turn["text"][start:end]
                    rows.append((text, {c for c, q in quotes if q in text or text in q}, after))
    return rows


def main() -> int:
    held = sorted(p for p in OPENED.glob("*.jsonl") if HELD_OUT.match(p.name))
    left_out = {f"opened_{p.stem}" for p in held}
    examples = sentence_examples([e for e in read_corpus() if e["author"] not in left_out])
    model = fit(canonical_texts([e["text"] for e in examples]), targets(examples))
    rows = sentences(held)
    scores = predict(canonical_texts([text for text, _, _ in rows]), *model)[:, CONDUCT_CATEGORIES.index(
        "improper_conduct")]
    improper = np.array(["improper_conduct" in labels for _, labels, _ in rows])
    labelled = np.array([bool(labels) for _, labels, _ in rows])
    for name, chosen in (("every agent sentence", np.ones(len(rows), bool)),
                         ("right after a promise, complaint, hardship or dispute",
                          np.array([after for _, _, after in rows]))):
        print(f"{name}: {chosen.sum()} sentences, {(improper & chosen).sum()} of the {improper.sum()} improper ones")
        for bar in BARS:
            flagged = chosen & (scores >= bar)
            print(f"  bar {bar:.2f}: flagged {flagged.sum():4d}  improper {(flagged & improper).sum():3d}  "
                  f"any label {(flagged & labelled).sum():3d}  no label {(flagged & ~labelled).sum():3d}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
