"""Retraining the learned reader from reviewers' verdicts: ``audit train --from-db`` writes a candidate (never over the
shipped reader) with the database's turns as one more author group; ``audit model promote`` makes it the reader every
audit records; ``audit rescan`` re-audits with it."""

import json

import numpy as np
import pytest
from typer.testing import CliRunner

from audit import reader as learned
from audit.auditor import Auditor
from audit.cli import app
from audit.reader_training import DB_AUTHOR, db_examples, out_of_fold
from audit.scan import audit_to_line
from audit.storage import Store
from qa_calls import TURNS, segmented_call as transcript

THREAT = "你这个老赖，再不还我就找人收拾你。"


@pytest.fixture
def seeded(tmp_path, monkeypatch):
    """A database with a machine finding upheld, one dismissed and one a reviewer added, on agent turns."""
    monkeypatch.setenv("AUDIT_READER_DIR", str(tmp_path / "readers"))
    store = Store(tmp_path / "audit.db")
    auditor = Auditor()
    for call_id, extra in (("t1", THREAT), ("t2", THREAT), ("m1", "")):
        t = transcript(call_id, "A1")
        if extra:
            segments = list(t.segments)
            segments[4] = segments[4].__class__(15.5, 17.0, "agent", extra)
            t = t.__class__(**{**t.__dict__, "segments": tuple(segments)})
        audit = auditor.audit_transcript(t)
        store.save(t, audit, audit_to_line(audit))
    first, second = store.findings("t1")[0], store.findings("t2")[0]
    store.add_review(first.id, "甲", "upheld")
    store.add_review(second.id, "甲", "dismissed")
    store.add_reviewer_finding("m1", "甲", "intimidation", "critical", turn=2, quote="你家里人也不好过")
    return store, tmp_path


def test_judged_turns_become_labelled_examples_of_one_author_group(seeded):
    store, _ = seeded
    examples = {e["text"]: e for e in db_examples(store.judged_turns())}
    assert {e["author"] for e in examples.values()} == {DB_AUTHOR}
    assert len(examples) == 2  # t1 and t2 read the same words: one turn text, judged both ways
    added = examples[TURNS[2][1]]
    assert added["labels"] == {"intimidation"} and added["quotes"] == [("intimidation", "你家里人也不好过")]
    turns = store.judged_turns()
    assert sorted((t["call_id"], [effect for _, effect, _ in t["findings"]]) for t in turns) == [
        ("m1", ["upheld"]), ("t1", ["upheld"] * len(turns[0]["findings"])), ("t2", ["dismissed"])]


@pytest.mark.slow  # trains a reader
def test_train_from_db_writes_a_candidate_and_promote_switches_what_an_audit_records(seeded):
    store, tmp_path = seeded
    db = str(tmp_path / "audit.db")
    shipped = learned.load_reader().version
    result = CliRunner().invoke(app, ["train", "--from-db", "--corpus-every", "40", "--db", db])
    assert result.exit_code == 0, result.output
    [folder] = (tmp_path / "readers" / "candidates").iterdir()
    candidate = learned.LearnedReader(folder)
    assert candidate.version != shipped and folder.name == candidate.version
    assert candidate.meta["training"]["authors"][DB_AUTHOR] >= 2
    assert f"the candidate ({candidate.version})" in result.output and f"({shipped})" in result.output
    assert "macro-F1" in result.output
    assert "老赖" not in result.output  # figures only, never the text of the locked split
    assert learned.load_reader().version == shipped  # trained is not used

    promoted = CliRunner().invoke(app, ["model", "promote", str(folder), "--by", "组长"])
    assert promoted.exit_code == 0, promoted.output
    assert learned.load_reader().version == candidate.version
    note = json.loads((tmp_path / "readers" / "current" / "promoted.json").read_text(encoding="utf-8"))
    assert (note["version"], note["promoted_by"]) == (candidate.version, "组长")
    rescan = CliRunner().invoke(app, ["rescan", "--db", db])
    assert rescan.exit_code == 0, rescan.output
    for call_id in ("t1", "t2", "m1"):
        detail = store.call_detail(call_id)
        assert (detail["audit"]["reader_version"], detail["audit"]["audits_of_call"]) == (candidate.version, 2)
    assert any(f["source"] == "reviewer" for f in store.call_detail("m1")["findings"])  # kept on re-audit


def test_promote_refuses_a_folder_without_a_reader(seeded, tmp_path):
    result = CliRunner().invoke(app, ["model", "promote", str(tmp_path)])
    assert result.exit_code == 2 and "cannot be loaded" in result.output
    assert not (tmp_path / "readers" / "current").exists()


def test_cross_validation_scores_do_not_depend_on_how_many_processes_fit_the_folds():
    """The leave-one-author-out folds run one process per core; each fold's scores are its own model's either way."""
    texts = [f"再不还钱我们就上门找你{i % 7}" for i in range(90)] + [f"请您按时在官方APP还款{i % 5}" for i in range(90)]
    y = np.zeros((180, 12), dtype=int)
    y[:90, 1] = 1
    groups = [f"author{i % 4}" for i in range(180)]
    alone, shared = out_of_fold(texts, y, groups, workers=1), out_of_fold(texts, y, groups, workers=2)
    assert np.array_equal(alone, shared)
    assert alone[:90, 1].mean() > alone[90:, 1].mean()  # each fold really scored its held-out author
