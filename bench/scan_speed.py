"""Scanning speed: calls audited per second on one core, for transcripts of about one minute.

    .venv/bin/python bench/scan_speed.py [--calls 2000]

Uses the labelled development calls (tests/data/dev_clean.jsonl, dev_noisy.jsonl): their median is about one
minute of conversation (12 turns, ~300 characters). Runs in this one process (one core); prints calls per second,
the per-call latency percentiles, and the Auditor's start-up time.
"""

from __future__ import annotations

import argparse
import itertools
import os
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from audit.auditor import Auditor  # noqa: E402
from audit.scan import read_calls  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=2000)
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})  # one core, as the target is stated
    started = time.perf_counter()
    auditor = Auditor()
    startup_s = time.perf_counter() - started
    calls = [call for path in ("dev_clean.jsonl", "dev_noisy.jsonl")
             for _, call, _ in read_calls(REPO / "tests" / "data" / path) if call]
    chars = statistics.median(sum(len(t.text) for t in call.turns) for call in calls)
    turns = statistics.median(len(call.turns) for call in calls)
    for call in calls[:50]:  # warm caches (pinyin, regex) as a long-running batch would have them
        auditor.audit(call.call_id, call.turns, call.started_at, call.debtor_tz)
    latencies = []
    begin = time.perf_counter()
    for call in itertools.islice(itertools.cycle(calls), args.calls):
        t0 = time.perf_counter()
        auditor.audit(call.call_id, call.turns, call.started_at, call.debtor_tz)
        latencies.append(time.perf_counter() - t0)
    elapsed = time.perf_counter() - begin
    latencies.sort()
    print(f"auditor start-up: {startup_s:.2f} s (rule pack {auditor.pack.version}, spaCy + jieba + pinyin index)")
    print(f"calls: {args.calls} (median {turns:.0f} turns, {chars:.0f} characters), one core")
    print(f"throughput: {args.calls / elapsed:.0f} calls/s")
    print(f"latency per call: median {latencies[len(latencies) // 2] * 1000:.2f} ms, "
          f"p95 {latencies[int(len(latencies) * 0.95)] * 1000:.2f} ms, max {latencies[-1] * 1000:.2f} ms")


if __name__ == "__main__":
    main()
