"""The agents page: a coaching sheet of an agent's own words that count against them, their findings per category and
disclosure compliance, and CSV for a download."""

from __future__ import annotations

import csv
import io
from typing import Any, Iterable

from audit.review_policy import counts_against_agent, effective_severity
from audit.reviewapp.call_view import clock
from audit.rulepack import DISCLOSURES


COACHING_COLUMNS = ("category", "severity", "call_id", "date", "time", "quote", "rule_id", "explanation", "link")


def coaching_sheet(findings: Iterable[dict[str, Any]], call_link: str = "call?call_id={call_id}"
                   ) -> list[dict[str, Any]]:
    """The agent's own words that count against them, grouped by category (most frequent first), newest call first
    within a category, each with a link to the call (``call_link`` is formatted with the call id)."""
    counted = [f for f in findings if counts_against_agent(f)]
    frequency: dict[str, int] = {}
    for finding in counted:
        frequency[finding["category"]] = frequency.get(finding["category"], 0) + 1
    counted.sort(key=lambda f: f.get("turn", 0))
    counted.sort(key=lambda f: f.get("started_at") or "", reverse=True)  # stable sorts: newest call first ...
    counted.sort(key=lambda f: (-frequency[f["category"]], f["category"]))  # ... within the commonest category first
    return [{"category": f["category"],
             "severity": effective_severity(f),
             "call_id": f["call_id"], "date": (f.get("started_at") or "")[:10], "time": clock(f.get("start_s")),
             "quote": f["quote"], "rule_id": f["rule_id"], "explanation": f.get("explanation", ""),
             "link": call_link.format(call_id=f["call_id"])} for f in counted]


def agent_breakdown(scorecard: dict[str, Any]) -> dict[str, list[tuple[str, Any]]]:
    """One agent's row of ``audit.aggregate.agent_scorecards`` (as a dict) as two lists: counted findings per category
    (most first, zeros left out) and disclosure compliance per disclosure (None where nothing was judged)."""
    findings = [(key.removeprefix("findings_"), int(value)) for key, value in scorecard.items()
                if key.startswith("findings_") and value]
    findings.sort(key=lambda item: -item[1])
    disclosures = [(key.removeprefix("disclosure_"), None if value is None or value != value else float(value))
                   for key, value in scorecard.items() if key.startswith("disclosure_")]
    order = {d: i for i, d in enumerate(DISCLOSURES)}
    disclosures.sort(key=lambda item: order.get(item[0], len(order)))
    return {"findings": findings, "disclosures": disclosures}


def rows_to_csv(rows: Iterable[dict[str, Any]], columns: Iterable[str]) -> bytes:
    """CSV with a BOM so Excel on Chinese Windows opens the UTF-8 correctly."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(columns), extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8-sig")
