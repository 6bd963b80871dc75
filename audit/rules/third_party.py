"""Calls answered by someone other than the debtor.

The first customer-side turn that says who is on the line decides: a third party (「我是他妈妈」「他不在」) or the
debtor (「我就是」, or 「对」 to the agent's 「您是王芳本人吗」). When the person on the line fetches someone else
(「我叫她」), who listens is open again until the next answer: a third party's status ends when the debtor, handed
the phone, is verified. While a third party is on the line, every debt detail the agent gives is third_party_disclosure
(also details given before they said who they were, since they were on the line all along), and every demand that
they pay is third_party_collection. Asking them to pass on a message (「麻烦您转告他回电」) carries no debt detail
and fires nothing. A listener is told of the debt once: the first disclosure to them is the finding, and a later
「让他还钱」 to the same person tells them nothing new. The agent can say who is on the line too: a turn that puts the
debt on someone else (「他在我们这借的一万二」「你是他的担保人」) shows that whoever answered is not the debtor,
whatever name they answered to. A guarantor who signed is a party to the debt: what is said to them is held back, and
becomes a finding only if they deny having signed (「我就是个紧急联系人，啥都没签过」). So is someone the debtor, asked
on the call, lets speak for them (「您同意让您朋友来跟我沟通吗」「对，我同意」). In a turn of unknown speaker, a sentence
the reader reads as the other side's (「是不是又欠钱了 你跟我讲」「他欠钱关我什么事」) is the listener's, and tells nobody
anything.
"""

from __future__ import annotations

from dataclasses import dataclass

from audit.models import Finding
from audit.rules import (AGENT_SIDE, CUSTOMER_SIDE, CallView, best_per_category, in_their_words, make_finding,
                         out_of_scope)
from audit.rulepack import RulePack


def _line_holder(pack: RulePack, text: str, asked_if_debtor: bool, asked_if_known: bool, opening: bool) -> str | None:
    """Who a customer-side turn says is on the line: "debtor", "third_party", "handover" (someone else is being
    fetched) or None (it does not say). A no to 「是王芳吗」, or a post of their own (「我是会计」), says someone else
    only while nobody has said who is on the line (``opening``): later in the call 「是故意不还吗」「不是」 is the debtor
    answering, and 「我是会计 账我算得明白」 the debtor speaking of their job."""
    config = pack.third_party
    if any(p.search(text) for p in config.right_party):
        return "debtor"
    # a yes that goes on to say who they are is that: 「是，我是他妈」 to 「是马有德家吗」
    if any(p.search(text) for p in config.answer) or (opening and any(p.search(text) for p in config.own_post)):
        return "third_party"
    if asked_if_debtor and config.affirmative.search(text):
        return "debtor"
    if (asked_if_known and config.acquaintance_answer.search(text)) or (
            asked_if_debtor and opening and config.denial.search(text)):
        return "third_party"
    if any(p.search(text) for p in config.handover):
        return "handover"
    return None


def _asks_if_debtor(pack: RulePack, text: str) -> bool:
    config = pack.third_party
    return bool(config.verification_question.search(text)) and not config.not_verification.search(text)


def _discloses(config, findings: list[Finding]) -> bool:
    return any(f.category == config.disclosure_rule.category for f in findings)


@dataclass(frozen=True)
class OnTheLine:
    """Who the agent spoke to, as the exchange shows it."""
    third_party_answered: bool
    debtor_reached: bool  # the debtor said so, or was fetched to the phone (「我叫她下来」)
    findings: tuple[Finding, ...]
    # agent turns said to a guarantor who did not deny signing: asking them to pay is lawful there, whichever rule
    # read it as a demand on a third party
    to_guarantor: frozenset[int]
    # agent turns said while the debtor, verified, is on the line
    to_debtor: frozenset[int] = frozenset()


def find_third_party(pack: RulePack, call: CallView,
                     theirs: frozenset[tuple[int, int, int]] = frozenset()) -> OnTheLine:
    """``theirs``: sentences (turn, start, end in the canonical text) of turns of unknown speaker that the reader reads
    as the other side's words."""
    config = pack.third_party
    scope = pack.scope
    holder: str | None = None
    answered = reached = False
    pending: list[Finding] = []  # agent debt details before anyone said who they are
    findings: list[Finding] = []
    told = False  # the person on the line has already been given a debt detail
    guarantor: str | None = None  # the person on the line is said to have signed for the debt ("said"), or denied it
    withheld: list[Finding] = []  # what was said to them as a guarantor, a finding only if they deny it
    to_guarantor: set[int] = set()  # agent turns said to them as a guarantor
    to_debtor: set[int] = set()
    asked_if_debtor = asked_if_known = False  # the last agent turn asked whether this is the debtor / knows them
    asked_consent = False  # the last agent turn asked whether the debtor lets someone else speak for them
    for view in call.turns:
        text = view.canonical
        # read run together, then with the pauses that end an answer (「是我 什么事」「不是 我是他拉长」)
        # a turn of unknown speaker that puts the debt on someone else (「他在我们汇泽借了八千」) is the agent's, not the
        # answer 「他在上班」 its first words look like
        puts_debt_elsewhere = view.speaker in AGENT_SIDE and any(p.search(text) for p in config.agent_says_third_party)
        said = next((who for reading, _ in view.readings if (who := _line_holder(
            pack, reading, asked_if_debtor, asked_if_known, holder is None))), None) if (
            view.speaker == "customer" or (view.speaker in CUSTOMER_SIDE and not puts_debt_elsewhere)) else None
        if view.speaker in CUSTOMER_SIDE and guarantor == "said" and config.not_guarantor.search(text):
            findings.extend(withheld)
            told = told or _discloses(config, withheld)
            guarantor, withheld = "disputed", []
            to_guarantor.clear()
        if view.speaker == "customer" or said:  # an unknown speaker saying who they are is the customer side
            if said in ("handover", "debtor"):
                guarantor, withheld = None, []  # someone else on the line now
            if view.speaker == "customer" and guarantor is None and config.guarantor.search(text):
                guarantor = "said"
            if asked_consent and guarantor is None and config.consent_given.search(text):
                guarantor = "said"  # a party by the debtor's leave: held back as for one who signed
            if said == "third_party" and holder is None and guarantor == "said":
                withheld.extend(pending)
            elif said == "third_party" and holder is None:
                findings.extend(pending)
                told = _discloses(config, pending)
            elif said and not said == holder == "third_party":
                told = False
            if said == "third_party" and any(p.search(text) for p in config.handover):
                said = "handover"  # 「不是，我是她同事，我叫她下来」: who they are, then the debtor fetched
                answered = True
            if said:
                holder = None if said == "handover" else said
                answered = answered or said == "third_party"
                reached = reached or said in ("debtor", "handover")
                pending = []
            asked_if_debtor = asked_if_known = asked_consent = False
            continue
        agent = view.speaker in AGENT_SIDE
        names_guarantor = agent and bool(config.guarantor.search(text))
        if names_guarantor and guarantor is None:
            guarantor = "said"
        if puts_debt_elsewhere:
            if holder is None and guarantor == "said":
                withheld.extend(pending)
            elif holder is None:
                findings.extend(pending)
                told = _discloses(config, pending)
            holder, pending = "third_party", []
            answered = True
        # 「请问是李先生吗 蒋秀兰留的紧急联系人是你」 asks who the contact is, and 「您签的是连带责任保证人，麻烦报一下身份证后
        # 四位」 checks the guarantor: neither asks whether this is the debtor
        asked_if_debtor = agent and _asks_if_debtor(pack, text) and not (puts_debt_elsewhere or names_guarantor)
        asked_if_known = agent and bool(config.acquaintance_question.search(text))
        asked_consent = agent and bool(config.consent_asked.search(text))
        if agent and guarantor == "said":
            to_guarantor.add(view.index)
        if agent and holder == "debtor":
            to_debtor.add(view.index)
        if not agent or holder == "debtor":
            continue
        turn_findings = []

        def agents_words(match) -> bool:
            return not in_their_words(theirs, view.index, match.start())

        for match in [] if told else filter(agents_words, config.debt_detail.finditer(text)):
            if out_of_scope(scope, text, match.start(), match.end(), config.disclosure_rule.category,
                            view.speaker, view.pauses) is None:
                turn_findings.append(make_finding(
                    config.disclosure_rule, view, match.start(), match.end(), config.debt_detail.pattern, "context",
                    f"debt detail 「{match.group(0)}」 given while the person on the line "
                    "is not the debtor"))
        if holder == "third_party":
            for pattern in config.collection_rule.patterns:
                for match in filter(agents_words, pattern.finditer(text)):
                    if out_of_scope(scope, text, match.start(), match.end(), "third_party_collection",
                                    view.speaker, view.pauses) is None:
                        turn_findings.append(make_finding(
                            config.collection_rule, view, match.start(), match.end(), pattern.pattern, "context",
                            f"「{match.group(0)}」 asks a non-debtor to pay"))
            if guarantor == "said":
                withheld.extend(turn_findings)
            else:
                findings.extend(turn_findings)
                told = told or _discloses(config, turn_findings)
        else:
            pending.extend(turn_findings)
    return OnTheLine(answered, reached, tuple(best_per_category(findings)), frozenset(to_guarantor),
                     frozenset(to_debtor))
