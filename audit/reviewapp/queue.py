"""The review queue: its filters, one page of flagged calls (worst first, paged by the database), and how a row's
worst severity and review progress read."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from audit.models import SEVERITIES

REVIEW_STATUSES = ("unreviewed", "reviewed", "nothing_to_review", "all")
PAGE_SIZES = (25, 50, 100)


@dataclass(frozen=True)
class QueueFilters:
    """The queue's filters; empty means 'any'. Dates are inclusive (YYYY-MM-DD) and compare with the call's own
    local date as written in ``started_at`` (an undated call: the day it was stored). ``call_ids``: only these calls
    (one batch). ``review_status`` ``unreviewed``: every call not yet closed (``audit.review_policy``)."""

    categories: tuple[str, ...] = ()
    severities: tuple[str, ...] = ()
    agent_ids: tuple[str, ...] = ()
    teams: tuple[str, ...] = ()
    verdicts: tuple[str, ...] = ()
    since: str | None = None
    until: str | None = None
    review_status: str = "unreviewed"
    call_ids: tuple[str, ...] = ()
    sampled_only: bool = False  # 抽检 calls only

    def __post_init__(self):
        if self.review_status not in REVIEW_STATUSES:
            raise ValueError(f"review_status '{self.review_status}' is not one of {', '.join(REVIEW_STATUSES)}")

    def store_kwargs(self) -> dict[str, Any]:
        return {"categories": self.categories, "severities": self.severities, "agent_ids": self.agent_ids,
                "teams": self.teams, "verdicts": self.verdicts, "since": iso_day(self.since), "until": iso_day(self.until),
                "review_status": self.review_status, "call_ids": self.call_ids, "sampled_only": self.sampled_only}


@dataclass(frozen=True)
class QueuePage:
    rows: tuple[dict[str, Any], ...]
    total: int
    page: int  # 1-based, after clamping to the pages there are
    page_size: int

    @property
    def pages(self) -> int:
        return page_count(self.total, self.page_size)

    @property
    def first(self) -> int:
        """1-based number of the first row shown (0 when there are none)."""
        return (self.page - 1) * self.page_size + 1 if self.rows else 0


def page_count(total: int, page_size: int) -> int:
    return max(1, -(-max(0, total) // max(1, page_size)))


def queue_page(store, filters: QueueFilters, page: int = 1, page_size: int = 50) -> QueuePage:
    """One page of flagged calls, worst first; a page past the end shows the last page rather than nothing."""
    page_size = max(1, int(page_size))
    page = max(1, int(page))
    rows, total = store.queue_page(limit=page_size, offset=(page - 1) * page_size, **filters.store_kwargs())
    if not rows and total and page > page_count(total, page_size):
        page = page_count(total, page_size)
        rows, total = store.queue_page(limit=page_size, offset=(page - 1) * page_size, **filters.store_kwargs())
    return QueuePage(tuple(rows), total, page, page_size)


def severity_of_rank(rank: int | None) -> str | None:
    """The queue's ``worst`` column back to a word (3 = no finding)."""
    return SEVERITIES[rank] if rank is not None and 0 <= rank < len(SEVERITIES) else None


def review_progress(row: dict[str, Any]) -> str:
    """'2/3': the items (findings and call-level items) of a queue row a person has closed, or '-' when it has none."""
    return f"{row['reviewed']}/{row['items']}" if row.get("items") else "-"


def iso_day(value: Any) -> str | None:
    """A date, datetime or ISO string as YYYY-MM-DD; None for no date."""
    if value is None or value == "":
        return None
    return value.isoformat()[:10] if isinstance(value, (date, datetime)) else str(value)[:10]
