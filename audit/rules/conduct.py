"""Prohibited agent conduct: the twelve categories of ``lexicons/<profile>/conduct.yaml``.

A rule fires on a term (a lexicon phrase on word boundaries, homophones included), a pattern (a regex over the
canonical text, for paraphrases and proximity) or a token pattern (spaCy Matcher over the jieba tokens), in an agent turn or a turn whose speaker is unknown, unless the hit
is negated, reported speech, a lawful notice, or matches one of the rule's exceptions in the same clause.
"""

from __future__ import annotations

import re
import re._constants as _c
import re._parser as _parser
from collections import defaultdict

from audit.models import Finding
from audit.nlp import Analyzer
from audit.rules import (AGENT_SIDE, CallView, best_per_category, excepted, make_finding, out_of_context,
                         out_of_scope)
from audit.rulepack import ConductRule, RulePack


class ConductRules:
    def __init__(self, pack: RulePack, analyzer: Analyzer, categories: tuple[str, ...] | None = None):
        self.pack = pack
        self.analyzer = analyzer
        self.rules = tuple(r for r in pack.conduct_rules if categories is None or r.category in categories)
        self.rules_by_term: dict[str, list[ConductRule]] = defaultdict(list)
        for rule in self.rules:
            for term in rule.terms:
                self.rules_by_term[term].append(rule)
        self.terms = frozenset(self.rules_by_term)
        self.rules_by_id = {rule.id: rule for rule in self.rules}
        self.match_tokens = analyzer.token_matcher({r.id: r.token_patterns for r in self.rules if r.token_patterns},
                                                   {r.id: r.where for r in self.rules})
        # Each pattern is indexed by characters one of which any match must contain, so a turn is searched only with
        # the patterns its characters allow (a re-audit of thousands of calls spent most of its regex time failing).
        self.patterns = tuple((rule, pattern) for rule in self.rules for pattern in rule.patterns)
        self._always: list[int] = []
        self._by_char: dict[str, list[int]] = defaultdict(list)
        for index, (_, pattern) in enumerate(self.patterns):
            chars = required_chars(pattern)
            if chars is None:
                self._always.append(index)
            else:
                for char in chars:
                    self._by_char[char].append(index)

    def hits(self, view) -> list[tuple[ConductRule, int, int, str, str]]:
        """Every (rule, start, end, matched, kind) in one turn that survives the scope checks."""
        scope = self.pack.scope
        text = view.canonical
        found = []
        for hit in self.analyzer.find_terms(view.analyzed, self.terms):
            for rule in self.rules_by_term[hit.term]:
                found.append((rule, hit.char_start, hit.char_end, hit.term, "term"))
        candidates = set(self._always)
        for char in set(text):
            candidates.update(self._by_char.get(char, ()))
        for index in sorted(candidates):  # the rule pack's order, as if every pattern were tried
            rule, pattern = self.patterns[index]
            for match in pattern.finditer(text):
                if match.end() > match.start():
                    found.append((rule, match.start(), match.end(), pattern.pattern, "pattern"))
        for rule_id, start, end in self.match_tokens(view.analyzed):
            found.append((self.rules_by_id[rule_id], start, end, "token pattern", "token_pattern"))
        return [(rule, start, end, matched, kind) for rule, start, end, matched, kind in found
                if not excepted(rule, scope, text, start, end) and not out_of_context(rule, text, start, end)
                and out_of_scope(scope, text, start, end, rule.category, view.speaker,
                                     view.pauses) is None]

    def find(self, call: CallView) -> list[Finding]:
        findings = []
        for view in call.turns:
            if view.speaker not in AGENT_SIDE:
                continue
            for rule, start, end, matched, kind in self.hits(view):
                why = f"term 「{matched}」" if kind == "term" else "pattern matched"
                findings.append(make_finding(rule, view, start, end, matched, kind,
                                             f"{why} in 「{view.canonical[start:end]}」"))
        return best_per_category(findings)


def required_chars(pattern: re.Pattern) -> frozenset[str] | None:
    """Characters of which every match of ``pattern`` contains at least one (from its most selective mandatory
    element), or None when no such set is known (the pattern must then always be tried)."""
    if pattern.flags & re.IGNORECASE:
        return None
    try:
        return _sequence_chars(_parser.parse(pattern.pattern, pattern.flags))
    except Exception:  # the parser is CPython's own; on any surprise, fall back to always trying the pattern
        return None


# Characters in nearly every turn: indexing a pattern by one of them would try it on nearly every turn.
_COMMON_CHARS = frozenset("你您我他她它们的了是在有不就要这那给把被去到来人会说个也都还没吗呢吧啊一")


def _sequence_chars(items) -> frozenset[str] | None:
    best, best_cost = None, 0
    for op, arg in items:
        chars = _element_chars(op, arg)
        if chars is None:
            continue
        cost = sum(20 if char in _COMMON_CHARS else 1 for char in chars)
        if best is None or cost < best_cost:
            best, best_cost = chars, cost
    return best


def _element_chars(op, arg) -> frozenset[str] | None:
    if op is _c.LITERAL:
        return frozenset(chr(arg))
    if op is _c.IN:  # a class of plain characters; ranges, categories and negated classes are not narrowed
        return frozenset(chr(value) for _, value in arg) if all(kind is _c.LITERAL for kind, _ in arg) else None
    if op is _c.SUBPATTERN:
        _, add_flags, _, body = arg
        return None if add_flags & re.IGNORECASE else _sequence_chars(body)
    if op in (_c.MAX_REPEAT, _c.MIN_REPEAT, _c.POSSESSIVE_REPEAT):
        minimum, _, body = arg
        return _sequence_chars(body) if minimum >= 1 else None
    if op is _c.BRANCH:  # every alternative must promise a character
        alternatives = [_sequence_chars(branch) for branch in arg[1]]
        return None if any(chars is None for chars in alternatives) else frozenset().union(*alternatives)
    return None  # anchors, lookarounds, '.', back-references: nothing promised
