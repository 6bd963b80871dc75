"""Checks the labelled files the learned reader is trained and tested on; exit 1 and one line per problem.

    python corpus/validate.py corpus/train/*.jsonl              # utterance files (training corpus)
    python corpus/validate.py --calls tests/data/locked/*.jsonl # call files (the dev-set format)

Only the standard library, so an author can run it anywhere.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

CRITICAL = ("violence_threat", "intimidation", "impersonation", "false_legal_threat", "third_party_disclosure",
            "privacy_exposure", "unofficial_channel")
MAJOR = ("insult", "harassment", "induce_borrowing", "third_party_collection", "improper_conduct")
CATEGORIES = CRITICAL + MAJOR
DISCLOSURES = ("greeting", "agent_identity", "institution", "right_party_verification", "purpose", "recording_notice",
               "official_channel", "closing")
SIGNALS = ("customer_abuse", "vulnerability", "complaint_intent", "dispute", "promise_to_pay")
UTTERANCE_KEYS = {"id", "text", "listener", "labels", "kind"}
UTTERANCE_OPTIONAL = {"source", "note", "author", "speaker"}
KINDS = ("violation", "hard_negative", "neutral")
LISTENERS = ("debtor", "third_party", "unknown")
SPEAKERS = ("agent", "customer")  # customer: the other side's words, always without labels


def _lines(path: Path):
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            yield number, json.loads(line)
        except json.JSONDecodeError as error:
            yield number, error


def check_utterances(path: Path, seen: set[str]) -> list[str]:
    problems = []
    for number, row in _lines(path):
        where = f"{path}:{number}"
        if isinstance(row, Exception) or not isinstance(row, dict):
            problems.append(f"{where}: not a JSON object ({row})")
            continue
        missing, unknown = UTTERANCE_KEYS - row.keys(), row.keys() - UTTERANCE_KEYS - UTTERANCE_OPTIONAL
        if missing or unknown:
            problems.append(f"{where}: missing keys {sorted(missing)} / unknown keys {sorted(unknown)}")
            continue
        if row["id"] in seen:
            problems.append(f"{where}: duplicate id {row['id']}")
        seen.add(row["id"])
        text = row["text"]
        if not isinstance(text, str) or not 2 <= len(text) <= 200:
            problems.append(f"{where}: text must be 2-200 characters")
        if row["listener"] not in LISTENERS:
            problems.append(f"{where}: listener must be one of {LISTENERS}")
        if row.get("speaker", "agent") not in SPEAKERS:
            problems.append(f"{where}: speaker must be one of {SPEAKERS}")
        labels = row["labels"]
        if not isinstance(labels, list) or any(label not in CATEGORIES for label in labels) \
                or len(set(labels)) != len(labels):
            problems.append(f"{where}: labels must be a list of distinct categories from {CATEGORIES}")
            continue
        if row["kind"] not in KINDS:
            problems.append(f"{where}: kind must be one of {KINDS}")
        elif (row["kind"] == "violation") != bool(labels):
            problems.append(f"{where}: kind 'violation' exactly when labels are not empty")
        if row.get("speaker") == "customer" and labels:
            problems.append(f"{where}: the customer's words carry no labels (only the agent's conduct is audited)")
    return problems


def call_time_violation(started_at: str, debtor_tz: str) -> bool:
    local = datetime.fromisoformat(started_at).astimezone(ZoneInfo(debtor_tz))
    return local.hour >= 22 or local.hour < 8


def check_calls(path: Path, seen: set[str]) -> list[str]:
    problems = []
    for number, call in _lines(path):
        where = f"{path}:{number}"
        try:
            call_id = call["call_id"]
            where = f"{path}:{number} ({call_id})"
            if call_id in seen:
                problems.append(f"{where}: duplicate call_id")
            seen.add(call_id)
            turns, labels = call["turns"], call["labels"]
            for turn in turns:
                if turn["speaker"] not in ("agent", "customer", "unknown") or not turn["text"].strip():
                    problems.append(f"{where}: bad turn {turn}")
            if set(labels) != {"violations", "disclosures", "customer_signals", "call_time_violation", "critical"}:
                problems.append(f"{where}: label keys must be violations, disclosures, customer_signals, "
                                "call_time_violation, critical")
                continue
            for violation in labels["violations"]:
                turn = turns[violation["turn"]]
                if violation["category"] not in CATEGORIES:
                    problems.append(f"{where}: unknown category {violation['category']}")
                if turn["speaker"] not in ("agent", "unknown"):
                    problems.append(f"{where}: violation on a {turn['speaker']} turn {violation['turn']}")
                if not violation["quote"] or violation["quote"] not in turn["text"]:
                    problems.append(f"{where}: quote not in turn {violation['turn']}: {violation['quote']!r}")
            if tuple(labels["disclosures"]) != DISCLOSURES or \
                    not all(isinstance(value, bool) for value in labels["disclosures"].values()):
                problems.append(f"{where}: disclosures must have exactly the keys {DISCLOSURES}, in order, as booleans")
            if any(signal not in SIGNALS for signal in labels["customer_signals"]):
                problems.append(f"{where}: customer_signals must come from {SIGNALS}")
            late = call_time_violation(call["started_at"], call["debtor_tz"])
            if late != labels["call_time_violation"]:
                problems.append(f"{where}: call_time_violation should be {late} for {call['started_at']} "
                                f"in {call['debtor_tz']}")
            critical = late or any(v["category"] in CRITICAL for v in labels["violations"])
            if critical != labels["critical"]:
                problems.append(f"{where}: critical should be {critical}")
        except (KeyError, TypeError, IndexError, ValueError) as error:
            problems.append(f"{where}: malformed call ({type(error).__name__}: {error})")
    return problems


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="+", type=Path)
    parser.add_argument("--calls", action="store_true", help="the files hold calls, not utterances")
    args = parser.parse_args()
    seen: set[str] = set()
    check = check_calls if args.calls else check_utterances
    problems = [problem for path in args.files for problem in check(path, seen)]
    for problem in problems:
        print(problem)
    print(f"{len(seen)} {'calls' if args.calls else 'utterances'}, {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
