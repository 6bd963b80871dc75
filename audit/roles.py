"""Speaker roles for MONO recordings: who said each segment, the agent or the customer?

Stereo calls get their roles from the channel layout. A mono call has both voices in one channel, so the role of each
Whisper segment is inferred here from three kinds of evidence, all expressed as log-odds "agent vs customer":

1. **Content** - what is said. Collection agents introduce an institution, give a 工号, announce the recording, ask
   「请问您是…本人吗」 and talk about 逾期/还款; customers answer 「喂」「对，我是」, ask who is calling, plead for time.
   Words the cues rest on are first read by their sound (宫号 is 工号, 线款 is not 欠款), so the patterns hold on
   ASR homophones; they also tolerate missing punctuation.
2. **Turn-taking** - a two-state hidden Markov chain over the segments. A question is usually followed by the other
   speaker and a pause mildly favours a change of speaker; the chain is smoothed with forward-backward, so a short
   「嗯」 right after the agent's question can be attributed, while a run of neutral segments quickly decays to 50/50.
3. **Voice** (when the audio is given) - speaker embeddings (``audit.voice``) of short windows over each segment;
   the call is split into two voices, a segment running across a turn change is cut where the voice changes, and the
   content names the voices (the one whose segments carry the agent's wording is the agent). Not used when the call
   holds one voice, or two too alike, or the wording cannot tell which is which.

A segment gets a role only when the smoothed posterior clears ``CONFIDENT``; everything else is ``unknown``. Position
alone never decides (the first segment may be the customer's 「喂」 or the agent's greeting).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Sequence

import numpy as np

from audit import voice
from audit.models import Segment
from audit.pinyin import is_cjk, loose, sounds_of
from audit.text import normalize_transcript_text

__all__ = ["assign_roles"]

CONFIDENT = 0.85  # posterior P(agent) >= this -> agent; <= 1 - this -> customer; otherwise unknown
MAX_CONTENT_LOGODDS = 6.0  # many cue hits in one long segment must not become infinite certainty

# --- 1. content cues ---------------------------------------------------------------------------------------------
# (pattern, weight): positive = agent, negative = customer. Matched on the text with punctuation and spaces removed,
# because Whisper often drops or misplaces punctuation. Weights are log-odds; a weight of about 2 alone is enough
# for a role, 1 alone is not (it needs turn-taking or voice support).
_INSTITUTION = r"(银行|中心|公司|金融|平台|法务|律所|律师|事务所|信用卡|贷款|小贷|消费|资产|委托|催收|客服|分期|借呗|花呗|白条)"
_OVERDUE = r"(逾期|于期|余期|於期|鱼期|愈期|已经?预期|预期\d+天)"
_AGENT_CUES: tuple[tuple[str, float], ...] = (
    (rf"(我是|我们是|这里是|这边是|我这边是).{{0,14}}{_INSTITUTION}", 3.0),  # self-introduction with institution
    (r"(工号|公号|攻号|功号|工耗|工好)", 3.0),
    (r"(本次通话|本通电话|本次电话|通话录音|将被录音|全程录音|正在录音|录音备案)", 3.0),
    (r"请问(您|你).{0,12}(本人|先生|女士|小姐|家属|吗)", 2.5),
    (r"(您|你)是.{0,8}(本人|本仁)(吗|是吧|对吧|是不是|对不对)", 2.5),
    (r"(感谢您的(接听|配合|来电)|祝您(生活愉快|愉快|工作顺利)|打扰您了)", 2.5),
    (r"(系统显示|记录显示|核实|提醒您|通知您|告知您|您的(账户|账单|借款|贷款|信用卡|欠款|还款))", 2.0),
    (r"(我们这边|我这边|我司|我方|我行)", 1.5),
    (_OVERDUE, 1.5),
    (r"(最低还款|欠款|账单|还款|协商|减免|违约金|滞纳金|罚息|征信|起诉|诉讼|上门|结清|本金|利息|全额|一次性)", 1.0),
    (r"(今天之内|今天下午|几点之前|最晚|务必|请您|麻烦您|尽快处理|按时)", 1.0),
    (r"(先生|女士)", 0.5),  # the agent addresses the customer as 张先生; customers rarely title themselves
    (r"您", 0.5),  # agents speak politely; customers mostly say 你/你们
)
_CUSTOMER_CUES: tuple[tuple[str, float], ...] = (
    (r"^(对|是|嗯|啊)?(对|是)?的?我(就)?是$|^(对|是|嗯)的?我是(的|啊)?|是我(啊|呀)?$|我就是(本人)?", -2.5),
    (r"我是(他|她)的?(妈妈|妈|爸爸|爸|同事|老婆|老公|朋友|家人|儿子|女儿|哥哥|姐姐|弟弟|妹妹|领导)", -2.5),
    (r"(哪位|你是谁|你们是谁|你是哪|你们是哪|你哪里|哪里打来|什么事|有什么事|找我干|谁啊)", -2.0),
    (r"(没钱|没有钱|还不上|还不起|手头紧|发工资|宽限|缓几天|再等|过几天|下个月|下周|月底)", -1.5),
    (r"(我知道|我会还|我会尽快|我尽快|我想办法|我去凑|我(已经)?还(了|过)|我借的)", -1.5),
    (r"(别打了|不要再打|别再打|投诉|骚扰|我不认识|打错了|不是我借|不是我的|不关我)", -2.0),
    (r"(在开车|我(现在)?(在上班|不方便|在忙|很忙|正忙)|^(不方便|在忙|忙着呢))", -1.5),  # first person only
    (r"(能不能|可不可以|能否)", -0.5),  # customers bargain, but agents ask 「您今天能不能还上」 too
    (r"你们", -1.0),
)
_AGENT_RE = tuple((re.compile(pattern), weight) for pattern, weight in _AGENT_CUES)
_CUSTOMER_RE = tuple((re.compile(pattern), weight) for pattern, weight in _CUSTOMER_CUES)

# Whole-segment patterns: the picking-up 「喂」 and bare short answers. Agents say 好的/嗯 too, hence the weak weight.
_PICKUP_RE = re.compile(r"^(喂)+(你好|您好)?(哪位|谁)?(啊|呀)?$")
_SHORT_ANSWER_RE = re.compile(
    r"^(对|嗯|好|行|是|哦|啊|噢|没有|不是|可以|知道了|知道|没|不|嗯嗯|对对|好的|是的|对的|行吧|好吧|再见|拜拜)+(啊|呀|吧|的)?$"
)
_PUNCT_RE = re.compile(r"[\s，。！？、；：,.!?;:…~\-—\"'“”‘’（）()《》【】\[\]]+")
_QUESTION_END_RE = re.compile(r"([?？]|吗|呢|么|是吧|对吧|是不是|对不对|好不好|行不行|可以吗|什么|哪|几|多少|怎么)[啊呀]?$")


# The two-character words the cues rest on. A span that sounds like one (accent-folded pinyin) is rewritten to it
# before the cues are matched, so that 宫号, 路音 or 于七 count as 工号, 录音, 逾期.
_SOUND_WORDS = ("工号", "录音", "通话", "逾期", "本人", "欠款", "还款", "账单", "核实", "委托", "催收", "银行", "金融",
                "消费", "客服", "征信", "贷款", "分期")
_SOUND_OF_WORD = {tuple(loose(s) for s in sounds_of(word)): word for word in _SOUND_WORDS}


def _by_sound(text: str) -> str:
    """``text`` with every two-character span that sounds like one of _SOUND_WORDS spelled as that word."""
    sounds = [loose(sound) if is_cjk(char) else None for char, sound in zip(text, sounds_of(text))]
    chars = list(text)
    at = 0
    while at < len(chars) - 1:
        word = _SOUND_OF_WORD.get((sounds[at], sounds[at + 1])) if sounds[at] and sounds[at + 1] else None
        if word:
            chars[at:at + 2] = word
            at += 2
        else:
            at += 1
    return "".join(chars)


def _clean(text: str) -> str:
    return _PUNCT_RE.sub("", text)


def _content_logodds(text: str) -> float:
    """Log-odds that ``text`` was said by the agent (>0) rather than the customer (<0), from wording alone."""
    clean = _by_sound(_clean(text))
    if not clean:
        return 0.0
    score = sum(weight for regex, weight in _AGENT_RE if regex.search(clean))
    score += sum(weight for regex, weight in _CUSTOMER_RE if regex.search(clean))
    if _PICKUP_RE.match(clean):
        score -= 2.0
    elif clean.startswith("喂") and score <= 0:  # the agent also opens with 喂; only count it when nothing else does
        score -= 1.0
    if _SHORT_ANSWER_RE.match(clean):
        score -= 1.0
    return float(np.clip(score, -MAX_CONTENT_LOGODDS, MAX_CONTENT_LOGODDS))


def _is_question(text: str) -> bool:
    if _PICKUP_RE.match(_clean(text)):
        return False  # 「喂？」 on picking up is a greeting, not a question to be answered by the other side
    stripped = text.strip().rstrip("。.!！~…")
    return bool(_QUESTION_END_RE.search(stripped))


# --- 2. turn-taking --------------------------------------------------------------------------------------------------
def _switch_probabilities(segments: Sequence[Segment]) -> np.ndarray:
    """P(speaker changes) between segment i-1 and i (entry 0 unused).

    Whisper timestamps are loose (consecutive segments often touch even across a speaker change, and one speaker's
    long turn is often cut into several segments), so a pause is only a mild cue; a question is a stronger one.
    """
    switch = np.full(len(segments), 0.5)
    for i in range(1, len(segments)):
        prev, cur = segments[i - 1], segments[i]
        p = 0.6 if cur.start_s - prev.end_s >= 0.3 else 0.5
        if _is_question(prev.text):
            p = 0.8
            if _SHORT_ANSWER_RE.match(_clean(cur.text)):
                p = 0.9  # 「…本人吗？」「对」
        switch[i] = p
    return switch


def _posterior_agent(logodds: np.ndarray, switch: np.ndarray) -> np.ndarray:
    """Forward-backward over a two-state chain (agent, customer) with per-segment evidence ``logodds``."""
    n = len(logodds)
    like = np.stack([1.0 / (1.0 + np.exp(-logodds)), 1.0 / (1.0 + np.exp(logodds))], axis=1)  # [agent, customer]
    forward = np.zeros((n, 2))
    backward = np.ones((n, 2))
    prior = np.array([0.5, 0.5])  # no positional prior: the first segment may be either side
    for i in range(n):
        if i:
            stay = 1.0 - switch[i]
            t = np.array([[stay, switch[i]], [switch[i], stay]])
            prior = forward[i - 1] @ t
        f = prior * like[i]
        forward[i] = f / f.sum()
    for i in range(n - 2, -1, -1):
        stay = 1.0 - switch[i + 1]
        t = np.array([[stay, switch[i + 1]], [switch[i + 1], stay]])
        b = t @ (like[i + 1] * backward[i + 1])
        backward[i] = b / b.sum()
    post = forward * backward
    return post[:, 0] / post.sum(axis=1)


# --- 3. voice ----------------------------------------------------------------------------------------------------
# Speaker embeddings (audit.voice) of 1.2 s windows every 0.6 s over each segment, split into two voices; the wording
# then names the voices. Windows, not whole segments, because a recognised segment often runs across a turn change
# (「是我，又是催款的吧？对，您在…的借款已经逾期…」): such a segment is cut where its windows change voice.
WINDOW_S, HOP_S = 1.2, 0.6
MIN_CLUSTER_SEGMENTS = 4  # segments with a voice needed before the call is split into two voices
SAME_VOICE_COSINE = 0.9  # voice centroids closer than this: one voice, or two too alike to tell; voices not used
MIN_NAMING_LOGODDS = 2.0  # content evidence needed to say which voice is the agent's
VOICE_LOGODDS = 4.0  # evidence a segment gets when its windows sit at (or beyond) its voice's centroid
SPLIT_POSITION = 0.5  # a segment is cut only where the windows before and after lean this far to different voices


def _clipper(audio, sr: int):
    """``clip(segment)`` -> the segment's samples, from a signal or from a long recording's forward reader."""
    if callable(audio):  # a long recording: clips(start_s, end_s) in time order, never the whole signal (audit.asr)
        return lambda seg: np.asarray(audio(seg.start_s, seg.end_s), dtype=np.float32)
    signal = np.asarray(audio, dtype=np.float32)
    if signal.ndim > 1:  # tolerate (n, channels) / (channels, n) input by downmixing
        signal = signal.mean(axis=1) if signal.shape[1] <= 2 else signal.mean(axis=0)
    return lambda seg: signal[max(0, int(seg.start_s * sr)):max(0, int(seg.end_s * sr))]


def _resampled(clip: np.ndarray, sr: int) -> np.ndarray:
    if sr == voice.SAMPLE_RATE_HZ or not len(clip):
        return clip
    n = int(round(len(clip) * voice.SAMPLE_RATE_HZ / sr))
    return np.interp(np.arange(n) * (sr / voice.SAMPLE_RATE_HZ), np.arange(len(clip)), clip).astype(np.float32)


def _two_voices(embeddings: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """(2, 256) centroids from spherical 2-means (cosine) weighted by speech length, started from the least alike
    pair among the longer half of the segments; deterministic."""
    longer = np.flatnonzero(weights >= np.median(weights))
    similarity = embeddings[longer] @ embeddings[longer].T
    a, b = np.unravel_index(np.argmin(similarity), similarity.shape)
    centroids = embeddings[longer[[a, b]]]
    labels = np.full(len(embeddings), -1)
    for _ in range(50):
        new = np.argmax(embeddings @ centroids.T, axis=1)
        if np.array_equal(new, labels) or min(np.bincount(new, minlength=2)) == 0:
            break
        labels = new
        centroids = np.stack([(embeddings[labels == k] * weights[labels == k, None]).sum(axis=0) for k in (0, 1)])
        centroids /= np.linalg.norm(centroids, axis=1, keepdims=True)
    return centroids


def _cut_where_voice_changes(seg: Segment, centres_s: np.ndarray, positions: np.ndarray) -> list[tuple[Segment, float]]:
    """``seg`` as (piece, mean window position) pairs: whole, or cut at the word boundary where the windows before
    and after lean most clearly to different voices (recursively, so a segment can hold several turns)."""
    whole = [(seg, float(positions.mean()))]
    words = seg.words
    best, best_gap = None, 0.0
    for j in range(1, len(words)):
        cut_s = words[j].start_s
        left, right = positions[centres_s < cut_s], positions[centres_s >= cut_s]
        if not len(left) or not len(right):
            continue
        mean_left, mean_right = left.mean(), right.mean()
        if mean_left * mean_right < 0 and min(abs(mean_left), abs(mean_right)) >= SPLIT_POSITION:
            if abs(mean_left - mean_right) > best_gap:
                best, best_gap = j, abs(mean_left - mean_right)
    if best is None:
        return whole
    pieces = []
    for part_words, first in ((words[:best], True), (words[best:], False)):
        start_s = seg.start_s if first else part_words[0].start_s
        end_s = part_words[-1].end_s if first else seg.end_s
        text = normalize_transcript_text("".join(word.text for word in part_words))
        if not text:
            return whole
        piece = dataclasses.replace(seg, start_s=start_s, end_s=end_s, text=text, words=tuple(part_words))
        inside = (centres_s >= words[best].start_s) != first
        pieces.extend(_cut_where_voice_changes(piece, centres_s[inside], positions[inside]))
    return pieces


def _by_voice(segments: tuple[Segment, ...], audio, sr: int) -> tuple[tuple[Segment, ...], np.ndarray]:
    """The segments (cut where the voice changes inside one) and each one's position between the call's two voices:
    -1 at voice 0's centroid, +1 at voice 1's, NaN where unmeasured; all NaN when the call does not hold two voices."""
    clip = _clipper(audio, sr)
    windows = voice.embed_windows([_resampled(clip(seg), sr) for seg in segments], WINDOW_S, HOP_S)
    unmeasured = np.full(len(segments), np.nan)
    measured = [i for i, (_, embeddings) in enumerate(windows) if len(embeddings)]
    if len(measured) < MIN_CLUSTER_SEGMENTS:
        return segments, unmeasured
    # The voices are found on whole segments (a window is too short to place reliably on its own), then every
    # window is placed between them.
    means = np.stack([windows[i][1].mean(axis=0) for i in measured])
    means /= np.linalg.norm(means, axis=1, keepdims=True)
    centroids = _two_voices(means, np.array([segments[i].end_s - segments[i].start_s for i in measured]))
    between = float(centroids[0] @ centroids[1])
    if between > SAME_VOICE_COSINE:
        return segments, unmeasured
    cut, positions = [], []
    for seg, (starts_s, embeddings) in zip(segments, windows):
        if not len(embeddings):
            cut.append(seg)
            positions.append(np.nan)
            continue
        position = (embeddings @ centroids[1] - embeddings @ centroids[0]) / (1.0 - between)
        centres_s = seg.start_s + starts_s + min(WINDOW_S, seg.end_s - seg.start_s) / 2
        for piece, piece_position in _cut_where_voice_changes(seg, centres_s, position):
            cut.append(piece)
            positions.append(piece_position)
    return tuple(cut), np.array(positions)


def _voice_logodds(positions: np.ndarray, content: np.ndarray) -> np.ndarray:
    """Agent log-odds from the voices, named by what each says; zeros where the wording cannot name them."""
    measured = ~np.isnan(positions)
    leaning = np.clip(np.where(measured, positions, 0.0), -1.5, 1.5)
    naming = float((content * np.clip(leaning, -1.0, 1.0)).sum())  # > 0: voice 1 says the agent's words
    if abs(naming) < MIN_NAMING_LOGODDS:
        return np.zeros(len(positions))
    return np.sign(naming) * VOICE_LOGODDS * leaning


# --- public ------------------------------------------------------------------------------------------------------
def assign_roles(
    segments: Sequence[Segment], audio: np.ndarray | None = None, sample_rate_hz: int = 16000
) -> tuple[Segment, ...]:
    """Return the segments (in order; one that holds both voices cut in two at a word boundary) with speaker set and
    speaker_source="content".

    ``audio``, when given, is the mono signal the segments were transcribed from (at ``sample_rate_hz``), or for a
    long recording a callable ``clips(start_s, end_s)`` asked in time order (``audit.asr.ForwardClips``); it adds the
    voices, named by the content. A segment whose evidence is not strong enough is ``unknown``.
    """
    segments = tuple(segments)
    if not segments:
        return ()
    positions = np.full(len(segments), np.nan)
    if audio is not None and (callable(audio) or len(audio)):
        segments, positions = _by_voice(segments, audio, int(sample_rate_hz))
    content = np.array([_content_logodds(seg.text) for seg in segments])
    evidence = content + _voice_logodds(positions, content)
    posterior = _posterior_agent(evidence, _switch_probabilities(segments))
    roles = np.where(posterior >= CONFIDENT, "agent", np.where(posterior <= 1.0 - CONFIDENT, "customer", "unknown"))
    return tuple(
        dataclasses.replace(seg, speaker=str(role), speaker_source="content") for seg, role in zip(segments, roles)
    )
