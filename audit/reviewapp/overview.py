"""The overview's figures that the store does not fold itself: findings per week and category."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any, Iterable


def week_start(day: str) -> str | None:
    """Monday of the ISO week of a YYYY-MM-DD date (as audit.aggregate.weekly_trend counts weeks)."""
    try:
        value = date.fromisoformat(str(day)[:10])
    except ValueError:
        return None
    return (value - timedelta(days=value.weekday())).isoformat()


def findings_by_week(by_day: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Fold the store's findings-per-day-and-category into weeks; oldest week first."""
    weeks: dict[tuple[str, str], int] = {}
    for row in by_day:
        week = week_start(row["day"])
        if week:
            weeks[(week, row["category"])] = weeks.get((week, row["category"]), 0) + int(row["findings"])
    return [{"week_start": week, "category": category, "findings": n}
            for (week, category), n in sorted(weeks.items())]
