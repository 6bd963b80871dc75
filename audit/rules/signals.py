"""Customer-side signals for reviewers: vulnerability, complaint intent, dispute, promise to pay, abuse.

Checked on customer turns and on turns whose speaker is unknown, so that 「不想活了」 is never lost to a role the
recogniser could not assign. Negation applies (「我没说不还」 is not a dispute); reported speech does not, since the
customer's own words are what matter. Abuse in a turn of unknown speaker counts only in a sentence the reader's
second head reads as the other side's: there the insults are most often the agent's, and a finding already.
"""

from __future__ import annotations

from audit.models import Signal
from audit.rules import CUSTOMER_SIDE, CallView, in_their_words
from audit.rules.conduct import ConductRules
from audit.rulepack import RulePack


ABUSE = "customer_abuse"


def find_signals(pack: RulePack, call: CallView, borrowed: dict[str, ConductRules],
                 theirs: frozenset[tuple[int, int, int]] | None = None) -> list[Signal]:
    """``borrowed`` maps a signal to conduct rules it reuses (customer_abuse uses the insult lexicon). ``theirs``:
    sentences (turn, start, end in the canonical text) of turns of unknown speaker that the reader reads as the other
    side's words, or None without a reader."""
    signals: list[Signal] = []
    for view in call.turns:
        if view.speaker not in CUSTOMER_SIDE:
            continue
        text = view.canonical
        for rule in pack.signals:
            hit = None
            for pattern in rule.patterns:
                hit = next((m for m in pattern.finditer(text)
                            if not _negated(text, m.start())), None)
                if hit:
                    hit = (hit.start(), hit.end(), pattern.pattern)
                    break
            if hit is None and rule.signal in borrowed:
                conduct_hit = next(iter(borrowed[rule.signal].hits(view)), None)
                if conduct_hit:
                    hit = (conduct_hit[1], conduct_hit[2], conduct_hit[3])
            if hit is None:
                continue
            if rule.signal == ABUSE and not _theirs(view, hit[0], theirs):
                continue
            details = _promise_details(pack, text) if rule.signal == "promise_to_pay" else {}
            if rule.requires_amount_or_date and not details:
                continue
            start, end, quote = view.quote(hit[0], hit[1])
            signals.append(Signal(rule.signal, view.index, quote, start, end, hit[2], view.times(start, end)[0],
                                  details))
    return signals


def _theirs(view, at: int, theirs: frozenset[tuple[int, int, int]] | None) -> bool:
    """Whether the words at ``at`` of a customer-side turn are the other side's, as far as anything here can tell."""
    return view.speaker == "customer" or theirs is None or in_their_words(theirs, view.index, at)


def _negated(text: str, start: int) -> bool:
    window = text[max(0, start - 3):start]
    return bool(window) and window.endswith(("不", "没", "没有", "不会"))


def _promise_details(pack: RulePack, text: str) -> dict[str, str]:
    details = {}
    amount = pack.promise_amount.search(text)
    if amount:
        details["amount"] = amount.group(0)
    date = pack.promise_date.search(text)
    if date:
        details["date"] = date.group(0)
    return details
