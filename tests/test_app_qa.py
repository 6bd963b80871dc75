"""The QA loop in the review app, driven through Streamlit's AppTest as tests/test_app.py drives the other pages (its
helpers, its sign-in), against a real database of audited calls with a real 抽检 draw: the 「规则准确率」 page renders
precision with its interval and the rules under the threshold, an admin alone sets the threshold, the queue marks
and filters sampled calls, and a reviewer's whole-call verdict on a sampled call lands in its trail."""

import pytest

from audit.qa import sampling
from audit.storage import Store
from qa_calls import CallFactory, days
from test_app import open_page, page_text, serve, table

WEEK = ("2026-11-09", "2026-11-15")


@pytest.fixture(scope="module")
def filled(tmp_path_factory):
    path = tmp_path_factory.mktemp("qa_app") / "audit.db"
    store, factory = Store(path), CallFactory()
    for i, day in enumerate(days(WEEK[0], 7)):
        for j in range(3):
            factory.add(store, f"t-{i}-{j}", f"A{j}", day, threat=True)
            factory.add(store, f"c-{i}-{j}", f"A{j}", day)
    store.engine.dispose()
    return path


@pytest.fixture
def qa_db(filled, tmp_path, monkeypatch):
    import shutil

    db = tmp_path / "audit.db"
    shutil.copy(filled, db)
    serve(db, tmp_path, monkeypatch)
    store = Store(db)
    finding = store.findings("t-0-0")[0]
    store.add_review(finding.id, "质检-李", "dismissed")
    return db


def test_the_accuracy_page_shows_precision_with_its_interval_and_lists_rules_under_the_threshold(qa_db):
    rule = Store(qa_db).findings("t-0-0")[0].rule_id
    at = open_page("accuracy", user="root")
    text = page_text(at)
    assert "规则准确率" in text and "Wilson 95%" in text
    rules = table(at, "精确率")
    row = rules[rules["规则"] == rule].iloc[0]
    assert (row["驳回"], row["精确率"], row["95% 区间"]) == (1, "0.0%", "0.0% – 79.3%")
    assert any(rule in w.value and "未停用" in w.value for w in at.warning)
    assert "每周一 09:00" in text and "尚未抽取" in text


def test_an_admin_sets_the_threshold_and_a_reviewer_cannot(qa_db):
    at = open_page("accuracy", user="root")
    at.number_input(key="qa_threshold").set_value(0.0).run()
    at.button(key="qa_threshold_save").click().run()
    assert not at.exception and Store(qa_db).qa_setting("min_precision")["value"] == "0.0"
    assert "没有低于阈值的规则" in page_text(at)
    reviewer = open_page("accuracy", user="li")
    assert not [n for n in reviewer.number_input if n.key == "qa_threshold"]


def test_sampled_calls_are_marked_in_the_queue_and_a_whole_call_verdict_is_saved_on_the_call_page(qa_db):
    store = Store(qa_db)
    drawn = sampling.draw(store, sampling.load_plan(), *WEEK, drawn_by="质检-李")
    call_id = drawn.samples[0].call_id
    at = open_page("queue", user="li", state={"queue_sampled_only": True, "queue_page_size": 100})
    rows = table(at, "抽检")
    assert set(rows["通话编号"]) == {s.call_id for s in drawn.samples} and set(rows["抽检"]) == {"抽检"}
    at = open_page("call", user="li", query={"call_id": call_id})
    assert "抽检通话" in page_text(at)
    at.radio(key=f"sample_verdict::{call_id}").set_value("fail").run()
    at.multiselect(key=f"sample_missed::{call_id}").set_value(["insult"]).run()
    at.button(key=f"sample_save::{call_id}").click().run()
    assert not at.exception
    status = store.sample_status(call_id)
    assert (status["verdict"], status["missed"], status["reviewer"]) == ("fail", ["insult"], "质检-李 (li)")
    assert store.verify_trail().ok


def test_a_reviewer_adds_a_finding_the_machine_missed_on_the_call_page(qa_db):
    from audit.auditor import Auditor
    from audit.scan import audit_to_line
    from qa_calls import MISSED, segmented_call

    store = Store(qa_db)
    call = segmented_call("seg-1", "A0")
    audit = Auditor().audit_transcript(call)
    store.save(call, audit, audit_to_line(audit))
    at = open_page("call", user="li", query={"call_id": "seg-1"})
    at.selectbox(key="missed_turn::seg-1").set_value(2)
    at.text_input(key="missed_quote::seg-1").input(MISSED)
    at.selectbox(key="missed_category::seg-1").set_value("intimidation")
    at.selectbox(key="missed_severity::seg-1").set_value("critical")
    at.text_input(key="missed_note::seg-1").input("暗示家人安全")
    at.button(key="missed_save::seg-1").click().run()
    assert not at.exception
    [added] = [f for f in store.call_detail("seg-1")["findings"] if f["source"] == "reviewer"]
    assert (added["quote"], added["category"], added["explanation"]) == (MISSED, "intimidation", "暗示家人安全")
    assert store.call_detail("seg-1")["audit"]["reviewed_verdict"] == "fail" and store.verify_trail().ok
    assert store.call_reviews("seg-1")[0]["reviewer"] == "质检-李 (li)"
