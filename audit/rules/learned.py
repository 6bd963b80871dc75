"""Findings of the learned reader (``audit.reader``), held to the same scope as the rules.

Each sentence of an agent turn (or a turn whose speaker is unknown) is scored for every category. A category at or
above its threshold is a hit; the words that weighed most towards it are its evidence span, and that span passes
through the same scope checks as a rule hit (negation, disavowal, reported speech, quotation, lawful notice). What
survives becomes a finding with ``match_kind`` "model", the score, the sentence as quote, the category's legal basis
and ``needs_review``: only a person, or a rule, can confirm what a model alone saw.
"""

from __future__ import annotations

import re

from audit.models import Finding
from audit.reader import LearnedReader
from audit.rulepack import RulePack
from audit.rules import AGENT_SIDE, CallView, TurnView, best_per_category, out_of_scope

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


class ReaderFindings:
    def __init__(self, pack: RulePack, reader: LearnedReader):
        self.pack = pack
        self.reader = reader

    def find(self, call: CallView) -> list[Finding]:
        units = [(view, start, end) for view in call.turns if view.speaker in AGENT_SIDE
                 for start, end in sentence_spans(view.canonical)]
        scored = self.reader.hits([view.canonical[start:end] for view, start, end in units])
        findings = []
        for (view, start, end), hits in zip(units, scored):
            for hit in hits:
                finding = self._finding(view, start, end, hit)
                if finding is not None:
                    findings.append(finding)
        return best_per_category(findings)

    def _finding(self, view: TurnView, start: int, end: int, hit) -> Finding | None:
        text = view.canonical
        evidence_start, evidence_end = self.reader.evidence(text[start:end], hit.category)
        evidence_start, evidence_end = start + evidence_start, start + evidence_end
        if out_of_scope(self.pack.scope, text, evidence_start, evidence_end, hit.category, view.speaker) is not None:
            return None
        category = self.pack.categories[hit.category]
        char_start, char_end, quote = view.quote(start, end)
        start_s, end_s = view.times(char_start, char_end)
        explanation = (f"learned reader {self.reader.version}: {category.description_zh or category.description} "
                       f"(score {hit.score:.2f}, threshold {hit.threshold:.2f}); words that weighed most: "
                       f"「{text[evidence_start:evidence_end]}」; no rule confirms it: a reviewer decides")
        return Finding(
            rule_id=f"reader/{hit.category}", category=hit.category, severity=category.severity, turn=view.index,
            speaker=view.speaker, char_start=char_start, char_end=char_end, quote=quote,
            matched=text[evidence_start:evidence_end], match_kind="model", pinyin_match=False,
            legal_basis=category.basis, explanation=explanation, start_s=start_s, end_s=end_s, needs_review=True,
            score=round(hit.score, 4))
