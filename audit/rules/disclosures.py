"""Mandatory disclosures: was each said by the agent where it must be?

Each comes out present (with the turn and quote that satisfied it), missing, not_applicable (e.g. no repayment was
discussed, so no official channel was needed; or a third party answered, so the debt must not be discussed at all),
or unverifiable: the window has no agent speech, or its recognition was too poor to prove the words were not said.
"""

from __future__ import annotations

from bisect import bisect_left

from audit.models import DisclosureResult
from audit.rules import CallView, TurnView, clause_bounds
from audit.rulepack import DisclosureRule, RulePack

LOW_CONFIDENCE_LOGPROB = -1.0  # mean avg_logprob of a window's segments below this: absence cannot be proven
NOT_APPLICABLE_WHEN_THIRD_PARTY = frozenset({"purpose", "official_channel"})


def _first_match(rule: DisclosureRule, view: TurnView, before_char: int | None = None) -> tuple[int, int] | None:
    """The span of ``view.canonical`` (ending by ``before_char``) that says it, read as run together or, failing that,
    with the turn's pauses (see ``TurnView.paused``). Patterns see the whole turn: what follows a question says
    whether the agent waited for its answer."""
    for text, to_canonical in view.readings:
        limit = len(text) if before_char is None else (
            before_char if to_canonical is None else bisect_left(to_canonical, before_char))
        for pattern in rule.patterns:
            for match in pattern.finditer(text):
                if match.end() > limit:
                    break
                if not any(exception.search(text, max(0, match.start() - 6), match.end() + 6)
                           for exception in rule.exceptions):
                    return (match.start(), match.end()) if to_canonical is None else view.in_canonical(
                        match.start(), match.end())
    return None


def _steered_away(pack: RulePack, view: TurnView, span: tuple[int, int], steered) -> bool:
    """Whether the official channel at ``span`` (in ``view.canonical``) stands in a clause that steers the payment
    elsewhere."""
    start, end = view.original(*span)
    for turn, steer_start, steer_end in steered:
        if turn == view.index:
            clause_start, clause_end = clause_bounds(pack.scope, view.turn.text, steer_start, steer_end)
            if clause_start <= start and end <= clause_end:
                return True
    return False


def _window(rule: DisclosureRule, call: CallView) -> list[TurnView]:
    """The turns the disclosure must appear in: agent turns by run, plus unknown-speaker turns among them."""
    runs, total = call.agent_run_by_turn, call.agent_runs

    def in_window(run: int) -> bool:
        if rule.window == "first_agent_turn":
            return run == 0
        if rule.window == "first_agent_turns":
            return run < rule.n
        if rule.window == "last_agent_turns":
            return run >= total - rule.n
        return True

    chosen = [view for view in call.turns if view.index in runs and in_window(runs[view.index])]
    if not chosen:
        return [view for view in call.turns if view.speaker == "unknown"]
    # unknown-speaker turns may be the agent's words: those up to the agent's next turn outside the window count
    # (「喂 你好 是任晓燕吗」 and then only unknown turns: the agent's second and third turns are among them)
    outside = [view.index for view in call.turns if view.index in runs and not in_window(runs[view.index])]
    first = max((index for index in outside if index < chosen[0].index), default=-1) + 1
    last = min((index for index in outside if index > chosen[-1].index), default=len(call.turns)) - 1
    return [view for view in call.turns if first <= view.index <= last and
            (view.index in runs and in_window(runs[view.index]) or view.speaker == "unknown")]


def _present(rule: DisclosureRule, view: TurnView, span: tuple[int, int]) -> DisclosureResult:
    start, end, quote = view.quote(*span)
    return DisclosureResult(
        disclosure=rule.disclosure, status="present", rule_id=rule.id, turn=view.index, quote=quote,
        char_start=start, char_end=end, start_s=view.times(start, end)[0], legal_basis=rule.basis,
        explanation=f"{rule.description}: said in turn {view.index} 「{quote}」")


def _absent(rule: DisclosureRule, window: list[TurnView], what: str) -> DisclosureResult:
    agent_turns = [view for view in window if view.speaker == "agent"]
    logprobs = [view.turn.avg_logprob for view in window if view.turn.avg_logprob is not None]
    if not agent_turns:
        return DisclosureResult(rule.disclosure, "unverifiable", rule.id,
                                f"{rule.description}: no agent speech was recognised where it must be ({what})",
                                legal_basis=rule.basis)
    if logprobs and sum(logprobs) / len(logprobs) < LOW_CONFIDENCE_LOGPROB:
        return DisclosureResult(rule.disclosure, "unverifiable", rule.id,
                                f"{rule.description}: not found, but speech recognition of {what} was too poor "
                                "to prove it was not said", legal_basis=rule.basis)
    return DisclosureResult(rule.disclosure, "missing", rule.id, f"{rule.description}: not said {what}",
                            legal_basis=rule.basis)


def _first_debt_detail(pack: RulePack, call: CallView) -> tuple[int, int] | None:
    """(turn index, char offset) of the first debt detail the agent gave, or None."""
    for view in call.turns:
        if view.speaker != "agent":
            continue
        match = pack.third_party.debt_detail.search(view.canonical)
        if match:
            return view.index, match.start()
    return None


def check_disclosures(pack: RulePack, call: CallView, third_party_only: bool,
                      steered: tuple[tuple[int, int, int], ...] = ()) -> list[DisclosureResult]:
    """``third_party_only``: someone else answered and the debtor never came to the phone. ``steered``: (turn,
    char_start, char_end) of what steers the payment to an unofficial channel, in the turn's own text; an official
    channel named in the same clause (「App上慢，转我同事微信」) is named only to be avoided."""
    results = []
    repayment_discussed = any(pack.repayment_discussed.search(view.canonical) for view in call.turns)
    debt_detail = _first_debt_detail(pack, call)
    for rule in pack.disclosures:
        window = _window(rule, call)
        if rule.window == "before_debt_detail":
            if debt_detail is not None:
                detail_turn, detail_char = debt_detail
                window = [v for v in window if v.index <= detail_turn]
                found = next(((v, m) for v in window if (m := _first_match(
                    rule, v, detail_char if v.index == detail_turn else None))), None)
                results.append(_present(rule, *found) if found else _absent(
                    rule, window, f"before the first debt detail (turn {detail_turn})"))
                continue
        found = next(((v, m) for v in window if (m := _first_match(rule, v)) and not (
            rule.disclosure == "official_channel" and _steered_away(pack, v, m, steered))), None)
        if found:
            results.append(_present(rule, *found))
        elif third_party_only and rule.disclosure in NOT_APPLICABLE_WHEN_THIRD_PARTY:
            results.append(DisclosureResult(rule.disclosure, "not_applicable", rule.id,
                                            f"{rule.description}: a third party answered; the debt must not be "
                                            "discussed with them", legal_basis=rule.basis))
        elif (rule.applies_if == "repayment_discussed" and not repayment_discussed) or (
                rule.window == "before_debt_detail"):
            reason = "no repayment was discussed" if rule.applies_if else "no debt detail was given"
            results.append(DisclosureResult(rule.disclosure, "not_applicable", rule.id,
                                            f"{rule.description}: {reason}", legal_basis=rule.basis))
        else:
            where = {"first_agent_turn": "in the first agent turn",
                     "first_agent_turns": f"in the first {rule.n} agent turns",
                     "last_agent_turns": f"in the last {rule.n} agent turns"}.get(rule.window, "in the call")
            results.append(_absent(rule, window, where))
    return results
