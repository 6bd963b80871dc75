import pytest

from audit.text import character_error_rate, content_characters, is_simplified, normalize_transcript_text


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("您好，本次通話將被錄音。", "您好，本次通话将被录音。"),
        ("於七 三個月", "于七三个月"),  # spaces between CJK characters are ASR artefacts
        ("工號８７２１", "工号8721"),  # full-width digits folded
        ("請問您是張偉先生本人嗎？", "请问您是张伟先生本人吗？"),  # full-width punctuation kept
        ("专员\ufffd工号", "专员工号"),  # an unfinished byte token is removed
        ("  OK 好的 ", "OK 好的"),
    ],
)
def test_normalize_transcript_text_gives_simplified_tidy_text(raw, expected):
    assert normalize_transcript_text(raw) == expected


@pytest.mark.parametrize(
    ("reference", "hypothesis", "expected"),
    [
        ("本次通话将被录音", "本次通话将被录音", 0.0),
        ("本次通话将被录音", "本次通話將被錄音。", 0.0),  # Traditional and punctuation do not count
        ("逾期三个月", "于期三个月", 0.2),
        ("逾期三个月", "", 1.0),
        ("工号八七二一", "工号8721", 0.0),  # codes read digit by digit
        ("", "", 0.0),
    ],
)
def test_character_error_rate_counts_edits_over_content_characters(reference, hypothesis, expected):
    assert character_error_rate(reference, hypothesis) == pytest.approx(expected)


def test_content_characters_drops_punctuation_and_space():
    assert content_characters("喂， 你好？OK!") == "喂你好ok"


@pytest.mark.parametrize(("text", "simplified"), [("录音", True), ("錄音", False), ("hello", True)])
def test_is_simplified(text, simplified):
    assert is_simplified(text) is simplified
