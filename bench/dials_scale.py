"""Is `audit dials import` quick on a large dial log? Times it, and `audit dials check`, as commands on the 50,000-call
database of bench/app_scale.py.

    .venv/bin/python bench/dials_scale.py [--rows 200000] [--calls 50000] [--db /tmp/app_scale.db] [--keep]

Seeds the database as bench/app_scale.py does (``--keep`` reuses it), then works on a copy of it beside it (the seeded
database is left as it was): every call is given one of 20,000 debtors, and a dial log of ``--rows`` attempts is
written next to the copy: each recorded call once, answered, with its call id and start time, and the rest dials to
the same debtors over the same 26 weeks, mostly unanswered, with about 1 debtor-day in 50 crossing a limit by one or
two. Each command runs once, as a user runs it (a fresh Python process: imports, opening the database, the work, the
table); the first import stores every attempt, the second finds them all stored and only checks the limits again
(the days the log names), and a third imports the next day's log (``--day-rows`` attempts to as many debtors, a few
over a limit), the daily case: it checks that day only, not the debtors' 26 weeks.
"""

from __future__ import annotations

import csv
import random
import shutil
import sqlite3
import sys
from datetime import datetime, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

from app_scale import arguments, seeded_store  # noqa: E402
from qa_scale import command  # noqa: E402

DEBTORS = 20_000
START = datetime(2026, 6, 1, 8, 0)
DAYS = 26 * 7


def debtor_of(pk: int) -> str:
    return f"D{pk % DEBTORS:05d}"


def give_calls_debtors(db: Path) -> list[tuple[str, str, str, str]]:
    """Each call's debtor set in the copy; returns (call_id, debtor_id, agent_id, started_at) of every call."""
    with sqlite3.connect(db) as connection:
        connection.execute("UPDATE calls SET debtor_id = 'D' || printf('%05d', id % ?)", (DEBTORS,))
        return connection.execute("SELECT call_id, debtor_id, agent_id, started_at FROM calls ORDER BY id").fetchall()


def write_dial_log(path: Path, calls: list[tuple[str, str, str, str]], rows: int) -> int:
    """The dial log described above; returns how many debtor-days were pushed over a limit."""
    rng = random.Random(11)
    lines = [(debtor, f"138{int(debtor[1:]):08d}", started, "1", agent, call_id)
             for call_id, debtor, agent, started in calls]
    pushed = 0
    while len(lines) < rows:
        pk = rng.randrange(DEBTORS)
        debtor, number = debtor_of(pk), f"138{pk:08d}"
        day = START + timedelta(days=rng.randrange(DAYS))
        if rng.random() < 0.02:  # a debtor-day over a limit: 4 answered, or 7 unanswered to one number
            answered, count = ("1", 4) if rng.random() < 0.5 else ("0", 7)
            pushed += 1
        else:
            answered, count = ("1" if rng.random() < 0.2 else "0"), rng.randint(1, 3)
        for _ in range(min(count, rows - len(lines))):
            moment = day + timedelta(minutes=rng.randrange(12 * 60), seconds=rng.randrange(60))
            lines.append((debtor, number, moment.isoformat() + "+08:00", answered, f"A{rng.randrange(200):04d}", ""))
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(("debtor_id", "number", "dialed_at", "answered", "agent_id", "call_id"))
        writer.writerows(lines)
    return pushed


def write_next_day(path: Path, rows: int) -> None:
    """The day after the 26 weeks: ``rows`` attempts, one or two to each of as many debtors, unanswered but every
    20th debtor reached 4 times (one over the answered limit)."""
    rng = random.Random(12)
    day = START + timedelta(days=DAYS)
    lines = []
    for pk in rng.sample(range(DEBTORS), min(rows, DEBTORS)):
        answered, count = ("1", 4) if pk % 20 == 0 else ("0", rng.randint(1, 2))
        for _ in range(count):
            moment = day + timedelta(minutes=rng.randrange(12 * 60), seconds=rng.randrange(60))
            lines.append((debtor_of(pk), f"138{pk:08d}", moment.isoformat() + "+08:00", answered, "A0001", ""))
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(("debtor_id", "number", "dialed_at", "answered", "agent_id", "call_id"))
        writer.writerows(lines[:rows])


def main() -> None:
    parser = arguments(__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--day-rows", type=int, default=10_000)
    args = parser.parse_args()
    store, seeded = seeded_store(__doc__.splitlines()[0], args)
    store.engine.dispose()
    work = seeded.with_name(f"{seeded.stem}_dials.db")
    shutil.copyfile(seeded, work)
    calls = give_calls_debtors(work)
    log = work.with_suffix(".csv")
    pushed = write_dial_log(log, calls, args.rows)
    print(f"{len(calls):,} calls to {DEBTORS:,} debtors; dial log of {args.rows:,} attempts "
          f"({log.stat().st_size / 1e6:.1f} MB, {pushed:,} debtor-days pushed over a limit)")
    next_day = work.with_name(f"{work.stem}_next_day.csv")
    write_next_day(next_day, args.day_rows)
    db = ["--db", str(work)]
    runs = [("audit dials import (all new)", ("dials", "import", str(log), *db)),
            ("audit dials import (same log again)", ("dials", "import", str(log), *db)),
            (f"audit dials import (next day, {args.day_rows:,})", ("dials", "import", str(next_day), *db)),
            ("audit dials check (every debtor)", ("dials", "check", *db))]
    print(f"\n{'what':<44} {'wall s':>7} {'CPU s':>7}")
    print("-" * 60)
    for name, arguments_ in runs:
        print(f"{name:<44} {'%7.2f %7.2f' % command(*arguments_)}")
    with sqlite3.connect(work) as connection:
        counted = {table: connection.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
                   for table in ("dials", "contact_violations")}
        items = connection.execute("SELECT count(*) FROM call_items WHERE kind = 'contact_frequency'").fetchone()[0]
    print(f"\nstored: {counted['dials']:,} attempts, {counted['contact_violations']:,} violations, "
          f"{items:,} call-level items")


if __name__ == "__main__":
    main()
