"""The labelled data the learned reader is trained and tested on: well-formed, and the locked split kept apart."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "corpus"))

import validate  # noqa: E402  (corpus/validate.py: standard library only, so authors can run it anywhere)

TRAIN = sorted((ROOT / "corpus" / "train").glob("*.jsonl"))
INCOMING = sorted((ROOT / "corpus" / "incoming").glob("*.jsonl"))  # written, trained on at the next retraining
LOCKED = sorted((ROOT / "tests" / "data" / "locked").glob("*.jsonl"))
OPENED = sorted((ROOT / "tests" / "data" / "opened").glob("*.jsonl"))


def test_every_training_file_is_well_formed_and_covers_every_category():
    seen: set[str] = set()  # ids unique across what is trained on and what waits for the next retraining
    assert [problem for path in TRAIN + INCOMING for problem in validate.check_utterances(path, seen)] == []
    rows = [json.loads(line) for path in TRAIN for line in path.read_text(encoding="utf-8").splitlines()]
    labels = [label for row in rows for label in row["labels"]]
    assert all(labels.count(category) >= 100 for category in validate.CATEGORIES)
    assert sum(not row["labels"] for row in rows) >= len(labels) // 2  # at least as many clean lines as violations


def test_the_locked_split_is_well_formed_and_written_by_authors_who_wrote_no_training_text():
    seen: set[str] = set()
    assert [problem for path in LOCKED for problem in validate.check_calls(path, seen)] == []
    assert len(seen) >= 150 and len(LOCKED) >= 3
    training_authors = {json.loads(line)["author"] for path in TRAIN
                        for line in path.read_text(encoding="utf-8").splitlines()}
    locked_authors = {call_id.split("_")[0] for call_id in seen}
    assert not training_authors & locked_authors
    opened: set[str] = set()
    assert [problem for path in OPENED for problem in validate.check_calls(path, opened)] == []
    assert not {call_id.split("_")[0] for call_id in opened} & locked_authors


def test_the_reader_is_trained_on_no_sentence_of_the_locked_split():
    sys.path.insert(0, str(ROOT / "scripts"))
    import train_reader

    training_texts = {example["text"] for example in train_reader.read_corpus()}
    assert {example["author"] for example in train_reader.read_corpus()} >= {"dev_clean", "opened_l1_city_banks"}
    locked_turns = {turn["text"] for path in LOCKED for line in path.read_text(encoding="utf-8").splitlines()
                    for turn in json.loads(line)["turns"] if turn["speaker"] == "agent" and len(turn["text"]) > 24}  # not stock closings
    assert len(locked_turns) > 400 and not locked_turns & training_texts


def test_the_validator_names_the_file_line_and_problem(tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "X-1", "text": "你好", "listener": "debtor", "labels": ["threat"], "kind": "violation"}\n'
                   "not json\n", encoding="utf-8")
    problems = validate.check_utterances(bad, set())
    assert len(problems) == 2 and problems[0].startswith(f"{bad}:1: labels") and f"{bad}:2:" in problems[1]


def test_the_other_sides_words_carry_no_labels_and_set_no_threshold(tmp_path):
    bad = tmp_path / "customer.jsonl"
    bad.write_text('{"id": "X-1", "text": "你再打我就去你们公司闹", "listener": "unknown", "speaker": "customer", '
                   '"labels": ["intimidation"], "kind": "violation"}\n'
                   '{"id": "X-2", "text": "你们天天打电话烦不烦", "listener": "unknown", "speaker": "debtor", '
                   '"labels": [], "kind": "hard_negative"}\n', encoding="utf-8")
    problems = validate.check_utterances(bad, set())
    assert len(problems) == 2 and "customer's words carry no labels" in problems[0] and "speaker must be" in problems[1]
    sys.path.insert(0, str(ROOT / "scripts"))
    import train_reader

    examples = train_reader.read_corpus()
    agent = train_reader.said_by_agent(examples)
    assert 0 < (~agent).sum() < agent.sum()
    assert not any(examples[i]["labels"] for i in (~agent).nonzero()[0])
    # a customer's abuse scored like an agent's insult would raise the threshold if it counted
    said = [{"speaker": "agent"}] * 40 + [{"speaker": "customer"}] * 10
    scores = np.concatenate([np.linspace(0.55, 0.95, 40), np.full(10, 0.9)])[:, None].repeat(12, axis=1)
    y = np.zeros((50, 12), dtype=int)
    y[:40][np.linspace(0.55, 0.95, 40) >= 0.6] = 1
    counted = train_reader.choose_thresholds(scores, y, train_reader.said_by_agent(said))
    assert counted == train_reader.choose_thresholds(scores[:40], y[:40])
    assert counted != train_reader.choose_thresholds(scores, y)
