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
3. **Voice** (optional, when the audio is given) - per-segment median pitch and spectral centroid, split into two
   clusters by 2-means. The clustering is only used when the clusters are well separated *and* the content cues agree
   with it; the content then decides which cluster is the agent. Otherwise it is ignored.

A segment gets a role only when the smoothed posterior clears ``CONFIDENT``; everything else is ``unknown``. Position
alone never decides (the first segment may be the customer's 「喂」 or the agent's greeting). Only numpy is used.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Sequence

import numpy as np

from audit.models import Segment
from audit.pinyin import is_cjk, loose, sounds_of

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
MIN_VOICED_SEGMENT_S = 0.4  # shorter segments give too few frames for a stable pitch estimate
MIN_CLUSTER_SEGMENTS = 4  # segments with a measured voice needed before clustering is attempted
# Clusters must be apart on a physical scale, not only relative to each other: with few segments, 2-means finds a
# "well separated" split in any data, but one speaker's per-segment median pitch rarely wanders by 0.2 octave.
MIN_VOICE_DISTANCE_OCT = 0.2
MIN_SEPARATION = 3.5  # and d' (centroid distance / pooled spread along the centroid axis)
MIN_CONTENT_AGREEMENT = 0.8  # share of content evidence (weighted by |log-odds|) consistent with the clusters
MIN_SIDE_SUPPORT = 0.9  # each cluster needs some content evidence of its own role (a 「嗯」 counts)
VOICE_LOGODDS = 2.5  # evidence a segment gets when it sits at (or beyond) its cluster's centroid
CENTROID_WEIGHT = 0.5  # spectral centroid (octaves) counts half as much as pitch (octaves)


def _voice_features(clip: np.ndarray, sr: int) -> np.ndarray | None:
    """[log2 median pitch, weighted log2 mean spectral centroid] over the voiced frames of one segment, or None.

    Pitch is the most speaker-specific cue that survives 8 kHz telephone audio; the spectral centroid (voice timbre,
    formants) helps when pitches are close. Both are in octaves, so distances have a physical meaning.
    """
    win, hop = int(0.04 * sr), int(0.01 * sr)  # 40 ms holds two periods of a 60 Hz voice
    if len(clip) < win + 10 * hop:
        return None
    starts = np.arange(0, len(clip) - win + 1, hop)
    frames = clip[starts[:, None] + np.arange(win)] * np.hanning(win)
    energy = (frames**2).sum(axis=1)
    frames = frames[energy > 0.05 * np.percentile(energy, 90)]  # drop pauses
    if len(frames) < 5:
        return None
    nfft = 1 << int(np.ceil(np.log2(2 * win)))
    spec = np.abs(np.fft.rfft(frames, nfft)) ** 2

    # Normalised autocorrelation, 60-400 Hz. Take the shortest lag whose peak is close to the best one: the best peak
    # alone often sits at twice the period (an octave too low).
    ac = np.fft.irfft(spec, nfft)[:, :win]
    ac = ac / np.maximum(ac[:, :1], 1e-12)
    lo, hi = int(sr / 400), int(sr / 60)
    r = ac[:, lo : hi + 1]
    best = r.max(axis=1)
    peaks = np.zeros_like(r, dtype=bool)
    peaks[:, 1:-1] = (r[:, 1:-1] >= r[:, :-2]) & (r[:, 1:-1] >= r[:, 2:])
    peaks &= r >= 0.85 * best[:, None]
    voiced = (best > 0.45) & peaks.any(axis=1)
    if voiced.sum() < 5:
        return None  # whispered, noisy or unvoiced: no reliable voice measurement
    lags = lo + np.argmax(peaks[voiced], axis=1)
    pitch = np.log2(np.median(sr / lags))

    freqs = np.fft.rfftfreq(nfft, 1.0 / sr)
    band = (freqs >= 150.0) & (freqs <= min(3600.0, 0.45 * sr))  # telephone band
    power = spec[voiced][:, band]
    centroid = (power * freqs[band]).sum(axis=1) / np.maximum(power.sum(axis=1), 1e-12)
    return np.array([pitch, CENTROID_WEIGHT * np.log2(np.mean(centroid))])


def _two_means(x: np.ndarray) -> np.ndarray:
    """Deterministic 2-means: start from the extremes of the first principal axis, then Lloyd iterations."""
    centred = x - x.mean(axis=0)
    axis = np.linalg.svd(centred, full_matrices=False)[2][0]
    proj = centred @ axis
    centroids = np.stack([x[np.argmin(proj)], x[np.argmax(proj)]])
    labels = np.full(len(x), -1)
    for _ in range(50):
        new = np.argmin(((x[:, None, :] - centroids[None]) ** 2).sum(axis=2), axis=1)
        if np.array_equal(new, labels) or min(np.bincount(new, minlength=2)) == 0:
            break
        labels = new
        centroids = np.stack([x[labels == k].mean(axis=0) for k in (0, 1)])
    return labels


def _voice_logodds(segments: Sequence[Segment], audio: np.ndarray, sr: int, content: np.ndarray) -> np.ndarray:
    """Per-segment agent log-odds from voice clustering, or all zeros when the clustering is not trustworthy."""
    zeros = np.zeros(len(segments))
    if callable(audio):  # a long recording: clips(start_s, end_s) in time order, never the whole signal (audit.asr)
        def clip(seg: Segment) -> np.ndarray:
            return np.asarray(audio(seg.start_s, seg.end_s), dtype=np.float64)
    else:
        signal = np.asarray(audio, dtype=np.float64)
        if signal.ndim > 1:  # tolerate (n, channels) / (channels, n) input by downmixing
            signal = signal.mean(axis=1) if signal.shape[1] <= 2 else signal.mean(axis=0)

        def clip(seg: Segment) -> np.ndarray:
            return signal[max(0, int(seg.start_s * sr)) : max(0, int(seg.end_s * sr))]
    feats, idx = [], []
    for i, seg in enumerate(segments):
        if seg.end_s - seg.start_s >= MIN_VOICED_SEGMENT_S:
            f = _voice_features(clip(seg), sr)
            if f is not None:
                feats.append(f)
                idx.append(i)
    if len(feats) < MIN_CLUSTER_SEGMENTS:
        return zeros
    x = np.array(feats)
    labels = _two_means(x)
    counts = np.bincount(labels, minlength=2)
    if counts.min() < 2:
        return zeros

    # Separation along the line joining the centroids, in octaves (physical floor) and in d' (relative to spread).
    c0, c1 = x[labels == 0].mean(axis=0), x[labels == 1].mean(axis=0)
    distance = float(np.linalg.norm(c1 - c0))
    if distance < MIN_VOICE_DISTANCE_OCT:
        return zeros
    proj = (x - (c0 + c1) / 2) @ ((c1 - c0) / distance)  # -distance/2 at cluster 0's centroid, +distance/2 at 1's
    pooled = np.sqrt((proj[labels == 0].var() * counts[0] + proj[labels == 1].var() * counts[1]) / len(proj))
    if distance < MIN_SEPARATION * pooled:
        return zeros

    # Content names the clusters (which side carries the agent cues?) and must agree with them: most of the content
    # evidence consistent, and each cluster holding some evidence for its own role. Otherwise voices are not used.
    side = np.where(labels == 1, 1.0, -1.0)
    evidence = content[idx]
    orientation = np.sign((evidence * side).sum())  # +1: cluster 1 is the agent
    if orientation == 0:
        return zeros
    consistent = np.sign(evidence) == orientation * side
    if np.abs(evidence[consistent]).sum() < MIN_CONTENT_AGREEMENT * np.abs(evidence).sum():
        return zeros
    for k in (0, 1):
        if np.abs(evidence[consistent & (labels == k)]).sum() < MIN_SIDE_SUPPORT:
            return zeros
    out = zeros.copy()
    # Scale by position between the centroids: a segment midway (e.g. one holding both voices) gets ~no evidence.
    out[idx] = orientation * VOICE_LOGODDS * np.clip(proj / (distance / 2), -1.0, 1.0)
    return out


# --- public ------------------------------------------------------------------------------------------------------
def assign_roles(
    segments: Sequence[Segment], audio: np.ndarray | None = None, sample_rate_hz: int = 16000
) -> tuple[Segment, ...]:
    """Return the segments (same order, same times, same text) with speaker set and speaker_source="content".

    ``audio``, when given, is the mono signal the segments were transcribed from (at ``sample_rate_hz``), or for a
    long recording a callable ``clips(start_s, end_s)`` asked in time order (``audit.asr.ForwardClips``); it adds a
    voice-clustering cue that is used only when it is clear-cut and consistent with the content. A segment whose
    evidence is not strong enough is ``unknown``.
    """
    segments = tuple(segments)
    if not segments:
        return ()
    content = np.array([_content_logodds(seg.text) for seg in segments])
    evidence = content
    if audio is not None and (callable(audio) or len(audio)):
        evidence = content + _voice_logodds(segments, audio, int(sample_rate_hz), content)
    posterior = _posterior_agent(evidence, _switch_probabilities(segments))
    roles = np.where(posterior >= CONFIDENT, "agent", np.where(posterior <= 1.0 - CONFIDENT, "customer", "unknown"))
    return tuple(
        dataclasses.replace(seg, speaker=str(role), speaker_source="content") for seg, role in zip(segments, roles)
    )
