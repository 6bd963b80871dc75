"""Speaker roles for mono recordings (audit.roles.assign_roles)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from audit.models import Segment, Word
from audit.roles import assign_roles
from tests.voice_samples import stereo_call, telephone_8k

A, C, U = "agent", "customer", "unknown"


def _segments(texts: list[str], seg_s: float = 1.8, gap_s: float = 0.4) -> list[Segment]:
    return [Segment(i * (seg_s + gap_s), i * (seg_s + gap_s) + seg_s, "unknown", text) for i, text in enumerate(texts)]


def _roles(texts: list[str]) -> list[str]:
    return [segment.speaker for segment in assign_roles(_segments(texts))]


# --- content + turn-taking -----------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("texts", "expected"),
    [
        pytest.param(
            ["喂？", "喂您好，我是招商银行信用卡中心的工作人员，工号1234，请问您是张三先生本人吗？", "对，我是。"],
            [C, A, C],
            id="customer-picks-up-agent-introduces-customer-confirms",
        ),
        pytest.param(
            ["您好，这里是平安普惠的，本次通话将被录音，请问是李四女士吗？", "是我，什么事？"],
            [A, C],
            id="agent-speaks-first-then-customer-asks-what-for",
        ),
        pytest.param(
            ["喂你好", "你好我是某某金融公司的公号八八六二请问你是王五本人吗", "对我是"],
            [C, A, C],
            id="no-punctuation-and-homophone-gonghao",
        ),
        pytest.param(
            ["王先生您好，您在我们平台的借款已经于期十五天了", "我知道，我最近手头紧，下个月发工资就还"],
            [A, C],
            id="homophone-yuqi-overdue-and-customer-pleads-for-time",
        ),
        pytest.param(
            ["喂，哪位？", "您好，我是某某银行的，请问张三在吗？", "我是他同事，他不在", "好的，麻烦您转告他尽快处理账单"],
            [C, A, C, A],
            id="third-party-answers-for-the-debtor",
        ),
        pytest.param(
            ["好的，我这边给您登记一下，感谢您的接听，祝您生活愉快，再见。"],
            [A],
            id="agent-closing-formula",
        ),
        pytest.param(
            ["你们别打了，再打我就投诉你们"],
            [C],
            id="customer-threatens-complaint",
        ),
    ],
)
def test_content_cues_name_the_speaker(texts: list[str], expected: list[str]) -> None:
    assert _roles(texts) == expected


@pytest.mark.parametrize(
    ("texts", "expected"),
    [
        pytest.param(["请问您是张三本人吗？", "嗯"], [A, C], id="short-answer-after-agent-question-is-customer"),
        pytest.param(["您好，请问您是张三先生本人吗", "对"], [A, C], id="question-without-question-mark"),
        pytest.param(["喂？", "嗯"], [C, U], id="no-question-so-no-switch-is-assumed"),
    ],
)
def test_turn_taking_attributes_short_answers(texts: list[str], expected: list[str]) -> None:
    assert _roles(texts) == expected


@pytest.mark.parametrize(
    "text",
    ["嗯", "好的", "对", "是的", "再见", "今天天气不错", "", "您好"],
)
def test_lone_ambiguous_segment_is_unknown(text: str) -> None:
    assert _roles([text]) == [U]


def test_run_of_neutral_segments_is_not_guessed_from_alternation() -> None:
    texts = ["您好，我是工商银行信用卡中心的，工号3321"] + ["嗯", "然后呢", "就这样", "那个", "好"]
    roles = _roles(texts)
    assert roles[0] == A
    assert roles[2:] == [U] * 4  # confidence from the first segment must not be carried down a long chain


def test_no_segments_gives_empty_tuple() -> None:
    assert assign_roles([]) == ()
    assert assign_roles([], np.zeros(16000, dtype=np.float32)) == ()


def test_only_speaker_and_source_change() -> None:
    words = (Word(0.1, 0.4, "喂", 0.9),)
    given = [
        Segment(0.0, 1.0, "unknown", "喂？", text_original="喂?", words=words, avg_logprob=-0.2, channel=0),
        Segment(1.0, 5.5, "customer", "您好，我是某银行的工号1234", no_speech_prob=0.01, speaker_source="input"),
        Segment(5.7, 6.1, "agent", "嗯", compression_ratio=1.1),
    ]
    result = assign_roles(given)
    assert isinstance(result, tuple)
    assert [s.speaker_source for s in result] == ["content"] * 3
    for before, after in zip(given, result):
        assert after.speaker in ("agent", "customer", "unknown")
        assert after == Segment(**{**before.__dict__, "speaker": after.speaker, "speaker_source": "content"})
    assert [s.speaker for s in result][:2] == [C, A]  # an input role is overwritten, not trusted


# --- voices (real recordings: a stereo sample mixed down, the script says who spoke when) ------------------------
NEUTRAL = "这个情况"  # no wording cue either way


def _mixed_call(call_id: str, telephone: bool = False) -> tuple[list[Segment], np.ndarray, int, list[str]]:
    """Segments at the script's turns over the call mixed down to mono, every turn's text neutral after the opening
    exchange (three turns); the mono signal, its rate, and who really spoke each segment."""
    channels, script = stereo_call(call_id)
    mono = channels.mean(axis=0)
    segments, truth = [], []
    for i, turn in enumerate(script["turns"]):
        segments.append(Segment(turn["start_s"], turn["end_s"], "unknown", turn["text"] if i < 3 else NEUTRAL))
        truth.append(turn["speaker"])
    assert truth[0] == A
    return segments, (telephone_8k(mono) if telephone else mono), (8000 if telephone else 16000), truth


@pytest.mark.parametrize(
    ("call_id", "telephone"),
    [
        # 2-4 s each (whole calls through the voice encoder): the slow tier; test_voice keeps one in the quick tier
        pytest.param("c01_compliant_stereo", False, id="c01-16k", marks=pytest.mark.slow),
        pytest.param("c04_violence_threat", False, id="c04-16k", marks=pytest.mark.slow),
        pytest.param("c01_compliant_stereo", True, id="c01-telephone-8k", marks=pytest.mark.slow),
    ],
)
def test_voices_name_the_turns_when_only_the_opening_has_wording_cues(call_id: str, telephone: bool) -> None:
    segments, audio, rate, truth = _mixed_call(call_id, telephone)
    content_only = [s.speaker for s in assign_roles(segments)]
    assert content_only[3:].count(U) >= len(segments) - 4  # after the opening the words name almost nothing...
    roles = [s.speaker for s in assign_roles(segments, audio, sample_rate_hz=rate)]
    assert sum(r == t for r, t in zip(roles, truth)) >= 0.9 * len(truth)  # ...the voices name the turns
    assert not [i for i, (r, t) in enumerate(zip(roles, truth)) if r not in (t, U)]  # and none wrongly


def _words(turn: dict) -> list[Word]:
    """One word per character, spread evenly over the turn (as Whisper's word timings roughly are)."""
    chars = [ch for ch in turn["text"] if ch not in "，。？！、"]
    step = (turn["end_s"] - turn["start_s"]) / len(chars)
    return [Word(turn["start_s"] + k * step, turn["start_s"] + (k + 1) * step, ch, 0.9) for k, ch in enumerate(chars)]


def test_a_segment_running_across_a_turn_change_is_cut_where_the_voice_changes() -> None:
    channels, script = stereo_call("c01_compliant_stereo")
    turns = script["turns"]
    assert [turns[2]["speaker"], turns[3]["speaker"]] == [A, C]
    merged_words = tuple(_words(turns[2]) + _words(turns[3]))
    merged = Segment(turns[2]["start_s"], turns[3]["end_s"], "unknown", "".join(w.text for w in merged_words),
                     words=merged_words)
    segments = [Segment(t["start_s"], t["end_s"], "unknown", t["text"]) for t in turns[:2]]
    segments += [merged] + [Segment(t["start_s"], t["end_s"], "unknown", t["text"]) for t in turns[4:]]
    result = assign_roles(segments, channels.mean(axis=0))
    assert len(result) == len(segments) + 1
    first, second = result[2], result[3]
    assert abs(second.start_s - turns[3]["start_s"]) < 0.5  # cut at the turn change, at a word boundary
    assert first.text + second.text == merged.text
    assert (first.speaker, second.speaker) == (A, C)


def test_one_voice_gives_no_voice_evidence() -> None:
    channels, script = stereo_call("c01_compliant_stereo")
    agent_turns = [t for t in script["turns"] if t["speaker"] == "agent"]
    segments = [Segment(t["start_s"], t["end_s"], "unknown", t["text"] if i == 0 else NEUTRAL)
                for i, t in enumerate(agent_turns)]
    assert assign_roles(segments, channels[0]) == assign_roles(segments)


@pytest.mark.parametrize("audio_kind", ["silence", "too-short"])
def test_unusable_audio_falls_back_to_content(audio_kind: str) -> None:
    segments, audio, rate, _ = _mixed_call("c03_missing_disclosures")
    audio = np.zeros_like(audio) if audio_kind == "silence" else audio[: rate // 2]
    assert assign_roles(segments, audio, sample_rate_hz=rate) == assign_roles(segments)


def test_strong_content_is_not_overruled_by_voice() -> None:
    segments, audio, rate, truth = _mixed_call("c01_compliant_stereo")
    customer = truth.index(C)
    # a segment in the customer's voice whose words are plainly the agent's (e.g. a mis-cut segment)
    segments[customer] = dataclasses.replace(segments[customer], text="本次通话将被录音，请问您是张三本人吗，工号1234")
    roles = [s.speaker for s in assign_roles(segments, audio, sample_rate_hz=rate)]
    assert roles[customer] != C
