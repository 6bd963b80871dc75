"""Call-quality measures from a transcript's timing: who talked how much, silences, talking over each other (抢话),
how fast the agent spoke, how long the call was. Pure functions; nothing here reads files or audio.

Times come from the recogniser's segments, so they are as exact as its timestamps (a few tenths of a second).
Overlaps are only measured on stereo calls, where each speaker has a channel of their own: on a mono call both
speakers share one channel and the recogniser never produces overlapping segments, so an overlap count of 0 would be
a claim the audio cannot support; it is ``None`` instead.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from audit.models import Transcript, Turn
from audit.text import content_characters

# Two segments must overlap at least this long to count as talking over each other: segment boundaries from the
# recogniser jitter by a tenth of a second or two, and a touch at a turn change is not an interruption.
MIN_OVERLAP_S = 0.3


@dataclass(frozen=True)
class CallQuality:
    duration_s: float | None
    agent_talk_s: float
    customer_talk_s: float
    agent_talk_share: float | None  # agent talk / (agent + customer talk); None when neither has timed speech
    longest_silence_s: float | None  # longest stretch with nobody speaking, before the first and between speech
    silence_ratio: float | None  # those silent stretches together / duration
    overlap_count: int | None  # agent and customer segments overlapping in time; None on mono (not measurable)
    overlap_s: float | None
    agent_chars_per_min: float | None  # content characters (no punctuation or spaces) per minute of agent speech

    def to_dict(self) -> dict[str, float | int | None]:
        return dict(self.__dict__)


def _union(intervals: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """Overlapping or touching intervals merged, in time order."""
    merged: list[tuple[float, float]] = []
    for start, end in sorted(intervals):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def _length(intervals: list[tuple[float, float]]) -> float:
    return sum(end - start for start, end in intervals)


def _timed(turn: Turn) -> tuple[float, float] | None:
    if turn.start_s is None or turn.end_s is None or turn.end_s < turn.start_s:
        return None
    return max(0.0, float(turn.start_s)), max(0.0, float(turn.end_s))


def measure_turns(turns: Sequence[Turn], duration_s: float | None, stereo: bool) -> CallQuality:
    """Measures over the turns that have times (the others are ignored for timing and for the speech rate).

    ``duration_s`` is the call's length; when it is unknown (``None`` or not positive) the end of the last speech
    stands in for it. Silence is counted from the start of the call to the end of the last speech: a long silence
    before anyone speaks counts, the tail after the last word (hanging up) does not.
    """
    timed = [(turn, span) for turn in turns if (span := _timed(turn)) is not None]
    by_speaker: dict[str, list[tuple[float, float]]] = {"agent": [], "customer": [], "unknown": []}
    for turn, span in timed:
        by_speaker.setdefault(turn.speaker, []).append(span)
    agent = _union(by_speaker["agent"])
    customer = _union(by_speaker["customer"])
    agent_talk_s = _length(agent)
    customer_talk_s = _length(customer)
    talk = agent_talk_s + customer_talk_s
    speech = _union([span for _, span in timed])

    duration = float(duration_s) if duration_s is not None and duration_s > 0 else None
    if duration is None and speech:
        duration = speech[-1][1]

    longest_silence = silence_ratio = None
    if speech:
        gaps = [speech[0][0]] + [speech[i + 1][0] - speech[i][1] for i in range(len(speech) - 1)]
        longest_silence = round(max(gaps), 3)
        if duration:
            silence_ratio = round(min(1.0, sum(gaps) / duration), 4)

    overlap_count = overlap_s = None
    if stereo:
        overlap_count, overlap_s = 0, 0.0
        for a_start, a_end in by_speaker["agent"]:
            for c_start, c_end in by_speaker["customer"]:
                shared = min(a_end, c_end) - max(a_start, c_start)
                if shared >= MIN_OVERLAP_S:
                    overlap_count += 1
                    overlap_s += shared
        overlap_s = round(overlap_s, 3)

    agent_chars = sum(len(content_characters(turn.text)) for turn, _ in timed if turn.speaker == "agent")
    return CallQuality(
        duration_s=round(duration, 3) if duration is not None else None,
        agent_talk_s=round(agent_talk_s, 3),
        customer_talk_s=round(customer_talk_s, 3),
        agent_talk_share=round(agent_talk_s / talk, 4) if talk > 0 else None,
        longest_silence_s=longest_silence,
        silence_ratio=silence_ratio,
        overlap_count=overlap_count,
        overlap_s=overlap_s,
        agent_chars_per_min=round(agent_chars / (agent_talk_s / 60), 1) if agent_talk_s > 0 else None,
    )


def measure_transcript(transcript: Transcript) -> CallQuality:
    """``measure_turns`` over the transcript's segments; overlaps only when speakers come from channels (stereo)."""
    turns = [Turn(segment.speaker, segment.text, segment.start_s, segment.end_s) for segment in transcript.segments]
    return measure_turns(turns, transcript.duration_s, stereo=transcript.channel_layout != "mono")
