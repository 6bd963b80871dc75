"""Is the review app usable on a database of 50,000 calls? Times the reads its pages make.

    .venv/bin/python bench/app_scale.py [--calls 50000] [--db /tmp/app_scale.db] [--keep]

Seeds an SQLite database with ``--calls`` synthetic audits: the 240 labelled development calls
(tests/data/dev_clean.jsonl) audited once by the real auditor, then copied under new call ids, spread over 200 agents
in 10 teams and 26 weeks, and bulk-inserted through the Store's session (8 disclosures and, as in the dev set, about
0.7 findings per call). 1% of the findings get a review. Then each read the app makes is run three times and the
median printed. Transcripts are not stored (the queue and overview never read them).
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from audit import __version__  # noqa: E402
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


def seeded_store(description: str) -> tuple[Store, Path]:
    """The bench's database from the command line (--calls, --db, --keep), seeded unless it is kept."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--calls", type=int, default=50_000)
    parser.add_argument("--db", default="/tmp/app_scale.db")
    parser.add_argument("--keep", action="store_true", help="reuse the database if it exists")
    args = parser.parse_args()
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


def main() -> None:
    store, path = seeded_store(__doc__.splitlines()[0])
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
        ("agents page rows, one month", lambda: store.aggregate_rows(**month)),
        ("agents page scorecards, one month", lambda: __import__("audit.aggregate").aggregate.agent_scorecards(
            **store.aggregate_rows(**month))),
    ]
    print(f"\n{'read':<40} {'median s':>9}")
    print("-" * 50)
    for name, function in reads:
        print(f"{name:<40} {timed(function):>9.3f}")


if __name__ == "__main__":
    main()
