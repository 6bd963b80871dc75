"""Speaker roles for mono recordings (audit.roles.assign_roles)."""

from __future__ import annotations

import numpy as np
import pytest

from audit.models import Segment, Word
from audit.roles import assign_roles

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


# --- voice clustering ------------------------------------------------------------------------------------------------
SR = 16000


def _voice(f0_hz: float, seconds: float, tilt: float, rng: np.random.Generator) -> np.ndarray:
    """A crude voiced 'utterance': a harmonic tone with tone-like pitch movement, syllable envelope and noise."""
    t = np.arange(int(seconds * SR)) / SR
    contour = f0_hz * (1 + 0.06 * np.sin(2 * np.pi * 2.5 * t + rng.uniform(0, 6)))
    phase = 2 * np.pi * np.cumsum(contour) / SR
    tone = sum(np.sin(k * phase) / k**tilt for k in range(1, 8))
    syllables = 0.55 + 0.45 * np.abs(np.sin(np.pi * 4 * t))
    return 0.25 * tone * syllables + 0.01 * rng.standard_normal(len(t))


def _two_voice_call(
    turns: list[tuple[str, str]],
    agent_f0: float = 110.0,
    customer_f0: float = 230.0,
    sr: int = SR,
    seed: int = 0,
    customer_tilt: float = 1.6,
) -> tuple[list[Segment], np.ndarray]:
    """Alternating synthetic voices, one segment per turn; (who, text) where who is 'agent' or 'customer'."""
    rng = np.random.default_rng(seed)
    pieces, segments, t = [], [], 0.3
    pieces.append(0.01 * rng.standard_normal(int(0.3 * SR)))
    for i, (who, text) in enumerate(turns):
        seconds = 1.2 + 0.6 * (i % 3) / 2
        f0, tilt = (agent_f0, 1.0) if who == "agent" else (customer_f0, customer_tilt)
        pieces.append(_voice(f0, seconds, tilt, rng))
        segments.append(Segment(t, t + seconds, "unknown", text))
        t += seconds + 0.35
        pieces.append(0.01 * rng.standard_normal(int(0.35 * SR)))
    audio = np.concatenate(pieces).astype(np.float32)
    if sr != SR:
        audio = np.interp(np.arange(0, len(audio), SR / sr), np.arange(len(audio)), audio).astype(np.float32)
    return segments, audio


# Weak cues only: 您/账单/麻烦您 lean agent, bare short answers lean customer; none is enough alone, and the
# alternation has no questions to lean on.
WEAK_TURNS = [
    ("agent", "您好，这边是关于您的账单"),
    ("customer", "嗯"),
    ("agent", "您那边现在方便说话"),
    ("customer", "好的"),
    ("agent", "麻烦您确认一下"),
    ("customer", "嗯"),
    ("agent", "那您看今天安排一下"),
    ("customer", "行"),
]


@pytest.mark.parametrize(
    ("agent_f0", "customer_f0", "sr"),
    [
        pytest.param(110.0, 230.0, 16000, id="low-voice-agent"),
        pytest.param(230.0, 110.0, 16000, id="high-voice-agent"),  # which cluster is the agent comes from content
        pytest.param(120.0, 210.0, 8000, id="telephone-rate"),
    ],
)
def test_voice_clusters_resolve_weak_content(agent_f0: float, customer_f0: float, sr: int) -> None:
    segments, audio = _two_voice_call(WEAK_TURNS, agent_f0, customer_f0, sr=sr)
    content_only = [s.speaker for s in assign_roles(segments)]
    assert content_only.count(U) >= 6  # the text alone is not enough...
    with_voice = [s.speaker for s in assign_roles(segments, audio, sample_rate_hz=sr)]
    assert with_voice == [who for who, _ in WEAK_TURNS]  # ...the voices are


@pytest.mark.parametrize(
    "turns",
    [
        pytest.param(
            # agent cues sit in both voices: the voice split does not match who says what
            [("agent", "您好，我这边是银行的"), ("customer", "您的账单逾期了"), ("agent", "嗯"),
             ("customer", "请您尽快还款"), ("agent", "好的"), ("customer", "麻烦您处理一下")],
            id="agent-cues-in-both-voices",
        ),
        pytest.param(
            # content says the low voice is the customer for some segments and the agent for others
            [("agent", "对我是"), ("customer", "您好工号1234"), ("agent", "请问您是张三本人吗"),
             ("customer", "下个月吧"), ("agent", "嗯"), ("customer", "好的")],
            id="content-contradicts-voices",
        ),
        pytest.param(
            # one voice side has no content evidence at all, so nothing names it
            [("agent", "您好，关于您的账单"), ("customer", "然后"), ("agent", "麻烦您处理一下"),
             ("customer", "那个"), ("agent", "您看一下"), ("customer", "这样")],
            id="one-cluster-without-content-support",
        ),
    ],
)
def test_voices_disagreeing_with_content_fall_back_to_content(turns: list[tuple[str, str]]) -> None:
    segments, audio = _two_voice_call(turns)
    assert assign_roles(segments, audio) == assign_roles(segments)


@pytest.mark.parametrize(
    "audio_kind",
    ["one-voice", "silence", "too-short"],
)
def test_unusable_audio_falls_back_to_content(audio_kind: str) -> None:
    segments, audio = _two_voice_call(WEAK_TURNS)
    if audio_kind == "one-voice":
        segments, audio = _two_voice_call(WEAK_TURNS, agent_f0=150.0, customer_f0=150.0, customer_tilt=1.0)
    elif audio_kind == "silence":
        audio = np.zeros_like(audio)
    else:
        audio = audio[: SR // 2]
    assert assign_roles(segments, audio) == assign_roles(segments)


def test_strong_content_is_not_overruled_by_voice() -> None:
    turns = [("agent", "您好，我是银行信用卡中心的，工号1234"), ("customer", "嗯"), ("agent", "您的账单逾期了"),
             ("customer", "好的"), ("agent", "麻烦您尽快处理"), ("customer", "行")]
    segments, audio = _two_voice_call(turns)
    # a segment in the customer's voice whose words are plainly the agent's (e.g. a mis-cut segment)
    segments[3] = Segment(segments[3].start_s, segments[3].end_s, "unknown", "本次通话将被录音，请问您是张三本人吗")
    roles = [s.speaker for s in assign_roles(segments, audio)]
    assert roles[3] != C
