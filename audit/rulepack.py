"""The rule pack: one profile folder of YAML under ``lexicons/`` (default ``cn``), validated and compiled at load.

Every rule has a stable id, a category, a severity and its legal basis; the pack's version is the hash of its files'
content and is recorded with every audit, so a finding can always be traced to the exact rules that produced it.
A broken file is a ``LexiconError`` naming the file, the line and the field.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from audit.datafile import Keys, LineMap, ListOf, content_version, fields, load, plain
from audit.errors import LexiconError
from audit.lexicons import lexicon_dir
from audit.models import SEVERITIES
CONDUCT_CATEGORIES = ("violence_threat", "intimidation", "impersonation", "false_legal_threat", "insult",
                      "third_party_disclosure", "privacy_exposure", "harassment", "induce_borrowing",
                      "unofficial_channel", "third_party_collection", "improper_conduct")
DISCLOSURES = ("greeting", "agent_identity", "institution", "right_party_verification", "purpose",
               "recording_notice", "official_channel", "closing")
WINDOWS = ("first_agent_turn", "first_agent_turns", "before_debt_detail", "anywhere", "last_agent_turns")
SIGNALS = ("customer_abuse", "vulnerability", "complaint_intent", "dispute", "promise_to_pay")
MAX_PATTERN_CHARS = 2_000
_RULE_ID = re.compile(r"^[A-Z]{2,4}-[A-Z]{3,5}-\d{3}$")


@dataclass(frozen=True)
class Category:
    id: str
    severity: str
    basis: tuple[str, ...]
    description: str
    description_zh: str = ""


@dataclass(frozen=True)
class ConductRule:
    id: str
    category: str
    severity: str
    description: str
    basis: tuple[str, ...]
    terms: tuple[str, ...] = ()
    patterns: tuple[re.Pattern, ...] = ()
    exceptions: tuple[re.Pattern, ...] = ()
    # A hit stands only where one of these matches in the same sentence: words that are a courtesy on their own
    # (开车注意安全) are menace only next to pressure, harm or the debtor's family.
    context: tuple[re.Pattern, ...] = ()
    # spaCy Matcher patterns over jieba tokens, e.g. [{"TEXT": "陪"}, {"TEXT": "我"}, {"TEXT": {"IN": ["吃饭"]}}]
    token_patterns: tuple[tuple[dict, ...], ...] = ()
    where: str = ""  # "conduct.yaml, line 12": for errors found when the patterns are compiled
    description_zh: str = ""  # the description as a Chinese-reading reviewer sees it


@dataclass(frozen=True)
class DisclosureRule:
    id: str
    disclosure: str
    window: str
    description: str
    basis: tuple[str, ...]
    patterns: tuple[re.Pattern, ...]
    exceptions: tuple[re.Pattern, ...] = ()
    n: int = 1
    applies_if: str | None = None
    description_zh: str = ""


@dataclass(frozen=True)
class SignalRule:
    id: str
    signal: str
    description: str
    patterns: tuple[re.Pattern, ...]
    from_categories: tuple[str, ...] = ()
    requires_amount_or_date: bool = False
    description_zh: str = ""


@dataclass(frozen=True)
class ThirdPartyConfig:
    answer: tuple[re.Pattern, ...]
    # a post of their own (「我是前台」): someone else, but only while nobody has said who is on the line
    own_post: tuple[re.Pattern, ...]
    right_party: tuple[re.Pattern, ...]
    handover: tuple[re.Pattern, ...]  # the person on the line fetches someone else: who listens is open again
    verification_question: re.Pattern  # an agent turn asking whether this is the debtor
    not_verification: re.Pattern  # ...unless it asks about a relationship (是他家属吗)
    affirmative: re.Pattern  # a customer-side turn that answers yes
    denial: re.Pattern  # ...or no: asked first thing whether this is the debtor, someone else is on the line
    acquaintance_question: re.Pattern  # an agent turn asking whether they know the debtor (朱建国你认识吧)
    acquaintance_answer: re.Pattern  # ...answered yes: the person on the line is someone else
    agent_says_third_party: tuple[re.Pattern, ...]  # an agent turn that puts the debt on someone else (他在我们这借的)
    guarantor: re.Pattern  # a turn that says the listener signed for the debt (您是签了字的担保人)
    not_guarantor: re.Pattern  # ...and the listener's answer that they did not (我就是个紧急联系人，啥都没签)
    consent_asked: re.Pattern  # an agent turn asking whether the debtor lets someone else speak for them
    consent_given: re.Pattern  # ...and the customer side's yes: that person is a party, as a guarantor is
    guarantor_liability: re.Pattern  # the liability a guarantor signed for (连带责任): true when told to them
    debt_detail: re.Pattern
    disclosure_rule: ConductRule
    collection_rule: ConductRule
    # a demand said to the debtor names someone else who should pay (「让你老婆家里出这个钱」), or it is no
    # third-party collection
    someone_else: tuple[re.Pattern, ...] = ()


@dataclass(frozen=True)
class ScopeConfig:
    clause_breaks: re.Pattern
    negation_cue: re.Pattern
    negation_window_chars: int
    weak_negation_cue: re.Pattern
    weak_negation_window_chars: int
    conditional_markers: re.Pattern
    negation_frame: re.Pattern
    negation_past_pause: re.Pattern
    reported_speech: re.Pattern
    disavowal: re.Pattern
    warning_after: re.Pattern
    lawful_notice: re.Pattern
    lawful_categories: frozenset[str]
    lawful_condition: re.Pattern
    # categories the condition frames although the cue does not: a veiled consequence after a judgment not
    # performed (「判决以后不履行的，法院可以强制执行，后果要您自己承担」) is that lawful consequence
    condition_categories: frozenset[str]
    # a visit announced as the rules for one ask (ahead, with a badge, with consent): no menace in these categories
    lawful_visit: re.Pattern | None
    lawful_visit_categories: frozenset[str]
    customer_voice: re.Pattern
    customer_voice_not_for: frozenset[str]
    # words aimed at the collectors as a group (「你们这帮催收的」): the customer's voice for every category, insults too
    at_collectors: re.Pattern
    # ...and the same a few words after the hit, in its sentence (「吃完再打你一顿 哈哈哈 你们这些催债的」)
    at_collectors_after: re.Pattern
    yields_to: dict[str, frozenset[str]] = field(default_factory=dict)


@dataclass(frozen=True)
class CallTimeConfig:
    rule_id: str
    quiet_start: str
    quiet_end: str
    severity: str
    basis: tuple[str, ...]
    description: str
    description_zh: str = ""


@dataclass(frozen=True)
class ContactLimit:
    """At most ``max_contacts`` attempts of a kind (answered, unanswered, all) per debtor or per number within
    ``window_days`` days ending on each day, checked against dial logs (``audit.qa.dials``)."""

    rule_id: str
    counts: str
    per: str
    window_days: int
    max_contacts: int
    severity: str
    basis: tuple[str, ...]
    description: str


CONTACT_COUNTS = ("answered", "unanswered", "all")
CONTACT_PER = ("debtor", "number")


@dataclass(frozen=True)
class RulePack:
    profile: str
    name: str
    version: str
    path: str
    categories: dict[str, Category]
    conduct_rules: tuple[ConductRule, ...]
    disclosures: tuple[DisclosureRule, ...]
    repayment_discussed: re.Pattern
    signals: tuple[SignalRule, ...]
    promise_amount: re.Pattern
    promise_date: re.Pattern
    third_party: ThirdPartyConfig
    scope: ScopeConfig
    call_time: CallTimeConfig
    vocabulary: tuple[str, ...]
    # dialect function words -> the Mandarin words of the same length the rules and the reader read them as
    dialect_words: dict[str, str] = field(default_factory=dict)
    file_versions: dict[str, str] = field(default_factory=dict)
    contact_limits: tuple[ContactLimit, ...] = ()

    def terms(self) -> set[str]:
        return {term for rule in self.conduct_rules for term in rule.terms}

    def descriptions(self) -> dict[str, tuple[str, str]]:
        """Every rule id of the pack -> its description in Chinese and in English (the Chinese one falls back to the
        English where the pack gives none), for pages that explain a finding in the reader's language."""
        rules = [*self.conduct_rules, *self.disclosures, *self.signals, self.third_party.disclosure_rule,
                 self.third_party.collection_rule]
        found = {rule.id: (rule.description_zh or rule.description, rule.description) for rule in rules}
        found[self.call_time.rule_id] = (self.call_time.description_zh or self.call_time.description,
                                         self.call_time.description)
        return found


# ---------------------------------------------------------------------------------------------------------------------
# Checking values (the files are read by audit.datafile; these name the key of a value that is wrong)


def _require(where: LineMap, key: str, kind: type | tuple[type, ...]) -> Any:
    if key not in where:
        raise where.error(key, "missing")
    value = where[key]
    if not isinstance(value, kind):
        names = kind.__name__ if isinstance(kind, type) else " or ".join(k.__name__ for k in kind)
        raise where.error(key, f"must be a {names}")
    return value


def _entries(where: LineMap, key: str) -> list[LineMap]:
    entries = _require(where, key, list)
    if not all(isinstance(entry, LineMap) for entry in entries):
        raise where.error(key, "every entry must be a mapping")
    return entries


def _strings(where: LineMap, key: str, required: bool = False) -> tuple[str, ...]:
    value = where.get(key)
    if value is None and not required:
        return ()
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(item, str) and item.strip() for item in value):
        raise where.error(key, "must be a list of non-empty strings")
    return tuple(item.strip() for item in value)


def _compile(where: LineMap, key: str, text: str) -> re.Pattern:
    if len(text) > MAX_PATTERN_CHARS:
        raise where.error(key, f"pattern longer than {MAX_PATTERN_CHARS} characters")
    try:
        return re.compile(text)
    except re.error as error:
        raise where.error(key, f"invalid regular expression {text!r}: {error}") from error


def _regex(where: LineMap, key: str) -> re.Pattern:
    return _compile(where, key, _require(where, key, str))


def _regexes(where: LineMap, key: str, required: bool = False) -> tuple[re.Pattern, ...]:
    return tuple(_compile(where, key, text) for text in _strings(where, key, required))


def _chinese(where: LineMap) -> str:
    """The optional ``description_zh``: when given, a non-empty string."""
    value = where.get("description_zh", "")
    if not isinstance(value, str) or ("description_zh" in where and not value.strip()):
        raise where.error("description_zh", "must be a non-empty string (the description in Chinese)")
    return value.strip()


def _severity(where: LineMap, default: str | None = None) -> str:
    severity = where.get("severity", default)
    if severity not in SEVERITIES:
        raise where.error("severity", f"must be one of {', '.join(SEVERITIES)}")
    return severity


# ---------------------------------------------------------------------------------------------------------------------
# Each file: the keys it may have, then what they mean


CONDUCT_FILE = Keys({
    "fragments": None,
    "categories": fields(*CONDUCT_CATEGORIES, shape=fields("severity", "basis", "description", "description_zh"),
                         noun="category"),
    "rules": ListOf(fields("id", "category", "severity", "description", "description_zh", "terms", "patterns",
                           "exceptions", "context", "token_patterns")),
})


def _load_conduct(data: LineMap, shared: dict[str, str]) -> tuple[dict[str, Category], tuple[ConductRule, ...]]:
    categories: dict[str, Category] = {}
    declared = _require(data, "categories", dict)
    for category_id in declared:
        spec = _require(declared, category_id, dict)
        categories[category_id] = Category(category_id, _severity(spec), _strings(spec, "basis", True),
                                           _require(spec, "description", str), _chinese(spec))
    rules, fragments = [], _fragments(data, shared)
    seen: set[str] = set()
    for spec in _entries(data, "rules"):
        rule_id = _require(spec, "id", str)
        if not _RULE_ID.match(rule_id) or rule_id in seen:
            raise spec.error("id", f"'{rule_id}' is malformed (like CN-VIO-001) or used twice")
        seen.add(rule_id)
        category = _require(spec, "category", str)
        if category not in categories:
            raise spec.error("category", f"'{category}' is not declared under categories")
        terms = _strings(spec, "terms")
        if any(len(term) < 2 for term in terms):
            raise spec.error("terms", "terms must be at least 2 characters (one character matches too much)")
        patterns = _with_fragments(spec, "patterns", fragments)
        token_patterns = _token_patterns(spec)
        if not terms and not patterns and not token_patterns:
            raise spec.error("terms", "a rule needs terms, patterns or token_patterns")
        rules.append(ConductRule(rule_id, category, _severity(spec, categories[category].severity),
                                 _require(spec, "description", str), categories[category].basis, terms,
                                 patterns, _with_fragments(spec, "exceptions", fragments),
                                 _with_fragments(spec, "context", fragments),
                                 token_patterns, f"{data.source}, line {spec.line}", _chinese(spec)))
    return categories, tuple(rules)


def _token_patterns(spec: LineMap) -> tuple[tuple[dict, ...], ...]:
    """Shape check only (a list of non-empty lists of mappings); spaCy validates the rest when nlp compiles them."""
    value = spec.get("token_patterns")
    if value is None:
        return ()
    if not isinstance(value, list) or not all(
            isinstance(p, list) and p and all(isinstance(t, dict) for t in p) for p in value):
        raise spec.error("token_patterns", "must be a list of spaCy Matcher patterns (lists of token mappings)")
    return tuple(tuple(plain(token) for token in pattern) for pattern in value)


DISCLOSURES_FILE = Keys({
    "repayment_discussed": None,
    "fragments": None,
    "disclosures": ListOf(fields("id", "disclosure", "window", "n", "applies_if", "description", "description_zh",
                                 "basis", "patterns", "exceptions")),
})


def _fragments(data: LineMap, shared: dict[str, str] | None = None) -> dict[str, str]:
    """Named pieces of regex (``fragments: {role: "妈妈|…"}``) that patterns use as ``{role}``: the file's own, and
    the profile's (``shared``, from profile.yaml: ``{surname}``), which a file's fragment may use too."""
    fragments = _require(data, "fragments", dict) if "fragments" in data else {}
    shared = shared or {}
    own = {}
    for name, text in fragments.items():
        if not re.fullmatch(r"[a-z_]+", str(name)) or not isinstance(text, str):
            raise data.error("fragments", f"'{name}': a fragment is a lower-case name and a regex string")
        if f"{{{name}}}" in shared:
            raise data.error("fragments", f"'{name}' is one of the profile's fragments (profile.yaml): one definition")
        for token, fragment in shared.items():
            text = text.replace(token, fragment)
        own[f"{{{name}}}"] = text
    return {**shared, **own}


def _with_fragments(spec: LineMap, key: str, fragments: dict[str, str], required: bool = False
                    ) -> tuple[re.Pattern, ...]:
    texts = []
    for text in _strings(spec, key, required):
        for token, fragment in fragments.items():
            text = text.replace(token, fragment)
        unknown = re.search(r"\{[a-z_]+\}", text)  # a misspelt fragment would otherwise match itself, literally
        if unknown:
            raise spec.error(key, f"{unknown.group(0)} is not one of the file's or the profile's fragments")
        texts.append(text)
    return tuple(_compile(spec, key, text) for text in texts)


def _load_disclosures(data: LineMap, shared: dict[str, str]) -> tuple[tuple[DisclosureRule, ...], re.Pattern]:
    rules, fragments = [], _fragments(data, shared)
    for spec in _entries(data, "disclosures"):
        disclosure = _require(spec, "disclosure", str)
        if disclosure not in DISCLOSURES:
            raise spec.error("disclosure", f"unknown disclosure '{disclosure}'")
        window = _require(spec, "window", str)
        if window not in WINDOWS:
            raise spec.error("window", f"must be one of {', '.join(WINDOWS)}")
        rules.append(DisclosureRule(_require(spec, "id", str), disclosure, window, _require(spec, "description", str),
                                    _strings(spec, "basis", True), _with_fragments(spec, "patterns", fragments, True),
                                    _with_fragments(spec, "exceptions", fragments), int(spec.get("n", 1)),
                                    spec.get("applies_if"),
                                    _chinese(spec)))
    missing = set(DISCLOSURES) - {rule.disclosure for rule in rules}
    if missing:
        raise data.error("disclosures", f"no rule for {', '.join(sorted(missing))}")
    return tuple(rules), _regex(data, "repayment_discussed")


SIGNALS_FILE = Keys({
    "signals": ListOf(fields("id", "signal", "description", "description_zh", "patterns", "from_categories",
                             "requires_amount_or_date")),
    "promise_details": fields("amount", "date"),
})


def _load_signals(data: LineMap) -> tuple[tuple[SignalRule, ...], re.Pattern, re.Pattern]:
    rules = []
    for spec in _entries(data, "signals"):
        signal = _require(spec, "signal", str)
        if signal not in SIGNALS:
            raise spec.error("signal", f"unknown signal '{signal}'; known: {', '.join(SIGNALS)}")
        rules.append(SignalRule(_require(spec, "id", str), signal, _require(spec, "description", str),
                                _regexes(spec, "patterns", True), _strings(spec, "from_categories"),
                                bool(spec.get("requires_amount_or_date", False)), _chinese(spec)))
    details = _require(data, "promise_details", dict)
    return tuple(rules), _regex(details, "amount"), _regex(details, "date")


_THIRD_PARTY_RULE = fields("id", "category", "description", "description_zh", "patterns")  # severity and basis come from the category
THIRD_PARTY_FILE = Keys({
    "fragments": None,
    "third_party_answer": None, "own_post_answer": None, "right_party_confirmed": None, "handover": None,
    "agent_says_third_party": None,
    "verified_by_answer": fields("question", "not_question", "answer", "denial"),
    "known_to_debtor": fields("question", "answer"),
    "guarantor": fields("said", "disputed", "consent_asked", "consent_given", "liability"),
    "debt_detail": None, "disclosure_rule": _THIRD_PARTY_RULE, "collection_rule": _THIRD_PARTY_RULE,
    "someone_else": None,
})


def _load_third_party(data: LineMap, categories: dict[str, Category], shared: dict[str, str]) -> ThirdPartyConfig:
    def rule(key: str) -> ConductRule:
        spec = _require(data, key, dict)
        category = _require(spec, "category", str)
        if category not in categories:
            raise spec.error("category", f"'{category}' is not declared in conduct.yaml")
        return ConductRule(_require(spec, "id", str), category, categories[category].severity,
                           _require(spec, "description", str), categories[category].basis,
                           patterns=_regexes(spec, "patterns"), description_zh=_chinese(spec))

    verified, known = _require(data, "verified_by_answer", dict), _require(data, "known_to_debtor", dict)
    guarantor, fragments = _require(data, "guarantor", dict), _fragments(data, shared)
    return ThirdPartyConfig(_with_fragments(data, "third_party_answer", fragments, True),
                            _with_fragments(data, "own_post_answer", fragments, True),
                            _with_fragments(data, "right_party_confirmed", fragments, True),
                            _regexes(data, "handover", True), _regex(verified, "question"),
                            _regex(verified, "not_question"), _regex(verified, "answer"), _regex(verified, "denial"),
                            _with_fragments(known, "question", fragments, True)[0],
                            _regex(known, "answer"),
                            _with_fragments(data, "agent_says_third_party", fragments, True),
                            _regex(guarantor, "said"), _regex(guarantor, "disputed"),
                            _regex(guarantor, "consent_asked"), _regex(guarantor, "consent_given"),
                            _regex(guarantor, "liability"),
                            _regex(data, "debt_detail"),
                            rule("disclosure_rule"), rule("collection_rule"),
                            _with_fragments(data, "someone_else", fragments, True))


SCOPE_FILE = Keys({
    "clause_breaks": None,
    "negation": fields("window_chars", "cue", "weak_window_chars", "weak_cue", "conditional_markers", "frame",
                       "past_pause"),
    "disavowal": None, "warning_after": None, "reported_speech": None,
    "lawful_notice": fields("categories", "cue", "condition", "condition_also_for", "visit", "visit_for"),
    "customer_voice": fields("cue", "not_for", "at_collectors", "at_collectors_after"),
    "yields_to": fields(*CONDUCT_CATEGORIES, noun="category"),
})


def _load_scope(data: LineMap) -> ScopeConfig:
    negation = _require(data, "negation", dict)
    lawful = _require(data, "lawful_notice", dict)
    if ("visit" in lawful) != ("visit_for" in lawful):
        raise lawful.error("visit_for", "'visit' (the terms of a lawful visit) and 'visit_for' (the categories they "
                                        "clear) come together")
    voice = _require(data, "customer_voice", dict)
    yields_to = _require(data, "yields_to", dict) if "yields_to" in data else {}
    return ScopeConfig(
        clause_breaks=_regex(data, "clause_breaks"),
        negation_cue=_regex(negation, "cue"),
        negation_window_chars=int(_require(negation, "window_chars", int)),
        weak_negation_cue=_regex(negation, "weak_cue"),
        weak_negation_window_chars=int(_require(negation, "weak_window_chars", int)),
        conditional_markers=_regex(negation, "conditional_markers"),
        negation_frame=_regex(negation, "frame"),
        negation_past_pause=_regex(negation, "past_pause"),
        reported_speech=_regex(data, "reported_speech"),
        disavowal=_regex(data, "disavowal"),
        warning_after=_regex(data, "warning_after"),
        lawful_notice=_regex(lawful, "cue"),
        lawful_categories=frozenset(_strings(lawful, "categories", True)),
        lawful_condition=_regex(lawful, "condition"),
        condition_categories=frozenset(_strings(lawful, "categories", True) + _strings(lawful, "condition_also_for")),
        lawful_visit=_regex(lawful, "visit") if "visit" in lawful else None,  # visit_for comes with it (above)
        lawful_visit_categories=frozenset(_strings(lawful, "visit_for")),
        customer_voice=_regex(voice, "cue"),
        customer_voice_not_for=frozenset(_strings(voice, "not_for", True)),
        at_collectors=_regex(voice, "at_collectors"),
        at_collectors_after=_regex(voice, "at_collectors_after"),
        yields_to={generic: frozenset(_strings(yields_to, generic, True)) for generic in yields_to},
    )


RULE_FILES = {"conduct.yaml": CONDUCT_FILE, "disclosures.yaml": DISCLOSURES_FILE, "third_party.yaml": THIRD_PARTY_FILE,
              "signals.yaml": SIGNALS_FILE, "scope.yaml": SCOPE_FILE}
PROFILE_FILE = Keys({
    "profile": None, "name": None,
    "language": None,  # for the people who edit the profile; nothing reads it
    "files": None,
    "call_time": fields("rule_id", "quiet_start", "quiet_end", "severity", "basis", "description", "description_zh"),
    "vocabulary": None,
    "fragments": None,  # pieces of regex every rule file may use, written {name} there (the file's own beside them)
    "dialect_words": None,
    "contact_frequency": ListOf(fields("rule_id", "counts", "per", "window_days", "max", "severity", "basis",
                                       "description")),
})


def _load_contact_limits(spec: LineMap) -> tuple[ContactLimit, ...]:
    limits = []
    for entry in (_entries(spec, "contact_frequency") if "contact_frequency" in spec else []):
        for key, known in (("counts", CONTACT_COUNTS), ("per", CONTACT_PER)):
            if entry.get(key) not in known:
                raise entry.error(key, f"must be one of {', '.join(known)}")
        for key in ("window_days", "max"):
            value = entry.get(key)
            if isinstance(value, bool) or not isinstance(value, int) or value < (1 if key == "window_days" else 0):
                raise entry.error(key, "must be a whole number" + (" of at least 1" if key == "window_days" else ""))
        limits.append(ContactLimit(_require(entry, "rule_id", str), entry["counts"], entry["per"],
                                   entry["window_days"], entry["max"], _severity(entry),
                                   _strings(entry, "basis", True), _require(entry, "description", str)))
    return tuple(limits)


def _dialect_words(spec: LineMap) -> dict[str, str]:
    """``dialect_words``: each a word and its Mandarin reading of the same length (every offset into a turn holds)."""
    words = spec.get("dialect_words") or {}
    if not isinstance(words, dict):
        raise spec.error("dialect_words", "must be a mapping of dialect word to Mandarin word")
    for word, mandarin in words.items():
        if not (isinstance(word, str) and isinstance(mandarin, str) and word and len(word) == len(mandarin)):
            raise spec.error("dialect_words", f"'{word}': '{mandarin}' must be two words of the same length")
    return dict(words)


def load_rule_pack(profile: str = "cn", root: str | Path | None = None) -> RulePack:
    """Load and validate one profile folder (``lexicons/<profile>/``)."""
    folder = Path(root) if root else lexicon_dir() / profile
    profile_file = load(folder / "profile.yaml", PROFILE_FILE)
    spec = profile_file.data
    names = _strings(spec, "files", True)
    for name in names:
        if name not in RULE_FILES:
            raise spec.error("files", f"'{name}' is not a rule file; known: {', '.join(RULE_FILES)}")
    files = {name: load(folder / name, RULE_FILES[name]) for name in names}
    for required in RULE_FILES:
        if required not in files:
            raise spec.error("files", f"must list {required}")
    shared = _fragments(spec)
    categories, conduct_rules = _load_conduct(files["conduct.yaml"].data, shared)
    disclosures, repayment = _load_disclosures(files["disclosures.yaml"].data, shared)
    signals, amount, date = _load_signals(files["signals.yaml"].data)
    call_time = _require(spec, "call_time", dict)
    for clock_field in ("quiet_start", "quiet_end"):
        if not re.fullmatch(r"\d{2}:\d{2}", str(call_time.get(clock_field, ""))):
            raise call_time.error(clock_field, "must be a time like \"22:00\"")
    third_party = _load_third_party(files["third_party.yaml"].data, categories, shared)
    contact_limits = _load_contact_limits(spec)
    ids = [rule.id for rule in conduct_rules] + [rule.id for rule in disclosures] + [rule.id for rule in signals] + [
        third_party.disclosure_rule.id, third_party.collection_rule.id, call_time.get("rule_id")] + [
        limit.rule_id for limit in contact_limits]
    duplicated = sorted({rule_id for rule_id in ids if ids.count(rule_id) > 1})
    if duplicated:
        raise LexiconError(folder, f"rule ids used more than once across the profile's files: {', '.join(duplicated)}")
    ordered = [profile_file] + [files[name] for name in names]
    return RulePack(
        profile=_require(spec, "profile", str),
        name=_require(spec, "name", str),
        version=content_version(*(f.raw for f in ordered)),
        path=str(folder),
        categories=categories,
        conduct_rules=conduct_rules,
        disclosures=disclosures,
        repayment_discussed=repayment,
        signals=signals,
        promise_amount=amount,
        promise_date=date,
        third_party=third_party,
        scope=_load_scope(files["scope.yaml"].data),
        call_time=CallTimeConfig(_require(call_time, "rule_id", str), call_time["quiet_start"], call_time["quiet_end"],
                                 _severity(call_time), _strings(call_time, "basis", True),
                                 _require(call_time, "description", str), _chinese(call_time)),
        vocabulary=_strings(spec, "vocabulary"),
        dialect_words=_dialect_words(spec),
        file_versions={f.path.name: content_version(f.raw) for f in ordered},
        contact_limits=contact_limits,
    )
