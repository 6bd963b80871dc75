"""The rule pack: the shipped profile loads; a broken file is an error naming the file, the line and the field."""

import shutil
from pathlib import Path

import pytest

from audit.errors import LexiconError
from audit.lexicons import lexicon_dir
from audit.rulepack import CONDUCT_CATEGORIES, DISCLOSURES, load_rule_pack


def test_shipped_profile_has_every_category_and_disclosure_with_legal_basis():
    pack = load_rule_pack("cn")
    assert set(pack.categories) == set(CONDUCT_CATEGORIES)
    assert {rule.disclosure for rule in pack.disclosures} == set(DISCLOSURES)
    assert all(rule.basis for rule in pack.conduct_rules)
    assert len({rule.id for rule in pack.conduct_rules}) == len(pack.conduct_rules)
    assert len(pack.version) == 12 and set(pack.file_versions) >= {"profile.yaml", "conduct.yaml"}


def test_every_shipped_rule_is_explained_in_chinese_and_in_english():
    descriptions = load_rule_pack("cn").descriptions()
    assert len(descriptions) > 90
    for rule_id, (chinese, english) in descriptions.items():
        assert any("\u4e00" <= ch <= "\u9fff" for ch in chinese) and chinese != english, rule_id
        assert english.isascii() or english[0].isascii(), rule_id


@pytest.fixture
def profile_copy(tmp_path) -> Path:
    target = tmp_path / "cn"
    shutil.copytree(lexicon_dir() / "cn", target)
    return target


def test_version_changes_when_a_rule_changes(profile_copy):
    before = load_rule_pack(root=profile_copy).version
    conduct = profile_copy / "conduct.yaml"
    conduct.write_text(conduct.read_text(encoding="utf-8").replace("打断你的腿", "打断你的手", 1), encoding="utf-8")
    assert load_rule_pack(root=profile_copy).version != before


@pytest.mark.parametrize(
    ("file", "old", "new", "message"),
    [
        ("conduct.yaml", '- "放(?:你)?(?:点|些)?血', '- "放((?:你)?(?:点|些)?血',
         r"line \d+, field 'rules.patterns': invalid regular expression"),
        ("conduct.yaml", "category: violence_threat\n    description: Harm verb",
         "category: violent_stuff\n    description: Harm verb", r"line \d+, field 'rules.category': 'violent_stuff'"),
        ("conduct.yaml", "  - id: CN-VIO-102", "  - id: CN-VIO-101", r"line \d+, field 'rules.id': 'CN-VIO-101'"),
        ("disclosures.yaml", "window: first_agent_turn\n", "window: sometime\n",
         r"line \d+, field 'disclosures.window': must be one of"),
        ("profile.yaml", 'quiet_start: "22:00"', 'quiet_start: "late"', r"line \d+, field 'call_time.quiet_start'"),
        ("third_party.yaml", "  id: CN-TPD-201", "  id: CN-VIO-001", r"rule ids used more than once.*CN-VIO-001"),
        ("signals.yaml", "signal: dispute", "signal: grumpy", r"unknown signal 'grumpy'"),
        ("disclosures.yaml", "description_zh: 坐席以问候语开场", "description_zh: ''",
         r"line \d+, field 'disclosures.description_zh': must be a non-empty string"),
        ("conduct.yaml", "description_zh: 扬言打断手脚、致残", "description_zh: [打断]",
         r"line \d+, field 'rules.description_zh': must be a non-empty string"),
        ("conduct.yaml", "description_zh: 扬言打断手脚、致残", "descripton_zh: 扬言打断手脚、致残", r"descripton_zh"),
        # named pieces of pattern: a name must be lower-case, a pattern may only use names the file or the profile
        # declares, and a file may not define again what the profile does
        ("profile.yaml", "  surname: ", "  Surname: ", r"field 'fragments': 'Surname'"),
        ("disclosures.yaml", "  not_a_given_name: ", "  Not_a_given_name: ", r"field 'fragments': 'Not_a_given_name'"),
        ("disclosures.yaml", "|{surname}(?:专员|经理|主管)", "|{surnam}(?:专员|经理|主管)",
         r"line \d+, field 'disclosures.patterns': \{surnam\} is not one of the file's or the profile's fragments"),
        ("third_party.yaml", "的?(?:{role})", "的?(?:{roles})", r"\{roles\} is not one of the file's"),
        ("conduct.yaml", "  colleague: ", "  surname: \"[张]\"\n  colleague: ",
         r"field 'fragments': 'surname' is one of the profile's fragments"),
        # the terms of a lawful visit and the categories they clear come together
        ("scope.yaml", "  visit_for: [intimidation]\n", "", r"field 'lawful_notice.visit_for'"),
        # a dialect word is read as a Mandarin word of its own length, or offsets into the turn would not hold
        ("profile.yaml", "  唔使: 不用", "  唔使: 不需要", r"line \d+, field 'dialect_words': '唔使': '不需要'"),
    ],
)
def test_broken_profile_is_an_error_naming_file_line_and_field(profile_copy, file, old, new, message):
    path = profile_copy / file
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(LexiconError, match=message) as caught:
        load_rule_pack(root=profile_copy)
    assert caught.value.source in (str(path), str(profile_copy))


def test_yaml_bomb_is_refused_before_expansion(profile_copy):
    path = profile_copy / "signals.yaml"
    path.write_text('a: &a ["x","x"]\nb: &b [*a,*a]\nc: &c [*b,*b]\n' + path.read_text(encoding="utf-8"))
    with pytest.raises(LexiconError, match="aliases"):
        load_rule_pack(root=profile_copy)


def test_invalid_spacy_token_pattern_names_the_rule_file_and_line(profile_copy):
    from audit.auditor import Auditor

    path = profile_copy / "conduct.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("- {TEXT: 陪}", "- {TEXTY: 陪}", 1), encoding="utf-8")
    with pytest.raises(LexiconError, match=r"conduct.yaml, line \d+: rule CN-IMC-103, field 'token_patterns'"):
        Auditor(load_rule_pack(root=profile_copy))
