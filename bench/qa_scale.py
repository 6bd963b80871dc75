"""Are `audit sample` and `audit accuracy` quick on a database of 50,000 calls? Times both, as commands and as the
library calls behind them.

    .venv/bin/python bench/qa_scale.py [--calls 50000] [--db /tmp/app_scale.db] [--keep]

Seeds the database as bench/app_scale.py does (the same 50,000 synthetic audits over 26 weeks, 1% of findings
reviewed), then draws one week's 抽检 with the default plan and gives half of the sampled calls a whole-call verdict.
Each library call is run three times and the median printed; each command once, as a user runs it (a fresh Python
process: imports, opening the database, the work, the table).
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

from app_scale import seeded_store, timed  # noqa: E402
from audit.qa import accuracy, sampling  # noqa: E402

WEEK = ("2026-09-07", "2026-09-13")
MONTH = ("2026-09-01", "2026-09-30")


def command(*args: str) -> tuple[float, float]:
    """Wall seconds and CPU seconds (user + system) of ``audit ARGS`` in a fresh process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    begin = time.perf_counter()
    subprocess.run([sys.executable, "-m", "audit", *args], check=True, capture_output=True,
                   env=os.environ | {"PYTHONPATH": str(REPO)})
    wall = time.perf_counter() - begin
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime


def library(function) -> tuple[float, float]:
    """Median wall seconds of three runs, and the CPU seconds of this process over them, divided by three."""
    begin = time.process_time()
    wall = timed(function)
    return wall, (time.process_time() - begin) / 3


def main() -> None:
    store, path = seeded_store(__doc__.splitlines()[0])
    plan = sampling.load_plan()
    drawn = sampling.draw(store, plan, *WEEK, drawn_by="bench")
    if drawn.new:
        for s in drawn.samples[::2]:
            store.add_sample_verdict(s.call_id, "bench", "fail" if s.call_id.endswith("7") else "pass",
                                     ["insult"] if s.call_id.endswith("7") else [])
    counts = store.counts()
    print(", ".join(f"{name} {n:,}" for name, n in counts.items()), f"| {path.stat().st_size / 1e6:.0f} MB")
    print(f"one week's draw: {len(drawn.samples)} of {drawn.pool:,} unflagged calls; "
          f"{len(store.sample_verdicts())} whole-call verdicts")
    reads = [
        ("sample draw, one week (library)", lambda: sampling.draw(store, plan, *WEEK)),
        ("sample draw, one month (library)", lambda: sampling.draw(store, plan, *MONTH)),
        ("accuracy, all calls (library)", lambda: accuracy.accuracy_report(store)),
        ("accuracy, one month (library)", lambda: accuracy.accuracy_report(store, *MONTH)),
    ]
    db = ["--db", str(path)]
    commands = [
        ("audit sample --since --until (one week)", ("sample", "--since", WEEK[0], "--until", WEEK[1], *db)),
        ("audit sample (one month)", ("sample", "--since", MONTH[0], "--until", MONTH[1], *db)),
        ("audit accuracy (all calls)", ("accuracy", *db)),
        ("audit accuracy --since --until (one month)", ("accuracy", "--since", MONTH[0], "--until", MONTH[1], *db)),
    ]
    print(f"\n{'what':<44} {'wall s':>7} {'CPU s':>7}")
    print("-" * 60)
    for name, function in reads:
        print(f"{name:<44} {'%7.2f %7.2f' % library(function)}")
    for name, args in commands:
        print(f"{name:<44} {'%7.2f %7.2f' % command(*args)}")


if __name__ == "__main__":
    main()
