"""Findings of the learned reader (``audit.reader``), held to the same scope as the rules.

Each sentence of an agent turn (or a turn whose speaker is unknown) is scored for every category. A category at or
above its threshold is a hit; the words that weighed most towards it are its evidence span, and that span passes
through the same scope checks as a rule hit (negation, disavowal, reported speech, quotation, lawful notice). What
survives becomes a finding with ``match_kind`` "model", the score, the sentence as quote, the category's legal basis
and ``needs_review``: only a person, or a rule, can confirm what a model alone saw. The other way round, a rule's
hit in a sentence the reader scores as clean in every category (``RULE_SET_ASIDE_BELOW``; a higher bar in a turn of
unknown speaker, where the words may be the customer's) is set aside, and in a turn of unknown speaker so is all
that a sentence the reader's second head reads as the other side's words would yield (``audit.other_side_training``).
"""

from __future__ import annotations

import re

import numpy as np

from audit.models import Finding
from audit.reader import LearnedReader
from audit.rulepack import RulePack
from audit.rules import (AGENT_SIDE, CallView, TurnView, best_per_category, clause_bounds, customers_voice,
                         out_of_scope)

_SENTENCE = re.compile(r"[^。！？!?；;\n]+[。！？!?；;\n]*")
_EDGE = "，。！？!?；;,、：: \n"
MIN_SENTENCE_CHARS = 4


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """The sentences of a turn, as spans without their edge punctuation."""
    spans = []
    for match in _SENTENCE.finditer(text):
        start, end = match.start(), match.end()
        while start < end and text[start] in _EDGE:
            start += 1
        while end > start and text[end - 1] in _EDGE:
            end -= 1
        if end - start >= MIN_SENTENCE_CHARS:
            spans.append((start, end))
    return spans


# A rule's hit in a sentence the reader gives under this score in every category is set aside: the reader, trained on
# negations, warnings and advice in every register, reads the sentence as lawful talk that shares the rule's words
# (「任何人叫你转私人账户都毋通转」「跟家里人周转是您自己的安排，别为了还款去借网贷」). On l28–l31, which neither the rules
# nor the reader had seen, the rules' 100 right findings all sat at 0.2 or above and 6 of their 7 wrong ones under it,
# 5 of those under 0.1 (all in violation-free calls). On the other opened splits, with a reader fitted without them
# (and rules written on them), 16 of 1,018 right findings sat under 0.1, and critical-call recall went from 0.976 to
# 0.973 (2 of 747 calls). A sentence too short to weigh (MIN_FINDING_CJK_CHARS) sets nothing aside in an agent's turn:
# there the reader's doubt about 「我黑白两道都有人」 is no reading of lawful talk.
RULE_SET_ASIDE_BELOW = 0.1
# In a turn of unknown speaker half the words are the customer's (「你不要逼我，人家欠我的钞票也收勿回来」), and a rule
# reading them is wrong; what the collector says there, the reader sees plainly. On all opened splits, with a reader
# fitted without them, the rules' 53 right findings in such turns scored 0.75 or more, their wrong ones 0.02 to 0.11.
RULE_SET_ASIDE_BELOW_UNKNOWN_SPEAKER = 0.3
# and a finding of the reader alone there needs this score: on the same splits, its findings in such turns scoring
# 0.9 or more were right 29 times and wrong twice, those under it right twice and wrong 8 times.
MIN_FINDING_SCORE_UNKNOWN_SPEAKER = 0.9

# A sentence this short gives the reader too few words to weigh: one n-gram decides (「这礼拜哪天」 read as menace for
# 哪天, 「我试试吧」). On all opened splits, with a reader fitted without them, its findings on sentences of under 9
# Chinese characters were right 9 times and wrong 110; from 9 to 11 characters, right 22 and wrong 35; from 12, right
# 856 and wrong 163. Such a sentence is still scored (it may set a rule's hit aside) and rules still read it.
MIN_FINDING_CJK_CHARS = 9
# How many times a sentence is read again without a phrase that scope took out (``_evidence_in_scope``).
SCOPE_REREADS = 2
_CJK = re.compile(r"[\u4e00-\u9fff]")


def _too_short(text: str) -> bool:
    """Whether a sentence has too few Chinese characters for the reader to weigh (``MIN_FINDING_CJK_CHARS``)."""
    return len(_CJK.findall(text)) < MIN_FINDING_CJK_CHARS


class ReaderFindings:
    def __init__(self, pack: RulePack, reader: LearnedReader):
        self.pack = pack
        self.reader = reader

    def score(self, call: CallView) -> list[tuple[TurnView, int, int, np.ndarray, bool]]:
        """Every sentence of every agent-side turn, with the reader's score for each category, and whether it reads
        as the other side's words (only asked in a turn of unknown speaker)."""
        units = [(view, start, end) for view in call.turns if view.speaker in AGENT_SIDE
                 for start, end in sentence_spans(view.canonical)]
        scores, other_side = self.reader.read([view.canonical[start:end] for view, start, end in units])
        return [(view, start, end, row, view.speaker != "agent" and bool(other >= self.reader.other_side_bar))
                for (view, start, end), row, other in zip(units, scores, other_side)]

    def find(self, call: CallView, scored: list | None = None) -> list[Finding]:
        findings = []
        for view, start, end, row, theirs in self.score(call) if scored is None else scored:
            if theirs or _too_short(view.canonical[start:end]):
                continue
            for hit in self.reader.above(row):
                if view.speaker != "agent" and hit.score < MIN_FINDING_SCORE_UNKNOWN_SPEAKER:
                    continue
                finding = self._finding(view, start, end, hit)
                if finding is not None:
                    findings.append(finding)
        return best_per_category(findings)

    def reads_lawful(self, call: CallView, finding: Finding, scored: list) -> bool:
        """Whether the reader scores the sentence of a rule's finding under RULE_SET_ASIDE_BELOW in every category (if
        it has words enough to weigh; under RULE_SET_ASIDE_BELOW_UNKNOWN_SPEAKER in a turn of unknown speaker, or
        reads it there as the other side's words). Findings that rest on who is listening (third parties) are the
        rules' alone: the reader cannot see that."""
        if finding.match_kind in ("context", "model"):
            return False
        for view, start, end, row, theirs in scored:
            if view.speaker == "agent":
                set_aside = row.max() < RULE_SET_ASIDE_BELOW and not _too_short(view.canonical[start:end])
            else:
                set_aside = theirs or row.max() < RULE_SET_ASIDE_BELOW_UNKNOWN_SPEAKER
            if view.index == finding.turn and set_aside:
                sentence_start, sentence_end = view.original(start, end)
                if sentence_start <= finding.char_start and finding.char_end <= sentence_end:
                    return True
        return False

    def _evidence_in_scope(self, view: TurnView, start: int, end: int, hit) -> tuple[int, int, float] | None:
        """The words that weighed most towards the hit's category, where scope lets them stand, and the score of what
        was read. Where scope takes them out (negated, reported, disavowed), the phrase they stand in is left out and
        the rest of the sentence read again: a sentence may deny one thing and threaten another (「牛丢了那是你自己没
        看住 还有啊 你家小子在镇上二小念三年级对吧」), and scope, like the rules', reaches one phrase, not the sentence."""
        text, scope = view.canonical, self.pack.scope
        column = self.reader.categories.index(hit.category)
        kept, score = list(range(start, end)), hit.score
        for attempt in range(SCOPE_REREADS + 1):
            read = "".join(text[at] for at in kept)
            if attempt:
                score = float(self.reader.probabilities([read])[0][column])
                if score < hit.threshold:
                    return None
            evidence_start, evidence_end = self.reader.evidence(read, hit.category)
            evidence_start, evidence_end = kept[evidence_start], kept[evidence_end - 1] + 1
            # words that run from a condition into its consequence (「他再唔覆电话 我哋就打畀佢通讯录」 weighed as
            # 「电话我们就打给他通讯录」) are the consequence's: what the condition negates is no denial of the threat
            markers = list(scope.conditional_markers.finditer(text, evidence_start + 1, evidence_end - 2))
            if markers:
                evidence_start = markers[-1].end()
            if customers_voice(scope, text, evidence_start, evidence_end, hit.category, view.speaker):
                return None  # what the reader weighed most is the customer's: so is the sentence it read
            if out_of_scope(scope, text, evidence_start, evidence_end, hit.category, view.speaker,
                            view.pauses) is None:
                return evidence_start, evidence_end, score
            phrase_start, phrase_end = clause_bounds(scope, text, evidence_start, evidence_end)
            phrase_start = max([phrase_start] + [at for at in view.pauses if at <= evidence_start])
            phrase_end = min([phrase_end] + [at for at in view.pauses if at >= evidence_end])
            kept = [at for at in kept if not phrase_start <= at < phrase_end]
            if _too_short("".join(text[at] for at in kept)):
                return None
        return None

    def _finding(self, view: TurnView, start: int, end: int, hit) -> Finding | None:
        text = view.canonical
        found = self._evidence_in_scope(view, start, end, hit)
        if found is None:
            return None
        evidence_start, evidence_end, score = found
        scope = self.pack.scope
        # the reader weighs the whole sentence, so what the consequence waits on counts anywhere in it
        # (「起诉以后法院判了你还不履行，就是强制执行」, where the words that weighed most come first)
        if hit.category in scope.lawful_categories and scope.lawful_condition.search(text, start, end):
            return None
        category = self.pack.categories[hit.category]
        char_start, char_end, quote = view.quote(start, end)
        start_s, end_s = view.times(char_start, char_end)
        explanation = (f"learned reader {self.reader.version}: {category.description_zh or category.description} "
                       f"(score {score:.2f}, threshold {hit.threshold:.2f}); words that weighed most: "
                       f"「{text[evidence_start:evidence_end]}」; no rule confirms it: a reviewer decides")
        return Finding(
            rule_id=f"reader/{hit.category}", category=hit.category, severity=category.severity, turn=view.index,
            speaker=view.speaker, char_start=char_start, char_end=char_end, quote=quote,
            matched=text[evidence_start:evidence_end], match_kind="model", pinyin_match=False,
            legal_basis=category.basis, explanation=explanation, start_s=start_s, end_s=end_s, needs_review=True,
            score=round(score, 4))
