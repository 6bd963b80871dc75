"""The text engine: homophones of lexicon words read as those words, real words left alone, word boundaries."""

import pytest

from audit.nlp import Analyzer

TERMS = ["逾期", "录音", "工号", "不想活了", "套现", "打断你的腿", "老赖", "借款", "人情", "通缉", "死胖子", "无赖", "衰仔"]


@pytest.fixture(scope="module")
def analyzer():
    return Analyzer(TERMS)


@pytest.mark.parametrize(
    ("text", "canonical"),
    [
        ("已经于七两个月了", "已经逾期两个月了"),  # the guide's own example: 逾期 -> 於七 -> 于七
        ("本次通话将被路音", "本次通话将被录音"),
        ("我公号三一零八", "我工号三一零八"),
        ("我真的不想火了", "我真的不想活了"),
        ("淘现出来先还上", "套现出来先还上"),
        ("你就是个武来", "你就是个无赖"),  # the same sound, not a name asked for
    ],
)
def test_asr_homophones_of_lexicon_words_are_read_as_those_words(analyzer, text, canonical):
    analyzed = analyzer.analyze(text)
    assert analyzed.canonical == canonical
    assert len(analyzed.canonical) == len(text)  # offsets into the text as given stay valid
    assert analyzed.homophones


@pytest.mark.parametrize(
    "text",
    [
        "完全符合预期",  # 预期 sounds like 逾期 but is a real word
        "请问是孙涛先生吗",  # 涛先 sounds like 套现 but cuts through 孙涛 and 先生
        "我是捷信消费金融的",  # 信 has a rare reading xin=款's; rare readings are never used
        "你换款了吗",  # 换款 is a dictionary word
        "逾期会按合同计罚息",  # 同计 sounds like 通缉 but takes half of the word 合同
        "请问是潘志强先生吗",  # 是潘志 reaches 死胖子 only by bending every one of its sounds
        "请问是庞子淇本人吗",  # the name of the person asked for is a name, though 是庞子 sounds like 死胖子
        "武来福是吧？我鑫瑞达的",  # ...however it is asked for: 武来 sounds like 无赖
        "你好，邵帅在吗？",  # 帅在 sounds like 衰仔
    ],
)
def test_real_words_that_sound_alike_are_left_alone(analyzer, text):
    assert analyzer.analyze(text).canonical == text


def test_multi_character_terms_stay_whole_after_the_spacy_pipeline_is_built(analyzer):
    assert "打断你的腿" in analyzer.tokens("你再不还我就打断你的腿")


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("你就是个老赖", ["老赖"]),
        ("你再不还我就打断你的腿", ["打断你的腿"]),
        ("录音机坏了", []),  # 录音机 is one word: the term 录音 is not on its own boundaries
        ("打工人情绪不好", []),  # 人情 straddles 工人|情绪
    ],
)
def test_terms_match_only_on_word_boundaries(analyzer, text, found):
    assert [hit.term for hit in analyzer.find_terms(analyzer.analyze(text))] == found


def test_a_pause_inside_a_sound_alike_keeps_the_two_words_apart():
    analyzer = Analyzer(["戆大"])
    assert analyzer.analyze("你刚打了两次").canonical == "你戆大了两次"  # run together it may be the insult
    assert analyzer.analyze("你刚打了两次", pauses=frozenset({2})).canonical == "你刚打了两次"  # 「你刚 打了两次」


@pytest.mark.parametrize(
    ("text", "canonical"),
    [
        ("我哋唔会上门", "我们不会上门"),
        ("侬勿要转到个人账户", "你不要转到个人账户"),
        ("俺们木有外访安排", "我们没有外访安排"),
        ("系唔系李国华啊", "是不是李国华啊"),
    ],
)
def test_dialect_function_words_are_read_as_mandarin_of_the_same_length(text, canonical):
    from audit.rulepack import load_rule_pack

    analyzed = Analyzer(TERMS, dialect_words=load_rule_pack().dialect_words).analyze(text)
    assert analyzed.canonical == canonical
    assert analyzed.text == text  # what was said is kept for quotes
