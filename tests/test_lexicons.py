import pytest

from audit.errors import LexiconError
from audit.lexicons import load_asr_lexicon


def test_shipped_asr_lexicon_loads_with_a_content_version():
    lexicon = load_asr_lexicon()
    assert lexicon.hotwords == ()  # they raise CER on real speech and leak into short utterances
    assert "逾期" in lexicon.domain_words and "征信" in lexicon.domain_words
    assert any("点点栏目" in phrase for phrase in lexicon.hallucination_phrases)
    assert len(lexicon.version) == 12


def test_version_changes_when_content_changes(tmp_path):
    path = tmp_path / "asr.yaml"
    path.write_text("initial_prompt: ''\nhotwords: [逾期]\nhallucination_phrases: [谢谢观看]\n", encoding="utf-8")
    first = load_asr_lexicon(path).version
    path.write_text("initial_prompt: ''\nhotwords: [逾期, 工号]\nhallucination_phrases: [谢谢观看]\n", encoding="utf-8")
    assert load_asr_lexicon(path).version != first


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("hotwords: [逾期\n", "line 2, field 'hotwords': invalid YAML"),
        ("initial_prompt: ''\nhotwords: 逾期\nhallucination_phrases: []\n", "line 2, field 'hotwords': must be a list"),
        ("- just\n- a list\n", "expected a mapping"),
        ("a: &x [1, 2]\nb: [*x, *x]\n", "aliases"),  # the start of a billion-laughs bomb
    ],
)
def test_broken_lexicon_is_an_error_naming_file_and_problem(tmp_path, content, message):
    path = tmp_path / "broken.yaml"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(LexiconError, match=message) as caught:
        load_asr_lexicon(path)
    assert str(path) in str(caught.value)
