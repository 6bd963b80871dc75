"""The call's timeline for the player (audit.reviewapp.timeline): turns placed on their speaker's band as shares of
the call's length, findings and signals as markers coloured by severity after review, on the real sample calls as
their scripts say them and on hand-made edge cases."""

import shutil

import pytest

from audit.reviewapp.colours import DISMISSED_COLOUR, SEVERITY_COLOURS, SIGNAL_COLOUR, SPEAKER_COLOURS
from audit.reviewapp.timeline import MIN_SPAN_PCT, build_timeline
from audit.storage import Store


@pytest.fixture
def store(scripted_db, tmp_path):
    shutil.copy(scripted_db, tmp_path / "audit.db")
    return Store(tmp_path / "audit.db")


def segment(start_s, end_s, speaker="agent", text="喂"):
    return {"start_s": start_s, "end_s": end_s, "speaker": speaker, "text": text}


def finding(start_s, severity="critical", category="violence_threat", review=None, new_severity=None, turn=0):
    return {"finding_id": 1, "category": category, "severity": severity, "start_s": start_s, "turn": turn,
            "review_verdict": review, "review_severity": new_severity, "speaker": "agent"}


def test_every_turn_of_a_real_call_is_on_its_speakers_band_and_every_finding_is_a_marker(store):
    detail = store.call_detail("c04_violence_threat")
    segments = detail["transcript"]["segments"]
    signals = detail["audit"]["body"].get("signals") or []
    line = build_timeline(segments, detail["findings"], signals, detail["call"]["duration_s"])
    assert [(s.turn, s.speaker) for s in line.spans] == [(i, seg["speaker"]) for i, seg in enumerate(segments)]
    assert line.speakers == ("agent", "customer")
    assert all(0 <= s.left_pct <= 100 and s.left_pct + s.width_pct <= 100.001 for s in line.spans)
    assert [m.at_s for m in line.markers if m.kind == "finding"] == sorted(
        f["start_s"] for f in detail["findings"] if f["start_s"] is not None)
    assert len([m for m in line.markers if m.kind == "signal"]) == len([s for s in signals if s.get("start_s")
                                                                         is not None])
    assert all(m.colour == SEVERITY_COLOURS["critical"] for m in line.markers
               if m.kind == "finding" and m.severity == "critical")


@pytest.mark.parametrize(("given", "expected"), [
    # (finding, (colour, severity, dismissed))
    (finding(10.0), (SEVERITY_COLOURS["critical"], "critical", False)),
    (finding(10.0, "major"), (SEVERITY_COLOURS["major"], "major", False)),
    (finding(10.0, "major", new_severity="critical", review="severity_changed"),
     (SEVERITY_COLOURS["critical"], "critical", False)),
    (finding(10.0, review="dismissed"), (DISMISSED_COLOUR, "critical", True)),
], ids=["critical", "major", "raised-by-a-reviewer", "dismissed"])
def test_a_findings_marker_is_coloured_by_its_severity_after_review(given, expected):
    line = build_timeline([segment(0.0, 20.0)], [given])
    marker, = line.markers
    assert (marker.colour, marker.severity, marker.dismissed) == expected
    assert (marker.left_pct, marker.number) == (50.0, 1)


@pytest.mark.parametrize(("segments", "duration_s", "expected_length", "spans"), [
    ([segment(0.0, 5.0), segment(5.0, 10.0, "customer")], 20.0, 20.0, [(0.0, 25.0), (25.0, 25.0)]),
    ([segment(0.0, 5.0), segment(5.0, 10.0, "customer")], None, 10.0, [(0.0, 50.0), (50.0, 50.0)]),
    ([segment(0.0, 12.0)], 10.0, 12.0, [(0.0, 100.0)]),  # a stored duration shorter than the words: the words win
    ([segment(10.0, 10.01)], 100.0, 100.0, [(10.0, MIN_SPAN_PCT)]),  # a one-word turn stays visible
    ([segment(None, None), segment(1.0, 2.0)], 4.0, 4.0, [(25.0, 25.0)]),  # a turn without times has no span
], ids=["stored-length", "length-from-turns", "turns-past-length", "sliver", "untimed-turn"])
def test_turns_are_placed_as_shares_of_the_calls_length(segments, duration_s, expected_length, spans):
    line = build_timeline(segments, [], [], duration_s)
    assert line.duration_s == expected_length
    assert [(s.left_pct, s.width_pct) for s in line.spans] == spans


def test_bands_follow_the_speakers_order_and_colours_and_an_unnamed_speaker_is_unknown():
    line = build_timeline([segment(0.0, 1.0, "customer"), segment(1.0, 2.0, "robot"), segment(2.0, 3.0)], [])
    assert line.speakers == ("agent", "customer", "unknown")
    assert [s.colour for s in line.spans] == [SPEAKER_COLOURS["customer"], SPEAKER_COLOURS["unknown"],
                                               SPEAKER_COLOURS["agent"]]
    assert line.turn_times() == [(0, 0.0, 1.0), (1, 1.0, 2.0), (2, 2.0, 3.0)]


def test_markers_are_in_time_order_and_what_has_no_moment_has_no_marker():
    findings = [finding(8.0, turn=1), finding(None), finding(2.0, "minor", "insult")]
    signals = [{"signal": "vulnerability", "start_s": 5.0, "turn": 2}, {"signal": "dispute", "start_s": None}]
    line = build_timeline([segment(0.0, 10.0)], findings, signals)
    assert [(m.kind, m.code, m.at_s, m.number) for m in line.markers] == [
        ("finding", "insult", 2.0, 3), ("signal", "vulnerability", 5.0, 0), ("finding", "violence_threat", 8.0, 1)]
    assert line.markers[1].colour == SIGNAL_COLOUR


def test_a_call_without_a_transcript_has_an_empty_timeline():
    line = build_timeline([], [], [], None)
    assert (line.duration_s, line.spans, line.markers, line.speakers) == (0.0, (), (), ())
