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


@pytest.mark.parametrize(("typed", "stored", "error"), [
    ("0:09", (2, 9.0), None),  # turn 2 is said from 7.5 s to 14 s: stored as `audit review add --at 9` stores it
    ("9", (2, 9.0), None),
    ("0:18", None, "0:18 (18 s) is past the call's end at 0:17 (17 s)"),
    ("0:14.8", None, "turn 3 is the customer's: a finding is about what the agent said"),
    ("一分钟", None, "'一分钟' is not a time in the audio: write seconds (83.5) or minutes:seconds (1:23)"),
])
def test_a_reviewer_marks_a_missed_finding_at_a_time_in_the_audio(qa_db, typed, stored, error):
    from audit.auditor import Auditor
    from audit.scan import audit_to_line
    from qa_calls import MISSED, segmented_call

    store = Store(qa_db)
    call = segmented_call("seg-2", "A0")
    audit = Auditor().audit_transcript(call)
    store.save(call, audit, audit_to_line(audit))
    at = open_page("call", user="li", query={"call_id": "seg-2"})
    at.radio(key="missed_where::seg-2").set_value("time").run()
    assert not [s for s in at.selectbox if s.key == "missed_turn::seg-2"]  # a time instead of a turn
    at.text_input(key="missed_at::seg-2").input(typed)
    at.text_input(key="missed_quote::seg-2").input(MISSED if stored else "")
    at.selectbox(key="missed_category::seg-2").set_value("intimidation")
    at.selectbox(key="missed_severity::seg-2").set_value("critical")
    at.button(key="missed_save::seg-2").click().run()
    assert not at.exception
    added = [f for f in store.call_detail("seg-2")["findings"] if f["source"] == "reviewer"]
    assert [(f["turn"], f["start_s"]) for f in added] == ([stored] if stored else [])
    assert [e.value for e in at.error] == ([error] if error else [])
    assert not stored or (added[0]["quote"] == MISSED and store.verify_trail().ok)


def test_the_plan_shows_the_cron_line_and_what_its_last_run_drew(qa_db):
    at = open_page("accuracy", user="root")
    assert "尚未运行过" in page_text(at)
    assert any(c.value.startswith("0 9 * * 1  ") and f"--db {qa_db}" in c.value for c in at.code)
    store = Store(qa_db)
    drawn = sampling.draw(store, sampling.load_plan(), *WEEK, drawn_by="cron")
    text = page_text(open_page("accuracy", user="root"))
    assert f"期间 {WEEK[0]} 至 {WEEK[1]}，新抽样第 {drawn.draw_id} 次，{len(drawn.samples)} 通" in text
    assert "（cron）" in text


def test_a_contact_frequency_violation_is_judged_on_the_call_page_and_marked_in_the_queue(qa_db, tmp_path):
    from audit.qa.dials import import_dials
    from audit.rulepack import load_rule_pack

    store = Store(qa_db)
    CallFactory().add(store, "d-1", "A0", WEEK[0], hour=15, debtor_id="D-9")
    limit = next(limit for limit in load_rule_pack("cn").contact_limits if limit.counts == "answered")
    log = tmp_path / "dials.csv"
    log.write_text("debtor_id,number,dialed_at,answered,agent_id,call_id\n" + "".join(
        f"D-9,13800000009,{WEEK[0]}T{9 + i:02d}:00:00+08:00,1,A0,\n" for i in range(limit.max_contacts + 1)),
        encoding="utf-8")
    import_dials(store, log, [limit])
    queue = open_page("queue", user="li", state={"queue_page_size": 100})
    row = table(queue, "最高严重度").set_index("通话编号").loc["d-1"]
    assert "联系频次超限" in row["违规类别"]
    at = open_page("call", user="li", query={"call_id": "d-1"})
    assert "联系频次超限（拨号记录）" in page_text(at) and limit.rule_id in page_text(at)
    [item] = [i for i in store.call_detail("d-1")["items"] if i["kind"] == "contact_frequency"]
    at.selectbox(key=f"verdict_item{item['item_id']}").set_value("dismissed")
    at.button(key=f"save_item{item['item_id']}").click().run()
    assert not at.exception
    assert store.call_detail("d-1")["items"][-1]["review_status"] == "dismissed" and store.verify_trail().ok
