"""The rule pack as the app browses it, and "try a sentence": what the rules make of one sentence."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from audit.models import Turn
from audit.rulepack import RulePack


def rule_pack_tables(pack: RulePack) -> dict[str, list[dict[str, Any]]]:
    """The rule pack as tables to browse: categories, conduct rules, disclosures, customer signals. A rule is shown
    by its id, category and explanation, its plain terms and how many patterns it has: never the regular
    expressions themselves, which say nothing to a reviewer (they are in lexicons/ for whoever edits them)."""
    rules = [{"rule_id": r.id, "category": r.category, "severity": r.severity, "description": r.description,
              "terms": "、".join(r.terms), "patterns": len(r.patterns),
              "token_patterns": len(r.token_patterns), "exceptions": len(r.exceptions),
              "legal_basis": "；".join(r.basis)} for r in pack.conduct_rules]
    counts: dict[str, int] = {}
    for rule in pack.conduct_rules:
        counts[rule.category] = counts.get(rule.category, 0) + 1
    return {
        "categories": [{"category": c.id, "severity": c.severity, "description_zh": c.description_zh,
                        "description": c.description, "rules": counts.get(c.id, 0), "legal_basis": "；".join(c.basis)}
                       for c in pack.categories.values()],
        "rules": rules,
        "disclosures": [{"rule_id": d.id, "disclosure": d.disclosure, "window": d.window + (f" ({d.n})" if d.n > 1
                                                                                             else ""),
                         "description": d.description, "patterns": len(d.patterns),
                         "legal_basis": "；".join(d.basis)} for d in pack.disclosures],
        "signals": [{"rule_id": s.id, "signal": s.signal, "description": s.description,
                     "patterns": len(s.patterns)} for s in pack.signals],
    }


@dataclass(frozen=True)
class Trial:
    """What the rules make of one sentence: findings (with the term or pattern that fired), customer signals, and
    how the sentence was read (homophones of lexicon words rewritten: 于七 -> 逾期)."""

    text: str
    speaker: str
    findings: tuple[dict[str, Any], ...]
    signals: tuple[dict[str, Any], ...]
    reading: str
    homophones: tuple[tuple[str, str], ...] = field(default_factory=tuple)


def try_sentence(auditor, text: str, speaker: str = "agent") -> Trial:
    """Audit one sentence as a one-turn call by ``speaker``: the same engine, precedence and scope rules as a call."""
    text = text.strip()
    if speaker not in ("agent", "customer", "unknown"):
        raise ValueError(f"speaker '{speaker}' is not agent, customer or unknown")
    if not text:
        return Trial(text, speaker, (), (), "")
    turns = (Turn(speaker, text),)
    audit = auditor.audit("try", turns)
    analyzed = auditor.view(turns).turns[0].analyzed
    return Trial(text, speaker, tuple(f.to_dict() for f in audit.findings), tuple(s.to_dict() for s in audit.signals),
                 analyzed.canonical, tuple((h.heard, h.term) for h in analyzed.homophones))
