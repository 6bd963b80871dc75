"""Is the review app usable on a database of 50,000 calls? Times the reads its pages make.

    .venv/bin/python bench/app_scale.py [--calls 50000] [--db /tmp/app_scale.db] [--keep]

Seeds an SQLite database with ``--calls`` synthetic audits: the 240 labelled development calls
(tests/data/dev_clean.jsonl) audited once by the real auditor, then copied under new call ids, spread over 200 agents
in 10 teams and 26 weeks, and bulk-inserted through the Store's session (8 disclosures and, as in the dev set, about
0.7 findings per call). 1% of the findings get a review. Then each read the app makes is run three times and the
median printed. Transcripts are not stored (the queue and overview never read them).

Then the pages themselves (``--no-pages`` skips this; it needs Debian's Chromium and Playwright): ``streamlit run
app.py`` on that database, and each page opened in headless Chromium by URL as a signed-in admin -- cold (the first
time after the server started: nothing cached; the models start loading in the background once the sign-in page is
drawn, and each page is opened right after the one before, without waiting for them), warm (the median of three more
visits, within the app's 15-second read cache) and expired (once more, the read cache expired). A page is "drawn"
when its title shows, "done" when its script has finished (Streamlit's script state on its root element).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import datetime, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from audit import __version__, accounts  # noqa: E402
from audit.aggregate import agent_scorecards, agent_scorecards_from_totals  # noqa: E402
from audit.auditor import Auditor  # noqa: E402
from audit.reviewapp.queue import QueueFilters, queue_page  # noqa: E402
from audit.scan import audit_to_line, read_calls  # noqa: E402
from audit.storage import AuditRow, CallItemRow, CallRow, DisclosureRow, FindingRow, SignalRow, Store  # noqa: E402
from audit.storage.results import first_result, result_columns  # noqa: E402

BATCH = 5000


def seed(store: Store, calls: int) -> None:
    auditor = Auditor()
    templates = []
    for _, call, _ in read_calls(REPO / "tests" / "data" / "dev_clean.jsonl"):
        if call is not None:
            audit = auditor.audit(call.call_id, call.turns, call.started_at, call.debtor_tz)
            line = audit_to_line(audit)
            templates.append((audit, json.dumps(line, ensure_ascii=False), first_result(line, audit.scorecard)))
    rng = random.Random(7)
    start = datetime(2026, 6, 1, 8, 0)
    now = datetime.now().isoformat()
    rows: dict[type, list[dict]] = {CallRow: [], AuditRow: [], FindingRow: [], DisclosureRow: [], SignalRow: [],
                                    CallItemRow: []}
    finding_pk = 0

    def flush():
        with store.session() as session, session.begin():
            for table, mappings in rows.items():
                session.bulk_insert_mappings(table, mappings)
                mappings.clear()

    for pk in range(1, calls + 1):
        audit, body, (items, result) = templates[pk % len(templates)]
        agent = rng.randrange(200)
        started = start + timedelta(minutes=rng.randrange(26 * 7 * 24 * 60))
        rows[CallRow].append({"id": pk, "call_id": f"scale-{pk:06d}", "audio_path": "", "audio_sha256": "",
                              "duration_s": 60.0, "agent_id": f"A{agent:04d}", "agent_name": f"坐席{agent}",
                              "team": f"团队{agent % 10}", "started_at": started.isoformat() + "+08:00",
                              "debtor_tz": "Asia/Shanghai", "channel_layout": "stereo_agent_left", "created_at": now})
        rows[AuditRow].append({"id": pk, "call_pk": pk, "transcript_pk": None, "profile": audit.profile,
                               "rule_pack_version": audit.rule_pack_version, "scorecard": audit.scorecard,
                               "scorecard_version": audit.scorecard_version, "model_id": "",
                               "code_version": __version__,
                               "score": audit.score, "verdict": audit.verdict, "critical": audit.critical,
                               "call_time_violation": audit.call_time_violation, "body": body, "created_at": now,
                               **result_columns(result)})
        rows[CallItemRow] += [{"audit_pk": pk, "kind": item["kind"], "text": item["text"]} for item in items]
        for f in audit.findings:
            finding_pk += 1
            rows[FindingRow].append({"id": finding_pk, "audit_pk": pk, "rule_id": f.rule_id, "category": f.category,
                                     "severity": f.severity, "turn": f.turn, "speaker": f.speaker,
                                     "char_start": f.char_start, "char_end": f.char_end, "quote": f.quote,
                                     "start_s": f.start_s, "end_s": f.end_s, "pinyin_match": f.pinyin_match,
                                     "needs_review": f.needs_review, "legal_basis": json.dumps(list(f.legal_basis)),
                                     "explanation": f.explanation})
        rows[DisclosureRow] += [{"audit_pk": pk, "disclosure": d.disclosure, "status": d.status, "rule_id": d.rule_id,
                                 "turn": d.turn, "quote": d.quote, "start_s": d.start_s,
                                 "explanation": d.explanation} for d in audit.disclosures]
        rows[SignalRow] += [{"audit_pk": pk, "signal": s.signal, "turn": s.turn, "quote": s.quote,
                             "start_s": s.start_s, "details": json.dumps(s.details)} for s in audit.signals]
        if pk % BATCH == 0:
            flush()
    flush()
    for finding_id in rng.sample(range(1, finding_pk + 1), k=max(1, finding_pk // 100)):
        store.add_review(finding_id, "质检-压测", rng.choice(["upheld", "dismissed"]))


def timed(function, repeat: int = 3) -> float:
    times = []
    for _ in range(repeat):
        begin = time.perf_counter()
        function()
        times.append(time.perf_counter() - begin)
    return statistics.median(times)


def seeded_store(description: str, args: argparse.Namespace | None = None) -> tuple[Store, Path]:
    """The bench's database from the command line (--calls, --db, --keep), seeded unless it is kept."""
    args = args or arguments(description).parse_args()
    path = Path(args.db)
    if path.exists() and not args.keep:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
    store = Store(path)
    if not store.counts()["calls"]:
        begin = time.perf_counter()
        seed(store, args.calls)
        print(f"seeded {args.calls:,} calls in {time.perf_counter() - begin:.1f} s")
    return store, path


def arguments(description: str) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--calls", type=int, default=50_000)
    parser.add_argument("--db", default="/tmp/app_scale.db")
    parser.add_argument("--keep", action="store_true", help="reuse the database if it exists")
    return parser


# -- the pages in a browser ---------------------------------------------------------------------------------------------

CHROMIUM = Path("/usr/bin/chromium")
PASSWORD = "bench password"
# Streamlit marks its root with the script's state: "notRunning" once the page's script has finished
SCRIPT_DONE = "() => document.querySelector('[data-testid=\"stApp\"]')?.dataset.testScriptState === 'notRunning'"
PAGES = [("sign-in", "", "登录"), ("总览 overview", "", "总览"), ("复核队列 queue", "queue", "复核队列"),
         ("通话详情 call", "call?call_id=scale-025000", "通话详情"), ("坐席 agents", "agents", "坐席"),
         ("规则库 rules", "rules", "规则库"), ("导出 export", "export", "导出")]


def serve(db: Path, folder: Path) -> tuple[subprocess.Popen, str]:
    """``streamlit run app.py`` on the database, on a free loopback port; returns once it answers."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {**os.environ, "AUDIT_DB": str(db), "AUDIT_DATA_DIR": str(folder)}
    env.pop("AUDIT_DB_URL", None)
    process = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(REPO / "app.py"), "--server.port", str(port),
         "--server.address", "127.0.0.1", "--server.headless", "true", "--browser.gatherUsageStats", "false",
         "--server.fileWatcherType", "none"], cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    for _ in range(600):
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as answer:
                if answer.read().strip() == b"ok":
                    return process, url
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise SystemExit("streamlit did not start")


def open_timed(page, url: str, title: str) -> tuple[float, float]:
    """Seconds until the page's title shows, and until its script has finished."""
    begin = time.perf_counter()
    page.goto(url)
    page.get_by_role("heading", name=title, exact=True).first.wait_for(timeout=120_000)
    drawn = time.perf_counter() - begin
    page.wait_for_function(SCRIPT_DONE, timeout=120_000)
    return drawn, time.perf_counter() - begin


def page_timings(store: Store, db: Path, warm_visits: int = 3) -> list[tuple]:
    """(page, cold drawn, cold done, warm drawn, warm done, cache-expired drawn, cache-expired done) for each page, on
    a server started for this."""
    from playwright.sync_api import sync_playwright

    if store.user("bench") is None:
        accounts.create_account(store, "bench", PASSWORD, "admin", display_name="压测")
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        process, url = serve(db, Path(folder))
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                                     args=["--no-sandbox", "--disable-gpu"])
                context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="zh-CN")
                page = context.new_page()
                cold = {"sign-in": open_timed(page, url, "登录")}
                begin = time.perf_counter()
                page.get_by_role("textbox", name="用户名").fill("bench")
                page.get_by_label("密码", exact=True).fill(PASSWORD)
                page.get_by_role("button", name="登录", exact=True).click()
                page.get_by_role("heading", name="总览", exact=True).first.wait_for(timeout=120_000)
                drawn = time.perf_counter() - begin
                page.wait_for_function(SCRIPT_DONE, timeout=120_000)
                cold["总览 overview"] = (drawn, time.perf_counter() - begin)
                for name, path, title in PAGES[2:]:
                    cold[name] = open_timed(page, f"{url}/{path}", title)
                warm = {}
                for name, path, title in PAGES[1:]:
                    visits = [open_timed(page, f"{url}/{path}", title) for _ in range(warm_visits)]
                    warm[name] = tuple(statistics.median(v[i] for v in visits) for i in (0, 1))
                stale = {}  # the server warm, but the app's 15-second read cache expired: what a later visit costs
                for name, path, title in PAGES[1:]:
                    page.wait_for_timeout(16_000)
                    stale[name] = open_timed(page, f"{url}/{path}", title)
                signed_out = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="zh-CN").new_page()
                visits = [open_timed(signed_out, url, "登录") for _ in range(warm_visits)]
                warm["sign-in"] = tuple(statistics.median(v[i] for v in visits) for i in (0, 1))
                stale["sign-in"] = warm["sign-in"]
                browser.close()
        finally:
            process.terminate()
            process.wait(timeout=30)
    return [(name, *cold[name], *warm[name], *stale[name]) for name, _, _ in PAGES]


def main() -> None:
    parser = arguments(__doc__.splitlines()[0])
    parser.add_argument("--no-pages", action="store_true", help="time the reads only, not the pages in Chromium")
    args = parser.parse_args()
    store, path = seeded_store(__doc__.splitlines()[0], args)
    counts = store.counts()
    print(", ".join(f"{name} {n:,}" for name, n in counts.items()), f"| {path.stat().st_size / 1e6:.0f} MB")

    month = {"since": "2026-09-01", "until": "2026-09-30"}
    agent = "A0042"
    reads = [
        ("queue page 1 (unreviewed, 50 rows)", lambda: queue_page(store, QueueFilters(), 1, 50)),
        ("queue page 1 (all statuses)", lambda: queue_page(store, QueueFilters(review_status="all"))),
        ("queue page 400 (all, 50 rows)",
         lambda: queue_page(store, QueueFilters(review_status="all"), 400, 50)),
        ("queue, category + team filter",
         lambda: queue_page(store, QueueFilters(categories=("insult",), teams=("团队3",)))),
        ("queue, one month", lambda: queue_page(store, QueueFilters(**month))),
        ("filter options", store.filter_options),
        ("overview, all calls", store.overview),
        ("overview, one month", lambda: store.overview(**month)),
        ("call detail", lambda: store.call_detail("scale-025000")),
        ("agent's findings (coaching)", lambda: store.agent_findings(agent)),
        ("agents page totals (SQL), one month", lambda: store.scorecard_totals(**month)),
        ("agents page scorecards, one month", lambda: agent_scorecards_from_totals(store.scorecard_totals(**month))),
        ("agents page scorecards, all calls", lambda: agent_scorecards_from_totals(store.scorecard_totals())),
        ("  the same from every row (pandas)", lambda: agent_scorecards(**store.aggregate_rows())),
    ]
    print(f"\n{'read':<40} {'median s':>9}")
    print("-" * 50)
    for name, function in reads:
        print(f"{name:<40} {timed(function):>9.3f}")
    if args.no_pages:
        return
    if not CHROMIUM.exists():
        print(f"\npages not timed: {CHROMIUM} is missing (scripts/system-packages.sh)")
        return
    print(f"\n{'page (s; target warm <= 2, cold <= 5)':<38} {'cold drawn':>10} {'cold done':>10} "
          f"{'warm drawn':>10} {'warm done':>10} {'expired drawn':>13} {'expired done':>12}")
    print("-" * 110)
    for name, *figures in page_timings(store, path):
        print(f"{name:<38} " + " ".join(f"{value:>10.2f}" for value in figures[:4])
              + f" {figures[4]:>13.2f} {figures[5]:>12.2f}")


if __name__ == "__main__":
    main()
