"""Prohibited agent conduct: the twelve categories of ``lexicons/<profile>/conduct.yaml``.

A rule fires on a term (a lexicon phrase on word boundaries, homophones included), a pattern (a regex over the
canonical text, for paraphrases and proximity) or a token pattern (spaCy Matcher over the jieba tokens), in an agent turn or a turn whose speaker is unknown, unless the hit
is negated, reported speech, a lawful notice, or matches one of the rule's exceptions in the same clause.
"""

from __future__ import annotations

import re
from collections import defaultdict

from audit.models import Finding
from audit.nlp import Analyzer
from audit.rules import AGENT_SIDE, CallView, best_per_category, excepted, make_finding, out_of_scope
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
        # One scan of all patterns at once decides whether the per-rule scans are needed: most turns match none.
        self.any_pattern = re.compile("|".join(f"(?:{p.pattern})" for r in self.rules for p in r.patterns) or "(?!)")

    def hits(self, view) -> list[tuple[ConductRule, int, int, str, str]]:
        """Every (rule, start, end, matched, kind) in one turn that survives the scope checks."""
        scope = self.pack.scope
        text = view.canonical
        found = []
        for hit in self.analyzer.find_terms(view.analyzed, self.terms):
            for rule in self.rules_by_term[hit.term]:
                found.append((rule, hit.char_start, hit.char_end, hit.term, "term"))
        if self.any_pattern.search(text):
            for rule in self.rules:
                for pattern in rule.patterns:
                    for match in pattern.finditer(text):
                        if match.end() > match.start():
                            found.append((rule, match.start(), match.end(), pattern.pattern, "pattern"))
        for rule_id, start, end in self.match_tokens(view.analyzed):
            found.append((self.rules_by_id[rule_id], start, end, "token pattern", "token_pattern"))
        return [(rule, start, end, matched, kind) for rule, start, end, matched, kind in found
                if not excepted(rule, scope, text, start, end)
                and out_of_scope(scope, text, start, end, rule.category) is None]

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
