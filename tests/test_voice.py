"""Speaker embeddings (audit.voice): the shipped encoder tells real voices apart, at 16 kHz and on telephone audio."""

from __future__ import annotations

import numpy as np
import pytest

from audit import voice
from audit.audio import SAMPLE_RATE_HZ
from tests.voice_samples import stereo_call, telephone_8k


def _upsampled(signal_8k: np.ndarray) -> np.ndarray:
    """8 kHz audio read at 16 kHz, as audit.audio hands telephone calls on."""
    n = 2 * len(signal_8k)
    return np.interp(np.arange(n) / 2, np.arange(len(signal_8k)), signal_8k).astype(np.float32)


def _turn_embeddings(call_id: str, telephone: bool) -> tuple[np.ndarray, np.ndarray]:
    """One embedding per script turn, each cut from its speaker's own channel; and who spoke it."""
    channels, script = stereo_call(call_id)
    agent_channel = 1 if script["channel_layout"] == "stereo_agent_right" else 0
    clips, speakers = [], []
    for turn in script["turns"]:
        channel = channels[agent_channel if turn["speaker"] == "agent" else 1 - agent_channel]
        clip = channel[int(turn["start_s"] * SAMPLE_RATE_HZ):int(turn["end_s"] * SAMPLE_RATE_HZ)]
        clips.append(_upsampled(telephone_8k(clip)) if telephone else clip)
        speakers.append(turn["speaker"])
    windows = voice.embed_windows(clips)
    means = np.stack([embeddings.mean(axis=0) for _, embeddings in windows])
    return means / np.linalg.norm(means, axis=1, keepdims=True), np.array(speakers)


@pytest.mark.parametrize(
    ("call_id", "telephone", "margin"),
    [
        pytest.param("c01_compliant_stereo", False, 0.15, id="c01-16k"),
        pytest.param("c04_violence_threat", False, 0.15, id="c04-agent-right-16k", marks=pytest.mark.slow),
        pytest.param("c01_compliant_stereo", True, 0.1, id="c01-telephone-8k",  # the band is narrower, voices closer
                     marks=pytest.mark.slow),
    ],
)
def test_two_voices_of_a_stereo_sample_separate(call_id: str, telephone: bool, margin: float) -> None:
    embeddings, speakers = _turn_embeddings(call_id, telephone)
    similarity = embeddings @ embeddings.T
    same = speakers[:, None] == speakers[None, :]
    off_diagonal = ~np.eye(len(speakers), dtype=bool)
    assert similarity[same & off_diagonal].mean() > similarity[~same].mean() + margin
    for i, speaker in enumerate(speakers):  # every turn is nearer its own speaker's other turns than the other's
        others = off_diagonal[i]
        own = similarity[i, others & (speakers == speaker)].mean()
        other = similarity[i, others & (speakers != speaker)].mean()
        assert own > other, f"turn {i} ({speaker})"


def test_windows_cover_a_clip_and_short_clips_have_none() -> None:
    channels, script = stereo_call("c01_compliant_stereo")
    turn = script["turns"][0]
    clip = channels[0][int(turn["start_s"] * SAMPLE_RATE_HZ):int(turn["start_s"] * SAMPLE_RATE_HZ) + 3 * SAMPLE_RATE_HZ]
    (starts_s, embeddings), (short_starts, short_embeddings) = voice.embed_windows(
        [clip, clip[:SAMPLE_RATE_HZ // 4]], window_s=1.2, hop_s=0.6)
    assert starts_s[:4].tolist() == pytest.approx([0.0, 0.6, 1.2, 1.8])
    assert starts_s[-1] + 1.2 == pytest.approx(3.0, abs=0.02)  # the last window ends at the clip's end
    assert np.allclose(np.linalg.norm(embeddings, axis=1), 1.0, atol=1e-5)
    assert len(short_starts) == 0 and short_embeddings.shape == (0, 256)


def test_a_quiet_recording_of_a_voice_embeds_like_a_loud_one() -> None:
    channels, script = stereo_call("c01_compliant_stereo")
    turn = script["turns"][0]
    clip = channels[0][int(turn["start_s"] * SAMPLE_RATE_HZ):int(turn["end_s"] * SAMPLE_RATE_HZ)]
    (_, loud), (_, quiet) = voice.embed_windows([clip, clip * 0.05])
    assert float(loud.mean(axis=0) @ quiet.mean(axis=0)) / (
        np.linalg.norm(loud.mean(axis=0)) * np.linalg.norm(quiet.mean(axis=0))) > 0.99
