"""Call-quality measures from transcript timing: talk share, silences, overlaps (stereo only), speech rate."""

import pytest

from audit.models import Segment, Transcript, Turn
from audit.quality import MIN_OVERLAP_S, measure_transcript, measure_turns

# A short stereo call, times as the recogniser cuts them. The customer starts talking over the agent at 15.5 s.
CALL = (
    Segment(0.8, 9.8, "agent", "您好，我是长河银行信用卡中心的催收专员王芳，工号八七二一，本次通话将被录音。", channel=0),
    Segment(10.4, 12.6, "customer", "对，我是张伟。什么事？", channel=1),
    Segment(13.0, 19.0, "agent", "您的信用卡账单已经逾期三十天，欠款两千一百元，请问今天能处理吗？", channel=0),
    Segment(15.5, 17.5, "customer", "我知道，我知道，你听我说。", channel=1),
    Segment(31.0, 34.0, "customer", "我下周一还两千一百元。", channel=1),
    Segment(34.5, 38.5, "agent", "好的，请通过官方APP或对公账户还款，感谢您的接听，再见。", channel=0),
)


def transcript(layout="stereo_agent_left", segments=CALL, duration=40.0) -> Transcript:
    return Transcript("q1", "0" * 64, duration, "zh", "test", {}, segments, channel_layout=layout)


def test_talk_time_and_share_per_speaker():
    quality = measure_transcript(transcript())
    assert quality.duration_s == 40.0
    assert quality.agent_talk_s == pytest.approx(9.0 + 6.0 + 4.0)
    assert quality.customer_talk_s == pytest.approx(2.2 + 2.0 + 3.0)
    assert quality.agent_talk_share == pytest.approx(19.0 / 26.2, abs=1e-4)


def test_longest_silence_is_the_gap_with_nobody_speaking_and_trailing_silence_does_not_count():
    quality = measure_transcript(transcript())
    assert quality.longest_silence_s == pytest.approx(12.0)  # 19.0 -> 31.0
    # leading 0.8 + 0.6 + 0.4 + 12.0 + 0.5; the 1.5 s after the goodbye is not silence in the call
    assert quality.silence_ratio == pytest.approx((0.8 + 0.6 + 0.4 + 12.0 + 0.5) / 40.0, abs=1e-4)


def test_leading_silence_counts_as_silence():
    turns = [Turn("agent", "喂，您好。", 14.0, 16.0), Turn("customer", "喂？", 16.5, 17.0)]
    quality = measure_turns(turns, 20.0, stereo=True)
    assert quality.longest_silence_s == pytest.approx(14.0)


@pytest.mark.parametrize(
    ("layout", "count", "seconds"),
    [("stereo_agent_left", 1, 2.0), ("stereo_agent_right", 1, 2.0), ("mono", None, None)],
)
def test_overlaps_are_counted_on_stereo_calls_only(layout, count, seconds):
    quality = measure_transcript(transcript(layout))
    assert quality.overlap_count == count
    assert quality.overlap_s == (pytest.approx(seconds) if seconds is not None else None)


@pytest.mark.parametrize(
    ("customer_start", "counted"),
    [(5.0 - MIN_OVERLAP_S - 0.1, 1), (5.0 - MIN_OVERLAP_S + 0.1, 0), (5.0, 0), (5.2, 0)],
    ids=["real overlap", "boundary jitter", "touching", "gap"],
)
def test_a_touch_at_a_turn_change_is_not_an_overlap(customer_start, counted):
    turns = [Turn("agent", "请您今天处理。", 1.0, 5.0), Turn("customer", "好的好的。", customer_start, 7.0)]
    assert measure_turns(turns, 8.0, stereo=True).overlap_count == counted


def test_several_interruptions_are_counted_separately():
    turns = [Turn("agent", "您听我说完，这笔欠款今天必须处理，不然会影响您的征信。", 0.0, 20.0),
             Turn("customer", "我没钱。", 3.0, 4.0), Turn("customer", "你别说了。", 8.0, 9.5),
             Turn("customer", "我挂了。", 15.0, 16.0)]
    quality = measure_turns(turns, 20.0, stereo=True)
    assert (quality.overlap_count, quality.overlap_s) == (3, pytest.approx(3.5))


def test_agent_speech_rate_counts_content_characters_per_minute_of_agent_speech():
    text = "您好，我是王芳，工号 8721。"  # 您好我是王芳工号8721 = 12 content characters; punctuation and space excluded
    turns = [Turn("agent", text, 0.0, 3.0), Turn("customer", "嗯，你说。", 3.5, 5.0)]
    assert measure_turns(turns, 6.0, stereo=False).agent_chars_per_min == pytest.approx(12 / 3.0 * 60)


def test_turns_without_times_are_ignored_for_timing():
    turns = [Turn("agent", "您好，我是王芳。", 0.0, 2.0), Turn("agent", "这一句没有时间戳，很长很长很长很长。"),
             Turn("customer", "嗯。", 2.5, 3.0)]
    quality = measure_turns(turns, None, stereo=True)
    assert quality.agent_talk_s == 2.0 and quality.agent_chars_per_min == pytest.approx(6 / 2.0 * 60)
    assert quality.duration_s == 3.0  # unknown duration: the end of the last speech stands in


def test_no_timed_speech_measures_nothing_it_cannot():
    quality = measure_turns([Turn("agent", "您好。"), Turn("customer", "喂？")], None, stereo=False)
    assert quality.duration_s is None
    assert (quality.agent_talk_s, quality.customer_talk_s) == (0.0, 0.0)
    assert quality.agent_talk_share is None and quality.longest_silence_s is None and quality.silence_ratio is None
    assert quality.overlap_count is None and quality.agent_chars_per_min is None


def test_unknown_speaker_speech_is_not_silence_but_not_in_the_talk_share():
    turns = [Turn("agent", "您好。", 0.0, 2.0), Turn("unknown", "（听不清）", 2.0, 12.0), Turn("customer", "嗯。", 12.0, 13.0)]
    quality = measure_turns(turns, 13.0, stereo=False)
    assert quality.longest_silence_s == 0.0
    assert quality.agent_talk_share == pytest.approx(2.0 / 3.0, abs=1e-4)
