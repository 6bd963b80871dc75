"""Contact frequency: a hand-made dial log that crosses each of the profile's limits by one (and stays at each limit
elsewhere), the violations on the calls involved as reviewable items (verdicts, the stored result, the queue, the
export; re-imports, re-checks and re-audits), bad rows, and ``debtor_id`` from the metadata CSV."""

import csv
import dataclasses

import pytest
from typer.testing import CliRunner

from audit.cli import app
from audit.errors import DialLogError, LexiconError
from audit.export import export_package
from audit.metadata import load_metadata
from audit.models import CallMetadata, Transcript
from audit.qa.dials import check_dials, check_limits, import_dials, read_dial_log
from audit.rulepack import ContactLimit, load_rule_pack
from audit.scan import audit_to_line
from audit.scorecard import load_scorecard
from audit.storage import Store
from qa_calls import CallFactory

LIMITS = load_rule_pack("cn").contact_limits
ANSWERED, UNANSWERED = (next(limit for limit in LIMITS if limit.counts == kind) for kind in ("answered", "unanswered"))
DAY = "2026-11-10"


def dial(debtor, number, hour, answered, call_id="", day=DAY, offset="+08:00"):
    return f"{debtor},{number},{day}T{hour:02d}:00:00{offset},{1 if answered else 0},A1,{call_id}"


def hand_made_log() -> list[str]:
    """D-over: one answered contact more than the limit; D-at: exactly the limit; N-over: one unanswered attempt more
    than the limit to one number; N-at: exactly the limit, and the same count again spread over two numbers."""
    rows = ["debtor_id,number,dialed_at,answered,agent_id,call_id"]
    rows += [dial("D-over", "13800000001", 9 + i, True, f"over-{i}") for i in range(ANSWERED.max_contacts + 1)]
    rows += [dial("D-at", "13800000002", 9 + i, True, f"at-{i}") for i in range(ANSWERED.max_contacts)]
    rows += [dial("N-over", "13900000001", 8 + i, False) for i in range(UNANSWERED.max_contacts + 1)]
    rows += [dial("N-at", "13900000002", 8 + i, False) for i in range(UNANSWERED.max_contacts)]
    rows += [dial("N-at", "13900000003", 8 + i, False) for i in range(UNANSWERED.max_contacts)]
    rows += [dial("D-at", "13800000002", 9, True, "next-day", day="2026-11-11")]  # another day counts anew
    return rows


def test_the_chinese_profile_has_both_limits_with_their_sources():
    assert ANSWERED.per == "debtor" and ANSWERED.window_days == 1 and ANSWERED.basis
    assert UNANSWERED.per == "number" and UNANSWERED.window_days == 1 and UNANSWERED.basis
    # each basis names its source and states the value as the source words it (docs/qa-loop.md)
    assert any("GB/T 45251-2025" in basis and f"不应超过{ANSWERED.max_contacts}次" in basis for basis in ANSWERED.basis)
    assert any("金融机构个人消费类贷款催收工作指引" in basis and f"不宜超过{UNANSWERED.max_contacts}次" in basis
               for basis in UNANSWERED.basis)


def test_each_limit_crossed_by_one_is_a_violation_and_the_limit_itself_is_not(tmp_path):
    path = tmp_path / "dials.csv"
    path.write_text("\n".join(hand_made_log()) + "\n", encoding="utf-8")
    log = read_dial_log(path)
    assert not log.problems
    violations = check_limits(LIMITS, log.dials)
    over_contacts = [v for v in violations if v.rule_id == ANSWERED.rule_id]
    over_attempts = [v for v in violations if v.rule_id == UNANSWERED.rule_id]
    # one violation per call involved: every answered call of that debtor's day
    assert {v.call_id for v in over_contacts} == {f"over-{i}" for i in range(ANSWERED.max_contacts + 1)}
    assert {(v.debtor_id, v.day, v.counted, v.max_contacts) for v in over_contacts} == {
        ("D-over", DAY, ANSWERED.max_contacts + 1, ANSWERED.max_contacts)}
    # unanswered attempts have no recording: one violation naming the debtor, number and day
    assert [(v.debtor_id, v.number, v.day, v.counted, v.call_id) for v in over_attempts] == [
        ("N-over", "13900000001", DAY, UNANSWERED.max_contacts + 1, None)]
    assert "limit" in over_attempts[0].explanation and over_attempts[0].basis == UNANSWERED.basis


def test_a_window_of_days_counts_the_days_ending_on_each_day():
    week = ContactLimit("US-FREQ-001", "all", "debtor", 7, 7, "major", ("12 CFR 1006.14(b)(2)",), "Reg F 7-in-7")
    rows = [{"debtor_id": "D", "number": "1", "day": f"2026-11-{d:02d}", "answered": d % 2 == 0,
             "call_id": None} for d in range(1, 8)]  # 7 calls in 7 days: at the limit
    assert check_limits([week], rows) == []
    rows.append({"debtor_id": "D", "number": "1", "day": "2026-11-07", "answered": False, "call_id": None})
    assert [(v.day, v.counted) for v in check_limits([week], rows)] == [("2026-11-07", 8)]
    rows[-1] = rows[-1] | {"day": "2026-11-08"}  # the first day has left the window: 7 again
    assert check_limits([week], rows) == []


def test_violations_land_on_the_stored_calls_to_that_debtor_and_reimporting_adds_nothing(tmp_path, factory):
    store = Store(tmp_path / "audit.db")
    factory.add(store, "rec-1", "A1", DAY, hour=15, debtor_id="D-over")  # recorded, not named in the log
    factory.add(store, "rec-2", "A1", "2026-11-11", debtor_id="D-over")  # another day
    path = tmp_path / "dials.csv"
    path.write_text("\n".join(hand_made_log()) + "\n", encoding="utf-8")
    first = import_dials(store, path, LIMITS)
    assert first.read == first.added == len(hand_made_log()) - 1 and first.debtors == 4
    assert {v["call_id"] for v in store.contact_violations(call_id="rec-1")} == {"rec-1"}
    assert store.contact_violations(call_id="rec-2") == []
    again = import_dials(store, path, LIMITS)
    assert again.added == 0 and len(store.contact_violations()) == len(first.violations)


def test_bad_rows_are_skipped_with_their_row_number_and_the_rest_is_imported(tmp_path):
    path = tmp_path / "dials.csv"
    path.write_text("\n".join([
        "debtor_id,number,dialed_at,answered,agent_id,call_id",
        dial("D1", "1", 9, True),
        "D1,1,2026-11-10T10:00:00,1,A1,",  # no UTC offset
        "D1,1,2026-11-10T11:00:00+08:00,maybe,A1,",
        ",1,2026-11-10T12:00:00+08:00,1,A1,",
        "D1,1,2026-11-10T13:00:00+08:00,是,A1,",
    ]) + "\n", encoding="utf-8")
    log = read_dial_log(path)
    assert len(log.dials) == 2 and [d["answered"] for d in log.dials] == [True, True]
    assert [p.split(": ", 1)[0] for p in log.problems] == [f"{path}, row {n}" for n in (3, 4, 5)]
    assert "no UTC offset" in log.problems[0] and "maybe" in log.problems[1] and "'debtor_id' is empty" in \
        log.problems[2]
    result = CliRunner().invoke(app, ["dials", "import", str(path), "--db", str(tmp_path / "audit.db")])
    assert result.exit_code == 1 and "row 3" in result.output and "2 attempts read (2 new)" in result.output


def test_a_log_without_the_required_columns_is_refused_naming_them(tmp_path):
    path = tmp_path / "dials.csv"
    path.write_text("debtor,number,when\nD1,1,2026-11-10\n", encoding="utf-8")
    with pytest.raises(DialLogError, match="debtor_id, dialed_at, answered"):
        read_dial_log(path)


def test_the_metadata_csv_carries_the_debtor_to_the_stored_call(tmp_path, factory):
    (tmp_path / "a.wav").write_bytes(b"")
    (tmp_path / "metadata.csv").write_text("call_id,file,agent_id,started_at,debtor_id\n"
                                           "c1,a.wav,A1,2026-11-10T10:00:00+08:00,D-42\n", encoding="utf-8")
    assert load_metadata(tmp_path / "metadata.csv").by_call_id["c1"].debtor_id == "D-42"
    store = Store(tmp_path / "audit.db")
    factory.add(store, "c1", "A1", DAY, debtor_id="D-42")
    assert store.calls_of_debtors(["D-42"]) == [{"call_id": "c1", "debtor_id": "D-42",
                                                 "started_at": f"{DAY}T10:00:00+08:00"}]


@pytest.mark.parametrize("edit, field", [
    (("    max: 3 ", "    max: three "), "contact_frequency.max"),
    (("    counts: answered ", "    counts: connected "), "contact_frequency.counts"),
    (("    per: number ", "    per: household "), "contact_frequency.per"),
])
def test_a_broken_limit_is_refused_naming_the_field(tmp_path, edit, field):
    import shutil

    folder = tmp_path / "cn"
    shutil.copytree(load_rule_pack("cn").path, folder)
    text = (folder / "profile.yaml").read_text(encoding="utf-8")
    assert edit[0] in text
    (folder / "profile.yaml").write_text(text.replace(edit[0], edit[1], 1), encoding="utf-8")
    line = text[:text.index(edit[0])].count("\n") + 1
    with pytest.raises(LexiconError, match=f"line {line}, field '{field}'"):
        load_rule_pack("cn", folder)


# -- violations as reviewable call-level items ---------------------------------------------------------------------

@pytest.fixture(scope="module")
def factory():
    return CallFactory()


def over_limit_store(tmp_path, factory):
    """rec-1: a recorded call (clean, passed by the machine) to D-over on the day D-over's answered contacts cross
    the limit; dials.csv: the hand-made log."""
    store = Store(tmp_path / "audit.db")
    factory.add(store, "rec-1", "A1", DAY, hour=15, debtor_id="D-over")
    path = tmp_path / "dials.csv"
    path.write_text("\n".join(hand_made_log()) + "\n", encoding="utf-8")
    return store, path


def contact_items(store, call_id):
    return [i for i in store.call_detail(call_id)["items"] if i["kind"] == "contact_frequency"]


def test_a_violation_is_an_item_on_the_call_that_holds_it_in_review_and_deducts_until_dismissed(tmp_path, factory):
    store, path = over_limit_store(tmp_path, factory)
    before = store.call_detail("rec-1")
    assert before["result"].verdict == "pass" and contact_items(store, "rec-1") == []
    import_dials(store, path, LIMITS)
    [item] = contact_items(store, "rec-1")
    assert (item["rule_id"], item["severity"], item["review_status"]) == (ANSWERED.rule_id, ANSWERED.severity,
                                                                          "unreviewed")
    assert item["item_key"] == f"{ANSWERED.rule_id}|D-over||{DAY}" and "D-over" in item["text"]
    points = load_scorecard("default").severity[ANSWERED.severity]
    stored = store.queue_page(call_ids=("rec-1",))[0][0]  # the stored after-review result, as the queue reads it
    assert (stored["verdict"], stored["score"], stored["open_items"]) == ("review", before["result"].score - points, 1)
    assert "contact_frequency" in stored["categories"]
    store.add_item_review(item["item_id"], "质检-李", "upheld")
    upheld = store.queue_page(call_ids=("rec-1",))[0][0]
    assert upheld["open_items"] == 0 and upheld["score"] == before["result"].score - points
    assert upheld["verdict"] == "pass"  # a major violation deducts; only a critical one fails the call
    store.add_item_review(item["item_id"], "质检-李", "dismissed", "the debtor asked to be called back")
    dismissed = store.queue_page(call_ids=("rec-1",))[0][0]
    assert (dismissed["verdict"], dismissed["score"]) == ("pass", before["result"].score)
    assert "contact_frequency" not in dismissed["categories"] and store.verify_trail().ok


def test_a_critical_limit_fails_the_call_like_a_night_call(tmp_path, factory):
    store, path = over_limit_store(tmp_path, factory)
    critical = [ContactLimit(ANSWERED.rule_id, "answered", "debtor", 1, ANSWERED.max_contacts, "critical",
                             ANSWERED.basis, ANSWERED.description)]
    import_dials(store, path, critical)
    row = store.queue_page(call_ids=("rec-1",))[0][0]
    assert row["verdict"] == "fail" and row["critical"] and row["worst"] == 0


def test_reimporting_and_rechecking_neither_duplicate_items_nor_lose_verdicts(tmp_path, factory):
    store, path = over_limit_store(tmp_path, factory)
    import_dials(store, path, LIMITS)
    [item] = contact_items(store, "rec-1")
    store.add_item_review(item["item_id"], "质检-李", "dismissed", "agreed call-backs")
    import_dials(store, path, LIMITS)
    result = CliRunner().invoke(app, ["dials", "check", "--db", str(tmp_path / "audit.db")])
    assert result.exit_code == 0, result.output
    [again] = contact_items(store, "rec-1")
    assert again["item_id"] == item["item_id"] and again["review_status"] == "dismissed"
    # one more answered contact that day: the same violation, counted anew, keeps its verdict
    extra = tmp_path / "extra.csv"
    extra.write_text("debtor_id,number,dialed_at,answered,agent_id,call_id\n" + dial("D-over", "13800000001", 20, True)
                     + "\n", encoding="utf-8")
    import_dials(store, extra, LIMITS)
    [grown] = contact_items(store, "rec-1")
    assert grown["item_id"] == item["item_id"] and grown["review_status"] == "dismissed"
    assert f"{ANSWERED.max_contacts + 2} answered" in grown["text"]
    assert store.verify_trail().ok


def test_an_unjudged_item_goes_when_its_limit_is_no_longer_crossed_and_a_judged_one_stays(tmp_path, factory):
    store, path = over_limit_store(tmp_path, factory)
    factory.add(store, "rec-2", "A1", DAY, hour=16, debtor_id="D-over")
    import_dials(store, path, LIMITS)
    store.add_item_review(contact_items(store, "rec-1")[0]["item_id"], "质检-李", "upheld")
    looser = [ContactLimit(ANSWERED.rule_id, "answered", "debtor", 1, ANSWERED.max_contacts + 5, ANSWERED.severity,
                           ANSWERED.basis, ANSWERED.description)]
    check_dials(store, looser)
    assert contact_items(store, "rec-2") == []
    assert [i["review_status"] for i in contact_items(store, "rec-1")] == ["upheld"]


def test_a_reaudit_carries_the_items_with_their_verdicts(tmp_path, factory):
    store, path = over_limit_store(tmp_path, factory)
    import_dials(store, path, LIMITS)
    [item] = contact_items(store, "rec-1")
    store.add_item_review(item["item_id"], "质检-李", "dismissed")
    # the same call audited again under another rule-pack version
    audit = dataclasses.replace(factory.clean, call_id="rec-1", rule_pack_version="another")
    transcript = Transcript("rec-1", "ab" * 32, 60.0, "zh", "m", {}, (), metadata=CallMetadata(
        "rec-1", agent_id="A1", started_at=f"{DAY}T15:00:00+08:00", debtor_id="D-over"))
    store.save(transcript, audit, audit_to_line(audit))
    detail = store.call_detail("rec-1")
    assert detail["audit"]["audits_of_call"] == 2
    [carried] = contact_items(store, "rec-1")
    assert carried["item_id"] != item["item_id"] and carried["review_status"] == "dismissed"
    assert "contact_frequency" not in store.queue_page(call_ids=("rec-1",))[0][0]["categories"]
    assert store.verify_trail().ok


def test_a_recording_stored_after_its_dial_log_gets_its_item(tmp_path, factory):
    store = Store(tmp_path / "audit.db")
    path = tmp_path / "dials.csv"
    path.write_text("\n".join(hand_made_log()) + "\n", encoding="utf-8")
    import_dials(store, path, LIMITS)
    factory.add(store, "over-0", "A1", DAY, hour=9, debtor_id="D-over")  # named in the log by its call id
    assert [i["rule_id"] for i in contact_items(store, "over-0")] == [ANSWERED.rule_id]


def test_the_export_carries_the_violations_as_findings_from_the_dial_log(tmp_path, factory):
    store, path = over_limit_store(tmp_path, factory)
    import_dials(store, path, LIMITS)
    export_package(store, tmp_path / "package", exported_by="合规-张")
    with open(tmp_path / "package" / "findings.csv", encoding="utf-8-sig") as handle:
        findings = [row for row in csv.DictReader(handle) if row["call_id"] == "rec-1"]
    [row] = [f for f in findings if f["source"] == "dial_log"]
    assert (row["rule_id"], row["category"], row["severity"], row["counts_against_agent"]) == (
        ANSWERED.rule_id, "contact_frequency", ANSWERED.severity, "True")
    assert "GB/T 45251-2025" in row["legal_basis"] and row["item_id"] and not row["finding_id"]
    with open(tmp_path / "package" / "calls.csv", encoding="utf-8-sig") as handle:
        calls = {c["call_id"]: c for c in csv.DictReader(handle)}
    assert calls["rec-1"]["contact_violations"] == "1" and calls["rec-1"]["reviewed_verdict"] == "review"
    with open(tmp_path / "package" / "call_items.csv", encoding="utf-8-sig") as handle:
        assert [(i["kind"], i["rule_id"]) for i in csv.DictReader(handle) if i["call_id"] == "rec-1"] == [
            ("contact_frequency", ANSWERED.rule_id)]


# -- an import checks the days its log names, and the windows they lie in ---------------------------------------------

def stored_violations(store):
    return sorted((v["rule_id"], v["debtor_id"], v["number"] or "", v["day"], v["counted"], v["call_id"] or "")
                  for v in store.contact_violations())


def violation_ids(store, day):
    from sqlalchemy import select

    from audit.storage.schema import ContactViolationRow

    with store.session() as session:
        return sorted(session.execute(select(ContactViolationRow.id, ContactViolationRow.created_at)
                                      .where(ContactViolationRow.day == day)).all())


def test_a_second_log_touching_one_day_leaves_the_violations_of_other_days_untouched(tmp_path, factory):
    store, path = over_limit_store(tmp_path, factory)
    first = import_dials(store, path, LIMITS)
    untouched, [item] = violation_ids(store, DAY), contact_items(store, "rec-1")
    assert untouched and {v.day for v in first.violations} == {DAY}
    # the same debtor, the next day: one answered contact over the limit
    second = tmp_path / "next-day.csv"
    second.write_text("debtor_id,number,dialed_at,answered,agent_id,call_id\n" + "\n".join(
        dial("D-over", "13800000001", 9 + i, True, f"next-{i}", day="2026-11-11")
        for i in range(ANSWERED.max_contacts + 1)) + "\n", encoding="utf-8")
    result = import_dials(store, second, LIMITS)
    assert result.added == ANSWERED.max_contacts + 1 and {(v.debtor_id, v.day) for v in result.violations} == {
        ("D-over", "2026-11-11")}
    assert violation_ids(store, DAY) == untouched  # not deleted and written again: that day was not checked
    assert contact_items(store, "rec-1") == [item]
    assert {v["call_id"] for v in store.contact_violations(since="2026-11-11")} == {
        f"next-{i}" for i in range(ANSWERED.max_contacts + 1)}
    checked_now = stored_violations(store)
    check_dials(store, LIMITS)  # every day of every debtor: the same violations
    assert stored_violations(store) == checked_now


def test_an_attempt_on_one_day_checks_the_windows_that_end_in_the_days_after_it(tmp_path):
    week = ContactLimit("US-FREQ-001", "all", "debtor", 7, 7, "major", ("12 CFR 1006.14(b)(2)",), "Reg F 7-in-7")
    store = Store(tmp_path / "audit.db")
    days = [f"2026-11-{d:02d}" for d in range(1, 8)]
    path = tmp_path / "week.csv"
    path.write_text("debtor_id,number,dialed_at,answered,agent_id,call_id\n" + "\n".join(
        dial("D", "1", 9, d % 2 == 0, day=day) for d, day in enumerate(days)) + "\n", encoding="utf-8")
    assert import_dials(store, path, [week]).violations == ()  # 7 in 7 days: at the limit
    extra = tmp_path / "extra.csv"
    extra.write_text("debtor_id,number,dialed_at,answered,agent_id,call_id\n" + dial("D", "1", 15, False, day=days[2])
                     + "\n", encoding="utf-8")
    result = import_dials(store, extra, [week])
    # the log names the 3rd; the window ending on the 7th holds it and is now over the limit
    assert [(v.day, v.counted) for v in result.violations] == [(days[6], 8)]
    assert stored_violations(store) == [("US-FREQ-001", "D", "", days[6], 8, "")]
    check_dials(store, [week])
    assert stored_violations(store) == [("US-FREQ-001", "D", "", days[6], 8, "")]
