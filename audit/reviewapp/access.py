"""Who may see and do what in the review app: ``audit.accounts`` applied to the app's reads (a team lead's filters and
coaching sheets), to the verdicts a role may file, and to the users table."""

from __future__ import annotations

from typing import Any, Iterable

from audit import accounts, review_policy


def scope_options(options: dict[str, Any], team: str | None) -> dict[str, Any]:
    """The filter options a team-scoped account is offered: its own team and that team's agents only (None = all)."""
    if team is None:
        return options
    return {**options, "teams": [team], "agents": [a for a in options.get("agents", []) if a.get("team") == team]}


def scoped_teams(chosen: Iterable[str], team: str | None) -> tuple[str, ...]:
    """The teams a read is filtered to: what was chosen, or -- for a team-scoped account -- its team, whatever was
    chosen (a widget's value in the session state can be edited; this cannot)."""
    return (team,) if team is not None else tuple(chosen)


# what each verdict needs: a team lead files an agent's appeal; deciding anything is a reviewer's (or admin's) job
VERDICT_PERMISSION = {"upheld": "review", "dismissed": "review", "severity_changed": "review", "appeal": "appeal",
                      "appeal_upheld": "review", "appeal_rejected": "review"}


def verdicts_for(account: accounts.Account | None, call_level: bool = False) -> list[str]:
    """The review verdicts this account may file on a finding (or a call-level item), in the trail's order
    (``audit.review_policy.REVIEW_VERDICTS`` / ``ITEM_VERDICTS``)."""
    allowed = review_policy.ITEM_VERDICTS if call_level else review_policy.REVIEW_VERDICTS
    return [verdict for verdict in allowed if accounts.allowed(account, VERDICT_PERMISSION[verdict])]


def within_calls(findings: Iterable[dict[str, Any]], call_ids: Iterable[str]) -> list[dict[str, Any]]:
    """Only the findings of these calls (a coaching sheet limited to the calls on the page: a team lead's team)."""
    allowed = set(call_ids)
    return [f for f in findings if f["call_id"] in allowed]


def user_table(store) -> list[dict[str, Any]]:
    """Every account as the users page lists it, never with its password hash."""
    return [{"username": row.username, "display_name": row.display_name, "role": row.role, "team": row.team or "",
             "enabled": not row.disabled, "created_at": (row.created_at or "")[:10]} for row in store.users()]


def has_accounts(store) -> bool:
    return bool(store.users())
