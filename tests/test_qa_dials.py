"""Contact frequency: a hand-made dial log that crosses each of the profile's limits by one (and stays at each limit
elsewhere), the violations on the calls involved, bad rows, re-imports, and ``debtor_id`` from the metadata CSV."""

import pytest
from typer.testing import CliRunner

from audit.cli import app
from audit.errors import DialLogError, LexiconError
from audit.metadata import load_metadata
from audit.qa.dials import check_limits, import_dials, read_dial_log
from audit.rulepack import ContactLimit, load_rule_pack
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
    assert any("GB/T 45251-2025" in basis for basis in ANSWERED.basis)
    assert any("银行业协会" in basis for basis in UNANSWERED.basis)


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


def test_violations_land_on_the_stored_calls_to_that_debtor_and_reimporting_adds_nothing(tmp_path):
    store = Store(tmp_path / "audit.db")
    factory = CallFactory()
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


def test_the_metadata_csv_carries_the_debtor_to_the_stored_call(tmp_path):
    (tmp_path / "a.wav").write_bytes(b"")
    (tmp_path / "metadata.csv").write_text("call_id,file,agent_id,started_at,debtor_id\n"
                                           "c1,a.wav,A1,2026-11-10T10:00:00+08:00,D-42\n", encoding="utf-8")
    assert load_metadata(tmp_path / "metadata.csv").by_call_id["c1"].debtor_id == "D-42"
    store = Store(tmp_path / "audit.db")
    CallFactory().add(store, "c1", "A1", DAY, debtor_id="D-42")
    assert store.calls_of_debtors(["D-42"]) == [{"call_id": "c1", "debtor_id": "D-42",
                                                 "started_at": f"{DAY}T10:00:00+08:00"}]


@pytest.mark.parametrize("edit, field", [
    (("    max: 3\n", "    max: three\n"), "contact_frequency.max"),
    (("    counts: answered\n", "    counts: connected\n"), "contact_frequency.counts"),
    (("    per: number\n", "    per: household\n"), "contact_frequency.per"),
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
