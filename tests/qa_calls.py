"""Databases of audited calls for the QA loop's tests: real audits (the real auditor over two short dialogues, one
clean, one with a critical threat) saved through the real Store under many call ids, agents and days."""

from __future__ import annotations

import dataclasses
from datetime import date, timedelta

from audit.auditor import Auditor
from audit.models import CallMetadata, Segment, Transcript, Turn
from audit.scan import audit_to_line

CLEAN = (Turn("agent", "您好，我是长河银行的王芳，工号八七二一，本次通话将被录音。请问是张伟本人吗？"),
         Turn("customer", "是我。"),
         Turn("agent", "您的信用卡账单已逾期，请通过官方渠道还款。感谢接听，再见。"))
THREAT = (Turn("agent", "您好，我是长河银行的王芳，工号八七二一，本次通话将被录音。请问是张伟本人吗？"),
          Turn("customer", "是我。"),
          Turn("agent", "你这个老赖，再不还我就找人收拾你。"))


class CallFactory:
    """Saves calls: ``add(store, call_id, agent, day, threat=False)``; the two audits are made once."""

    def __init__(self):
        auditor = Auditor()
        self.clean = auditor.audit("clean", CLEAN, "2026-11-05T10:00:00+08:00", "Asia/Shanghai")
        self.threat = auditor.audit("threat", THREAT, "2026-11-05T10:00:00+08:00", "Asia/Shanghai")
        assert self.clean.verdict == "pass" and not self.clean.findings, self.clean
        assert self.threat.critical and self.threat.findings

    def add(self, store, call_id: str, agent: str | None, day: str, threat: bool = False, hour: int = 10,
            debtor_id: str | None = None) -> None:
        started = f"{day}T{hour:02d}:00:00+08:00"
        audit = dataclasses.replace(self.threat if threat else self.clean, call_id=call_id)
        transcript = Transcript(call_id, "ab" * 32, 60.0, "zh", "m", {}, (), metadata=CallMetadata(
            call_id, agent_id=agent, agent_name=agent, team="一组", started_at=started, debtor_tz="Asia/Shanghai",
            debtor_id=debtor_id))
        store.save(transcript, audit, audit_to_line(audit))


def days(first: str, n: int) -> list[str]:
    start = date.fromisoformat(first)
    return [(start + timedelta(days=i)).isoformat() for i in range(n)]


# A veiled threat the rules and reader let pass on the shipped pack (checked in the fixture), said by the agent.
MISSED = "这样下去你家里人也不好过。"
TURNS = (("agent", "您好，我是长河银行的王芳，工号八七二一，本次通话将被录音。请问是张伟本人吗？", 0.0, 6.0),
         ("customer", "是我。", 6.5, 7.0),
         ("agent", "您的信用卡账单已逾期，请通过官方渠道还款。" + MISSED, 7.5, 14.0),
         ("customer", "好的。", 14.5, 15.0),
         ("agent", "感谢接听，再见。", 15.5, 17.0))


def segmented_call(call_id: str, agent: str) -> Transcript:
    """A stored-transcript call (segments, as the recogniser gives them) that the machine passes: a reviewer can mark
    ``MISSED`` in its turn 2."""
    segments = tuple(Segment(start, end, speaker, text) for speaker, text, start, end in TURNS)
    return Transcript(call_id, call_id.encode().hex().ljust(64, "0")[:64], 17.0, "zh", "m", {}, segments,
                      metadata=CallMetadata(call_id, agent_id=agent, agent_name=agent, team="一组",
                                            started_at="2026-11-10T10:00:00+08:00", debtor_tz="Asia/Shanghai"))
