"""The review app's logic without the app (audit.reviewapp): queue filters and paging on the real sample database, the
dialogue's highlights, coaching sheets, the rule pack's try-a-sentence, upload checks and the export zip."""

import io
import shutil
import time
import zipfile

import pytest

from audit import review_policy
from audit.auditor import Auditor
from audit.reviewapp.call_view import (build_dialogue, clock, disclosure_checklist, finding_span, player_start,
                                       split_pieces)
from audit.reviewapp.coaching import COACHING_COLUMNS, agent_breakdown, coaching_sheet, rows_to_csv
from audit.reviewapp.exports import export_zip
from audit.reviewapp.overview import findings_by_week
from audit.reviewapp.queue import QueueFilters, page_count, queue_page
from audit.reviewapp.rule_pack import rule_pack_tables, try_sentence
from audit.reviewapp.uploads import (check_upload, folder_label, resolve_server_folder, sanitize_name, save_uploads,
                                     server_folders)
from audit.storage import Store


@pytest.fixture
def store(seeded_db, tmp_path):
    shutil.copy(seeded_db, tmp_path / "audit.db")
    return Store(tmp_path / "audit.db")


@pytest.fixture(scope="module")
def auditor():
    return Auditor()


# -- queue ------------------------------------------------------------------------------------------------------------

def brute_force_queue(store, **filters):
    """The queue computed the slow way, from call_detail of every call and the review policy, to check the SQL
    against."""
    expected = []
    for call_id in sorted(store.audited_call_ids()):
        detail = store.call_detail(call_id)
        call, audit, findings, items = detail["call"], detail["audit"], detail["findings"], detail["items"]
        result = review_policy.call_result(audit["body"], findings, items, None)
        if not findings and not items and audit["verdict"] == "pass" and result.verdict == "pass":
            continue
        standing = [f for f in findings if not review_policy.is_dismissed(f)]
        if filters.get("categories") and not {f["category"] for f in standing} & set(filters["categories"]):
            continue
        if filters.get("severities") and not {review_policy.effective_severity(f) for f in standing} & set(
                filters["severities"]):
            continue
        if filters.get("agent_ids") and call["agent_id"] not in filters["agent_ids"]:
            continue
        if filters.get("verdicts") and audit["reviewed_verdict"] not in filters["verdicts"]:
            continue
        if filters.get("since") and (call["started_at"] or "")[:10] < filters["since"]:
            continue
        status = filters.get("review_status", "all")
        if status == "unreviewed" and result.closed:
            continue
        if status == "reviewed" and not result.closed:
            continue
        expected.append(call_id)
    return set(expected)


@pytest.mark.parametrize("filters", [
    {},
    {"categories": ("violence_threat",)},
    {"categories": ("insult", "impersonation")},
    {"severities": ("critical",)},
    {"agent_ids": ("A2002",)},
    {"verdicts": ("review",)},
    {"since": "2026-11-10"},
    {"review_status": "unreviewed"},
    {"review_status": "reviewed"},
], ids=lambda f: ",".join(f) or "none")
def test_queue_filters_select_the_same_calls_as_checking_each_call(store, filters):
    first = store.findings("c04_violence_threat")[0]
    store.add_review(first.id, "质检-李", "upheld")
    for finding in store.findings("c05_insults"):
        store.add_review(finding.id, "质检-李", "dismissed")
    rows, total = store.queue_page(limit=100, **filters)
    assert {row["call_id"] for row in rows} == brute_force_queue(store, **filters)
    assert total == len(rows)


def test_queue_is_worst_first_then_lowest_score(store):
    rows, _ = store.queue_page(limit=100)
    keys = [(row["worst"], row["score"]) for row in rows]
    assert keys == sorted(keys) and keys[0][0] == 0  # the samples include critical findings


def test_queue_pages_through_every_flagged_call_once(store):
    everything, total = store.queue_page(limit=100)
    seen = []
    for page in range(1, page_count(total, 3) + 1):
        shown = queue_page(store, QueueFilters(review_status="all"), page, 3)
        assert shown.total == total and len(shown.rows) <= 3
        seen += [row["call_id"] for row in shown.rows]
    assert seen == [row["call_id"] for row in everything]


def test_a_page_past_the_end_shows_the_last_page(store):
    shown = queue_page(store, QueueFilters(review_status="all"), 99, 5)
    assert shown.page == shown.pages and shown.rows


def test_a_reviewed_call_leaves_the_unreviewed_queue(store):
    before = {row["call_id"] for row in store.queue_page(review_status="unreviewed", limit=100)[0]}
    assert "c04_violence_threat" in before
    for finding in store.findings("c04_violence_threat"):
        store.add_review(finding.id, "质检-李", "upheld")
    after = {row["call_id"] for row in store.queue_page(review_status="unreviewed", limit=100)[0]}
    assert after == before - {"c04_violence_threat"}


def test_overview_counts_match_the_calls(store):
    figures = store.overview()
    rows = store.aggregate_rows()
    assert figures["calls"] == len(rows["calls"]) == 13
    assert figures["fail"] == sum(c["reviewed_verdict"] == "fail" for c in rows["calls"])
    assert figures["findings"] == len(rows["findings"])
    assert sum(w["findings"] for w in findings_by_week(figures["findings_by_day"])) == figures["findings"]
    assert figures["worst_agents"][0]["critical_calls"] >= figures["worst_agents"][-1]["critical_calls"]
    narrowed = store.overview(agent_ids=("A1001",))
    assert narrowed["calls"] == sum(c["agent_id"] == "A1001" for c in rows["calls"])


def test_aggregate_rows_of_a_period_equals_all_aggregate_rows_filtered(store):
    everything = store.aggregate_rows()
    period = store.aggregate_rows(since="2026-11-09", until="2026-11-13")
    wanted = {c["call_id"] for c in everything["calls"] if "2026-11-09" <= c["started_at"][:10] <= "2026-11-13"}
    assert {c["call_id"] for c in period["calls"]} == wanted
    for table in ("findings", "disclosures", "signals"):
        key = lambda r: sorted(r.items())  # noqa: E731
        assert sorted(map(key, period[table])) == sorted(key(r) for r in everything[table] if r["call_id"] in wanted)


# -- one call ---------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "spans", "pieces"), [
    ("你好，我找人收拾你。", [(4, 9, 1)], [("你好，我", ()), ("找人收拾你", (1,)), ("。", ())]),
    ("老赖你再不还", [(0, 2, 1), (0, 6, 2)], [("老赖", (1, 2)), ("你再不还", (2,))]),  # overlapping findings
    ("没有违规", [], [("没有违规", ())]),
    ("短", [(0, 5, 1)], [("短", ())]),  # offsets past the text are not drawn
])
def test_turns_are_cut_at_every_finding_boundary(text, spans, pieces):
    assert [(p.text, p.finding_ids) for p in split_pieces(text, spans)] == pieces


def test_dialogue_marks_each_finding_in_its_sentence(store):
    detail = store.call_detail("c04_violence_threat")
    dialogue = build_dialogue(detail["transcript"], detail["findings"])
    assert len(dialogue) == len(detail["transcript"]["segments"])
    for finding in detail["findings"]:
        turn = dialogue[finding["turn"]]
        marked = "".join(p.text for p in turn.pieces if finding["finding_id"] in p.finding_ids)
        assert marked == finding["quote"] and turn.speaker == finding["speaker"]
    assert {turn.speaker for turn in dialogue} == {"agent", "customer"}


def test_a_quote_whose_offsets_moved_is_found_by_its_text():
    finding = {"char_start": 0, "char_end": 3, "quote": "收拾你"}
    assert finding_span("我找人收拾你", finding) == (3, 6)
    assert finding_span("完全不同", finding) is None


def test_disclosure_checklist_is_in_call_order_with_evidence(store):
    body = store.call_detail("c01_compliant_stereo")["audit"]["body"]
    checklist = disclosure_checklist(body)
    assert [row["disclosure"] for row in checklist][:2] == ["greeting", "agent_identity"]
    present = [row for row in checklist if row["status"] == "present"]
    assert present and all(row["quote"] and row["turn"] is not None for row in present)


@pytest.mark.parametrize(("evidence", "statuses", "listed"), [
    (["greeting", "closing"], {"greeting": "present", "closing": "missing"}, ["greeting", "closing"]),
    ([], {"closing": "present", "greeting": "missing"}, ["greeting", "closing"]),
    (["greeting", "callback_offer"], {"greeting": "present", "callback_offer": "present"},
     ["greeting", "callback_offer"]),  # a disclosure this release does not know comes last
])
def test_disclosure_checklist_lists_each_disclosure_once(evidence, statuses, listed):
    line = {"disclosure_evidence": [{"disclosure": d, "status": statuses[d]} for d in evidence],
            "disclosures": statuses}
    assert [row["disclosure"] for row in disclosure_checklist(line)] == listed


@pytest.mark.parametrize(("seconds", "shown", "start"), [(None, "", 0), (0.2, "0:00", 0), (37.9, "0:37", 37),
                                                         (3725, "1:02:05", 3724)])
def test_audio_times_are_shown_as_the_player_shows_them(seconds, shown, start):
    assert clock(seconds) == shown and player_start(seconds) == start


# -- agents -----------------------------------------------------------------------------------------------------------

def test_coaching_sheet_counts_what_the_reviewed_scorecard_counts(store):
    findings = store.agent_findings("A2002")
    assert findings and {f["call_id"] for f in findings} <= {"c04_violence_threat", "c05_insults",
                                                              "c11_privacy_harassment_mono"}
    dismissed = next(f for f in findings if f["speaker"] == "agent")  # one that counted until dismissed
    store.add_review(dismissed["finding_id"], "质检-李", "dismissed")
    sheet = coaching_sheet(store.agent_findings("A2002"))
    counted = [f for f in store.agent_findings("A2002") if review_policy.counts_against_agent(f)]
    assert len(sheet) == len(counted) == len([f for f in findings if f["speaker"] == "agent"]) - 1
    assert all(row["link"] == f"call?call_id={row['call_id']}" for row in sheet)
    categories = [row["category"] for row in sheet]
    assert categories == sorted(categories, key=lambda c: (-categories.count(c), c))  # grouped, commonest first
    csv_text = rows_to_csv(sheet, COACHING_COLUMNS).decode("utf-8-sig")
    assert csv_text.splitlines()[0] == ",".join(COACHING_COLUMNS) and sheet[0]["quote"] in csv_text


def test_agent_breakdown_lists_counted_categories_and_disclosure_rates():
    row = {"agent_id": "A1", "findings_insult": 2, "findings_harassment": 0, "findings_intimidation": 3,
           "disclosure_closing": float("nan"), "disclosure_greeting": 0.5}
    assert agent_breakdown(row) == {"findings": [("intimidation", 3), ("insult", 2)],
                                           "disclosures": [("greeting", 0.5), ("closing", None)]}


# -- rule pack --------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "speaker", "categories"), [
    ("你再不还钱，我就找人收拾你。", "agent", {"violence_threat"}),
    ("你再不还钱，我就找人收拾你。", "customer", set()),  # only agent turns yield violations
    ("我们不会上门打扰您。", "agent", set()),  # negated
    ("您的账单已经于七了。", "agent", set()),
    ("", "agent", set()),
])
def test_trying_a_sentence_shows_what_fires(auditor, text, speaker, categories):
    trial = try_sentence(auditor, text, speaker)
    assert {f["category"] for f in trial.findings} == categories
    assert all(f["matched"] and f["rule_id"] and f["legal_basis"] for f in trial.findings)


def test_trying_a_sentence_shows_the_homophone_reading(auditor):
    trial = try_sentence(auditor, "您已经于七三个月了", "agent")
    assert "逾期" in trial.reading and ("于七", "逾期") in trial.homophones


def test_rule_pack_tables_list_every_rule_and_category(auditor):
    tables = rule_pack_tables(auditor.pack)
    assert len(tables["rules"]) == len(auditor.pack.conduct_rules)
    assert {row["category"] for row in tables["categories"]} == set(auditor.pack.categories)
    assert all(row["legal_basis"] for row in tables["rules"])
    # a reviewer reads a rule's id, category and explanation, never its regular expressions: patterns are counted
    for name in ("rules", "disclosures", "signals"):
        assert all(isinstance(row["patterns"], int) for row in tables[name]), name
    assert sum(row["patterns"] for row in tables["rules"]) == sum(len(r.patterns) for r in auditor.pack.conduct_rules)


# -- uploads ----------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("name", "safe"), [
    ("c01.opus", "c01.opus"),
    ("催收录音 2026-11-03.MP3", "催收录音_2026-11-03.mp3"),
    ("../../etc/passwd.wav", "passwd.wav"),
    ("..\\..\\windows\\evil.wav", "evil.wav"),
    (".hidden.wav", "hidden.wav"),
    ("a;rm -rf $HOME.wav", "a_rm_-rf_HOME.wav"),
    ("", "upload"),
    ("...", "upload"),
    ("x" * 300 + ".flac", "x" * 115 + ".flac"),
])
def test_upload_names_are_sanitised(name, safe):
    assert sanitize_name(name) == safe


WAV_HEAD = b"RIFF\x24\x00\x00\x00WAVEfmt "


@pytest.mark.parametrize(("name", "head", "size", "kind", "problem"), [
    ("call.wav", WAV_HEAD, 1000, "audio", None),
    ("call.opus", b"OggS\x00\x02", 1000, "audio", None),
    ("call.mp3", b"ID3\x04", 1000, "audio", None),
    ("call.mp3", b"\xff\xfb\x90\x64", 1000, "audio", None),
    ("call.wav", WAV_HEAD, 11 * 1024 * 1024, "audio", "over the 10 MB limit"),
    ("call.wav", b"", 0, "audio", "empty"),
    ("call.exe", b"MZ\x90\x00", 1000, "audio", "not an accepted audio type"),
    ("call.wav", b"<?php system($_GET['c']);", 1000, "audio", "content is not WAV"),
    ("call.opus", WAV_HEAD, 1000, "audio", "content is not OPUS"),
    ("metadata.csv", b"call_id,file\n", 20, "metadata", None),
    ("metadata.xlsx", b"PK\x03\x04", 20, "metadata", "must be a .csv"),
    ("metadata.csv", b"PK\x03\x04\x00\x00", 20, "metadata", "not a text"),
])
def test_uploads_are_checked_for_size_and_type(name, head, size, kind, problem):
    found = check_upload(name, head, size, kind, limit_bytes=10 * 1024 * 1024 if kind == "audio" else None)
    assert (found is None) if problem is None else (problem in found)


def test_uploads_are_stored_in_their_own_folder_under_the_data_dir(tmp_path):
    batch = save_uploads([("../a.wav", WAV_HEAD + b"data"), ("a.wav", WAV_HEAD + b"more"),
                                 ("bad.wav", b"not audio at all")], ("m.csv", b"call_id,file\nx,a.wav\n"), tmp_path)
    assert batch.folder.parent == tmp_path / "uploads"
    assert [p.name for p in batch.audio] == ["a.wav", "a-2.wav"] and all(p.parent == batch.folder for p in batch.audio)
    assert batch.metadata == batch.folder / "metadata.csv"
    assert len(batch.problems) == 1 and "bad.wav" in batch.problems[0]
    assert not (batch.folder / "bad.wav").exists()


def test_server_folders_outside_the_allowed_roots_are_refused(tmp_path):
    root = tmp_path / "data"
    (root / "calls").mkdir(parents=True)
    (root / "calls" / "c.wav").write_bytes(WAV_HEAD)
    assert resolve_server_folder(root / "calls", [root.resolve()]) == (root / "calls").resolve()
    assert server_folders([root.resolve()]) == [(root / "calls").resolve()]
    for outside in (tmp_path, root / "calls" / ".." / "..", "/etc"):
        with pytest.raises(ValueError, match="outside the folders"):
            resolve_server_folder(outside, [root.resolve()])
    with pytest.raises(ValueError, match="not a folder"):
        resolve_server_folder(root / "calls" / "c.wav", [root.resolve()])


# -- export -----------------------------------------------------------------------------------------------------------

def test_export_zip_holds_the_package_for_the_period(store, tmp_path):
    name, data, result = export_zip(store, "2026-11-01", "2026-11-10", True, "合规-张", tmp_path)
    assert name.endswith(".zip") and "2026-11-01_2026-11-10" in name
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        names = set(archive.namelist())
    assert {"manifest.json", "audit_package.xlsx", "findings.csv", "calls.csv"} <= names
    assert result.calls == 6 and result.folder.parent == tmp_path / "exports"


@pytest.mark.parametrize(("folder", "shown"), [
    ("data/incoming", "data/incoming"),
    ("data", "data"),
    ("other/calls/2026-11", "other/calls/2026-11"),
    ("elsewhere/x", "x"),  # not under a root (cannot be picked anyway): its own name only
])
def test_a_server_folder_is_named_from_its_root_down_never_by_the_path_above(tmp_path, folder, shown):
    roots = [tmp_path / "data", tmp_path / "other"]
    assert folder_label(roots)(tmp_path / folder) == shown
    assert str(tmp_path) not in folder_label(roots)(tmp_path / folder)


# -- engines (the models the app loads once per server) ---------------------------------------------------------------

def test_a_page_asking_for_an_engine_while_it_warms_up_gets_that_load_not_a_second_one():
    from audit.reviewapp.engines import Engine, warm_up

    built = []
    engine = Engine(lambda: built.append(Auditor()) or built[-1])
    thread = warm_up((engine,))
    assert thread is not None and thread.is_alive() and not engine.ready  # the caller (sign-in) did not wait
    got = engine.get()  # a page that needs it now: waits for the load under way
    thread.join(timeout=120)
    assert built == [got] and engine.ready and engine.get() is got
    assert warm_up((engine,)) is None  # warmed once per process


def test_the_models_load_between_pages_not_while_one_is_drawn():
    from audit.reviewapp import engines
    from audit.rulepack import load_rule_pack

    started_at = []
    engine = engines.Engine(lambda: started_at.append(time.monotonic()) or load_rule_pack())
    with engines.page_running():
        thread = engines.warm_up((engine,))
        time.sleep(engines.IDLE_S + 0.3)
        assert not started_at
        page_end = time.monotonic()
    thread.join(timeout=60)
    assert started_at and started_at[0] >= page_end + engines.IDLE_S - 0.05 and engine.ready


def test_an_engine_that_fails_to_load_leaves_the_others_loading_and_fails_again_on_its_page():
    from audit.errors import AuditError
    from audit.reviewapp.engines import Engine, warm_up
    from audit.rulepack import load_rule_pack

    broken, working = Engine(lambda: load_rule_pack("no-such-profile")), Engine(load_rule_pack)
    warm_up((broken, working)).join(timeout=60)
    assert working.ready and not broken.ready
    with pytest.raises(AuditError, match="no-such-profile"):
        broken.get()
