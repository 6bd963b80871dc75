"""Every data file is refused the same way (audit.datafile): a key given twice, a key its loader does not declare, a
YAML anchor or alias, bad YAML syntax — each an error naming the file, the line and the field."""

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from audit.datafile import content_version
from audit.errors import LexiconError
from audit.lexicons import lexicon_dir, load_asr_lexicon
from audit.rulepack import load_rule_pack
from audit.scorecard import load_scorecard, scorecard_dir


def _rule_pack(tmp_path: Path) -> tuple[Path, Callable]:
    root = tmp_path / "cn"
    shutil.copytree(lexicon_dir() / "cn", root)
    return root / "signals.yaml", lambda: load_rule_pack(root=root)


def _asr_lexicon(tmp_path: Path) -> tuple[Path, Callable]:
    path = tmp_path / "asr_zh.yaml"
    shutil.copy(lexicon_dir() / "asr_zh.yaml", path)
    return path, lambda: load_asr_lexicon(path)


def _scorecard(tmp_path: Path) -> tuple[Path, Callable]:
    path = tmp_path / "team_a.yaml"
    shutil.copy(scorecard_dir() / "default.yaml", path)
    return path, lambda: load_scorecard(path)


# case -> (copy a shipped file and say how to load it, text on the line to break, what it becomes, field, problem)
CASES = {
    "rule pack: duplicate key": (_rule_pack, "  date: ", "  amount: ", "promise_details.amount",
                                 "given twice (first on line 56)"),
    "rule pack: unknown key": (_rule_pack, "requires_amount_or_date:", "requires_amount:", "signals.requires_amount",
                               "unknown field 'requires_amount'; known: id, signal, description"),
    "rule pack: alias": (_rule_pack, "from_categories: [insult, violence_threat]", "from_categories: *abuse",
                         "signals.from_categories", "YAML aliases (*name) are not allowed"),
    "rule pack: anchor": (_rule_pack, "promise_details:", "promise_details: &details", "promise_details",
                          "nor anchors (&name)"),
    "rule pack: bad syntax": (_rule_pack, "disputes the debt", "disputes: the debt", "signals.description",
                              "invalid YAML at column"),
    "asr lexicon: unknown key": (_asr_lexicon, "hotwords: []", "hot_words: []", "hot_words",
                                 "unknown field 'hot_words'"),
    "asr lexicon: duplicate key": (_asr_lexicon, "domain_words:", "hotwords:", "hotwords",
                                   "given twice (first on line 15)"),
    "scorecard: duplicate key": (_scorecard, "  major: 15", "  critical: 15", "severity.critical",
                                 "given twice (first on line 20)"),
    "scorecard: unknown key": (_scorecard, "start: 100", "begin: 100", "begin", "unknown field 'begin'"),
    "scorecard: alias": (_scorecard, "review_signals: [vulnerability]", "review_signals: *signals", "review_signals",
                         "YAML aliases (*name) are not allowed"),
    "scorecard: anchor": (_scorecard, "severity:", "severity: &points", "severity", "nor anchors (&name)"),
    "scorecard: bad syntax": (_scorecard, "title: 自营团队 In-house", "title: 自营团队: In-house", "title",
                              "invalid YAML at column"),
}


@pytest.mark.parametrize("case", CASES, ids=list(CASES))
def test_bad_data_file_is_refused_naming_file_line_and_field(tmp_path, case):
    copy, old, new, field, problem = CASES[case]
    path, load = copy(tmp_path)
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    number = next(i for i, line in enumerate(lines, 1) if old in line)
    lines[number - 1] = lines[number - 1].replace(old, new, 1)
    path.write_text("".join(lines), encoding="utf-8")
    with pytest.raises(LexiconError) as caught:
        load()
    assert caught.value.source == str(path)
    assert caught.value.problem.startswith(f"line {number}, field '{field}': "), caught.value.problem
    assert problem in caught.value.problem


def test_a_file_that_is_not_a_mapping_names_the_top_level(tmp_path):
    path = tmp_path / "team_a.yaml"
    path.write_text("- just\n- a list\n", encoding="utf-8")
    with pytest.raises(LexiconError, match=r"line 1, field '\(top level\)': expected a mapping \(fields: name, "):
        load_scorecard(path)


def test_versions_are_the_hash_of_the_file_bytes():
    folder = lexicon_dir() / "cn"
    pack = load_rule_pack("cn")
    names = ["profile.yaml", "conduct.yaml", "disclosures.yaml", "third_party.yaml", "signals.yaml", "scope.yaml"]
    assert pack.version == content_version(*((folder / name).read_bytes() for name in names))
    assert load_scorecard("default").version == content_version((scorecard_dir() / "default.yaml").read_bytes())


def test_token_patterns_are_kept_as_plain_dicts():
    rules = [rule for rule in load_rule_pack("cn").conduct_rules if rule.token_patterns]
    assert rules and all(type(token) is dict for rule in rules for pattern in rule.token_patterns for token in pattern)
