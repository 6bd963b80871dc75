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

import yaml

from audit.errors import LexiconError
from audit.lexicons import content_version, lexicon_dir, read_yaml

SEVERITIES = ("critical", "major", "minor")
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


@dataclass(frozen=True)
class SignalRule:
    id: str
    signal: str
    description: str
    patterns: tuple[re.Pattern, ...]
    from_categories: tuple[str, ...] = ()
    requires_amount_or_date: bool = False


@dataclass(frozen=True)
class ThirdPartyConfig:
    answer: tuple[re.Pattern, ...]
    right_party: tuple[re.Pattern, ...]
    handover: tuple[re.Pattern, ...]  # the person on the line fetches someone else: who listens is open again
    verification_question: re.Pattern  # an agent turn asking whether this is the debtor
    not_verification: re.Pattern  # ...unless it asks about a relationship (是他家属吗)
    affirmative: re.Pattern  # a customer-side turn that answers yes
    debt_detail: re.Pattern
    disclosure_rule: ConductRule
    collection_rule: ConductRule


@dataclass(frozen=True)
class ScopeConfig:
    clause_breaks: re.Pattern
    negation_cue: re.Pattern
    negation_window_chars: int
    weak_negation_cue: re.Pattern
    weak_negation_window_chars: int
    conditional_markers: re.Pattern
    negation_frame: re.Pattern
    reported_speech: re.Pattern
    disavowal: re.Pattern
    warning_after: re.Pattern
    lawful_notice: re.Pattern
    lawful_categories: frozenset[str]
    yields_to: dict[str, frozenset[str]] = field(default_factory=dict)


@dataclass(frozen=True)
class CallTimeConfig:
    rule_id: str
    quiet_start: str
    quiet_end: str
    severity: str
    basis: tuple[str, ...]
    description: str


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
    file_versions: dict[str, str] = field(default_factory=dict)

    def terms(self) -> set[str]:
        return {term for rule in self.conduct_rules for term in rule.terms}


# ---------------------------------------------------------------------------------------------------------------------
# Loading with line numbers


class _LineLoader(yaml.SafeLoader):
    """SafeLoader that remembers the line of every mapping, so errors can point at the rule that is wrong."""


def _construct_mapping(loader: _LineLoader, node: yaml.MappingNode) -> dict:
    mapping = loader.construct_mapping(node, deep=True)
    mapping["__line__"] = node.start_mark.line + 1
    return mapping


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


class _File:
    """One YAML file being read: its data, and error helpers that name it."""

    def __init__(self, path: Path):
        self.path = path
        _, raw = read_yaml(path)  # size limit, encoding, alias ban, syntax errors with positions
        self.raw = raw
        self.data = yaml.load(raw.decode("utf-8-sig"), Loader=_LineLoader)  # noqa: S506 (a SafeLoader subclass)
        if not isinstance(self.data, dict):
            raise LexiconError(path, "expected a mapping at the top level")

    def error(self, where: dict | None, field_name: str, problem: str) -> LexiconError:
        line = f"line {where['__line__']}, " if isinstance(where, dict) and "__line__" in where else ""
        return LexiconError(self.path, f"{line}field '{field_name}': {problem}")

    def require(self, where: dict, field_name: str, kind: type | tuple[type, ...]) -> Any:
        if field_name not in where:
            raise self.error(where, field_name, "missing")
        value = where[field_name]
        if not isinstance(value, kind):
            names = kind.__name__ if isinstance(kind, type) else " or ".join(k.__name__ for k in kind)
            raise self.error(where, field_name, f"must be a {names}")
        return value

    def strings(self, where: dict, field_name: str, required: bool = False) -> tuple[str, ...]:
        value = where.get(field_name)
        if value is None and not required:
            return ()
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(item, str) and item.strip() for item in value):
            raise self.error(where, field_name, "must be a list of non-empty strings")
        return tuple(item.strip() for item in value)

    def regex(self, where: dict, field_name: str, text: str) -> re.Pattern:
        if len(text) > MAX_PATTERN_CHARS:
            raise self.error(where, field_name, f"pattern longer than {MAX_PATTERN_CHARS} characters")
        try:
            return re.compile(text)
        except re.error as error:
            raise self.error(where, field_name, f"invalid regular expression {text!r}: {error}") from error

    def regexes(self, where: dict, field_name: str, required: bool = False) -> tuple[re.Pattern, ...]:
        return tuple(self.regex(where, field_name, text) for text in self.strings(where, field_name, required))


def _severity(file: _File, where: dict, default: str | None = None) -> str:
    severity = where.get("severity", default)
    if severity not in SEVERITIES:
        raise file.error(where, "severity", f"must be one of {', '.join(SEVERITIES)}")
    return severity


def _load_conduct(file: _File) -> tuple[dict[str, Category], tuple[ConductRule, ...]]:
    categories: dict[str, Category] = {}
    raw_categories = file.require(file.data, "categories", dict)
    for category_id, spec in raw_categories.items():
        if category_id == "__line__":
            continue
        if category_id not in CONDUCT_CATEGORIES:
            raise file.error(spec, "categories", f"unknown category '{category_id}'; known: {', '.join(CONDUCT_CATEGORIES)}")
        categories[category_id] = Category(category_id, _severity(file, spec), file.strings(spec, "basis", True),
                                           file.require(spec, "description", str), spec.get("description_zh", ""))
    rules = []
    seen: set[str] = set()
    for spec in file.require(file.data, "rules", list):
        if not isinstance(spec, dict):
            raise file.error(None, "rules", "every rule must be a mapping")
        rule_id = file.require(spec, "id", str)
        if not _RULE_ID.match(rule_id) or rule_id in seen:
            raise file.error(spec, "id", f"'{rule_id}' is malformed (like CN-VIO-001) or used twice")
        seen.add(rule_id)
        category = file.require(spec, "category", str)
        if category not in categories:
            raise file.error(spec, "category", f"'{category}' is not declared under categories")
        terms = file.strings(spec, "terms")
        if any(len(term) < 2 for term in terms):
            raise file.error(spec, "terms", "terms must be at least 2 characters (one character matches too much)")
        patterns = file.regexes(spec, "patterns")
        token_patterns = _token_patterns(file, spec)
        if not terms and not patterns and not token_patterns:
            raise file.error(spec, "terms", "a rule needs terms, patterns or token_patterns")
        rules.append(ConductRule(rule_id, category, _severity(file, spec, categories[category].severity),
                                 file.require(spec, "description", str), categories[category].basis, terms,
                                 patterns, file.regexes(spec, "exceptions"), file.regexes(spec, "context"),
                                 token_patterns, f"{file.path}, line {spec['__line__']}"))
    return categories, tuple(rules)


def _plain(value: Any) -> Any:
    """YAML data without the loader's line markers."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items() if k != "__line__"}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _token_patterns(file: _File, spec: dict) -> tuple[tuple[dict, ...], ...]:
    """Shape check only (a list of non-empty lists of mappings); spaCy validates the rest when nlp compiles them."""
    value = spec.get("token_patterns")
    if value is None:
        return ()
    if not isinstance(value, list) or not all(
            isinstance(p, list) and p and all(isinstance(t, dict) for t in p) for p in value):
        raise file.error(spec, "token_patterns", "must be a list of spaCy Matcher patterns (lists of token mappings)")
    return tuple(tuple(_plain(token) for token in pattern) for pattern in value)


def _load_disclosures(file: _File) -> tuple[tuple[DisclosureRule, ...], re.Pattern]:
    rules = []
    for spec in file.require(file.data, "disclosures", list):
        disclosure = file.require(spec, "disclosure", str)
        if disclosure not in DISCLOSURES:
            raise file.error(spec, "disclosure", f"unknown disclosure '{disclosure}'")
        window = file.require(spec, "window", str)
        if window not in WINDOWS:
            raise file.error(spec, "window", f"must be one of {', '.join(WINDOWS)}")
        rules.append(DisclosureRule(file.require(spec, "id", str), disclosure, window,
                                    file.require(spec, "description", str), file.strings(spec, "basis", True),
                                    file.regexes(spec, "patterns", True), file.regexes(spec, "exceptions"),
                                    int(spec.get("n", 1)), spec.get("applies_if")))
    missing = set(DISCLOSURES) - {rule.disclosure for rule in rules}
    if missing:
        raise file.error(None, "disclosures", f"no rule for {', '.join(sorted(missing))}")
    return tuple(rules), file.regex(file.data, "repayment_discussed", file.require(file.data, "repayment_discussed", str))


def _load_signals(file: _File) -> tuple[tuple[SignalRule, ...], re.Pattern, re.Pattern]:
    rules = []
    for spec in file.require(file.data, "signals", list):
        signal = file.require(spec, "signal", str)
        if signal not in SIGNALS:
            raise file.error(spec, "signal", f"unknown signal '{signal}'; known: {', '.join(SIGNALS)}")
        rules.append(SignalRule(file.require(spec, "id", str), signal, file.require(spec, "description", str),
                                file.regexes(spec, "patterns", True), file.strings(spec, "from_categories"),
                                bool(spec.get("requires_amount_or_date", False))))
    details = file.require(file.data, "promise_details", dict)
    return (tuple(rules), file.regex(details, "amount", file.require(details, "amount", str)),
            file.regex(details, "date", file.require(details, "date", str)))


def _load_third_party(file: _File, categories: dict[str, Category]) -> ThirdPartyConfig:
    def rule(key: str) -> ConductRule:
        spec = file.require(file.data, key, dict)
        category = file.require(spec, "category", str)
        if category not in categories:
            raise file.error(spec, "category", f"'{category}' is not declared in conduct.yaml")
        return ConductRule(file.require(spec, "id", str), category, categories[category].severity,
                           file.require(spec, "description", str), categories[category].basis,
                           patterns=file.regexes(spec, "patterns"))

    verified = file.require(file.data, "verified_by_answer", dict)
    return ThirdPartyConfig(file.regexes(file.data, "third_party_answer", True),
                            file.regexes(file.data, "right_party_confirmed", True),
                            file.regexes(file.data, "handover", True),
                            file.regex(verified, "question", file.require(verified, "question", str)),
                            file.regex(verified, "not_question", file.require(verified, "not_question", str)),
                            file.regex(verified, "answer", file.require(verified, "answer", str)),
                            file.regex(file.data, "debt_detail", file.require(file.data, "debt_detail", str)),
                            rule("disclosure_rule"), rule("collection_rule"))


def _load_scope(file: _File) -> ScopeConfig:
    data = file.data
    negation = file.require(data, "negation", dict)
    lawful = file.require(data, "lawful_notice", dict)
    return ScopeConfig(
        clause_breaks=file.regex(data, "clause_breaks", file.require(data, "clause_breaks", str)),
        negation_cue=file.regex(negation, "cue", file.require(negation, "cue", str)),
        negation_window_chars=int(file.require(negation, "window_chars", int)),
        weak_negation_cue=file.regex(negation, "weak_cue", file.require(negation, "weak_cue", str)),
        weak_negation_window_chars=int(file.require(negation, "weak_window_chars", int)),
        conditional_markers=file.regex(negation, "conditional_markers",
                                       file.require(negation, "conditional_markers", str)),
        negation_frame=file.regex(negation, "frame", file.require(negation, "frame", str)),
        reported_speech=file.regex(data, "reported_speech", file.require(data, "reported_speech", str)),
        disavowal=file.regex(data, "disavowal", file.require(data, "disavowal", str)),
        warning_after=file.regex(data, "warning_after", file.require(data, "warning_after", str)),
        lawful_notice=file.regex(lawful, "cue", file.require(lawful, "cue", str)),
        lawful_categories=frozenset(file.strings(lawful, "categories", True)),
        yields_to={generic: frozenset(file.strings(data["yields_to"], generic, True))
                   for generic in data.get("yields_to", {}) if generic != "__line__"},
    )


def load_rule_pack(profile: str = "cn", root: str | Path | None = None) -> RulePack:
    """Load and validate one profile folder (``lexicons/<profile>/``)."""
    folder = Path(root) if root else lexicon_dir() / profile
    profile_file = _File(folder / "profile.yaml")
    spec = profile_file.data
    names = profile_file.strings(spec, "files", True)
    files = {name: _File(folder / name) for name in names}
    for required in ("conduct.yaml", "disclosures.yaml", "third_party.yaml", "signals.yaml", "scope.yaml"):
        if required not in files:
            raise profile_file.error(spec, "files", f"must list {required}")
    categories, conduct_rules = _load_conduct(files["conduct.yaml"])
    disclosures, repayment = _load_disclosures(files["disclosures.yaml"])
    signals, amount, date = _load_signals(files["signals.yaml"])
    call_time = profile_file.require(spec, "call_time", dict)
    for clock_field in ("quiet_start", "quiet_end"):
        if not re.fullmatch(r"\d{2}:\d{2}", str(call_time.get(clock_field, ""))):
            raise profile_file.error(call_time, clock_field, "must be a time like \"22:00\"")
    third_party = _load_third_party(files["third_party.yaml"], categories)
    ids = [rule.id for rule in conduct_rules] + [rule.id for rule in disclosures] + [rule.id for rule in signals] + [
        third_party.disclosure_rule.id, third_party.collection_rule.id, call_time.get("rule_id")]
    duplicated = sorted({rule_id for rule_id in ids if ids.count(rule_id) > 1})
    if duplicated:
        raise LexiconError(folder, f"rule ids used more than once across the profile's files: {', '.join(duplicated)}")
    ordered = [profile_file] + [files[name] for name in names]
    return RulePack(
        profile=profile_file.require(spec, "profile", str),
        name=profile_file.require(spec, "name", str),
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
        scope=_load_scope(files["scope.yaml"]),
        call_time=CallTimeConfig(profile_file.require(call_time, "rule_id", str), call_time["quiet_start"],
                                 call_time["quiet_end"], _severity(profile_file, call_time),
                                 profile_file.strings(call_time, "basis", True),
                                 profile_file.require(call_time, "description", str)),
        vocabulary=profile_file.strings(spec, "vocabulary"),
        file_versions={f.path.name: content_version(f.raw) for f in ordered},
    )
