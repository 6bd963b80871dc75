"""Calls placed in the quiet hours (default 22:00-08:00) of the debtor's local time."""

from __future__ import annotations

from datetime import datetime, time
from audit.metadata import time_zone
from audit.rulepack import CallTimeConfig


def check_call_time(config: CallTimeConfig, started_at: str | None, debtor_tz: str | None) -> dict:
    """{'violation': bool, 'local_start', 'window', 'rule_id', 'basis', 'explanation'}; unknown time -> no violation."""
    window = f"{config.quiet_start}-{config.quiet_end}"
    result = {"violation": False, "local_start": None, "window": window, "rule_id": config.rule_id,
              "severity": config.severity, "basis": list(config.basis)}
    if not started_at:
        return result | {"explanation": "start time unknown: call time not checked"}
    try:
        moment = datetime.fromisoformat(started_at)
    except ValueError:
        return result | {"explanation": f"start time '{started_at}' is not ISO 8601: call time not checked"}
    zone_note = ""
    if debtor_tz:
        zone = time_zone(debtor_tz)
        if zone is None:
            zone_note = f" (debtor_tz '{debtor_tz}' unknown; the start time's own offset was used)"
        else:
            moment = moment.astimezone(zone) if moment.tzinfo else moment.replace(tzinfo=zone)
    elif moment.tzinfo is None:
        return result | {"explanation": "start time has no UTC offset and no debtor_tz: call time not checked"}
    quiet_start = time.fromisoformat(config.quiet_start)
    quiet_end = time.fromisoformat(config.quiet_end)
    local = moment.time()
    if quiet_start > quiet_end:  # the window wraps midnight
        violation = local >= quiet_start or local < quiet_end
    else:
        violation = quiet_start <= local < quiet_end
    verdict = "inside" if violation else "outside"
    return result | {"violation": violation, "local_start": moment.isoformat(),
                     "explanation": f"{config.description}: started {moment.strftime('%H:%M')} local time, "
                                    f"{verdict} the quiet hours {window}{zone_note}"}
