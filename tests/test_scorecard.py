"""Scorecards: deductions per finding, disclosure and quality measure; veto; review; versions; broken files."""

import dataclasses
import shutil
from pathlib import Path

import pytest

from audit.errors import LexiconError
from audit.models import CallAudit, DisclosureResult, Finding, Signal
from audit.quality import CallQuality
from audit.rulepack import CONDUCT_CATEGORIES, DISCLOSURES
from audit.scorecard import load_scorecard, score_call, scorecard_dir

SEVERITY_OF = {"violence_threat": "critical", "insult": "major", "harassment": "major", "improper_conduct": "major",
               "third_party_collection": "major", "induce_borrowing": "major"}


def finding(category="violence_threat", severity=None, speaker="agent", pinyin=False, turn=4, quote="找人收拾你",
            rule_id="CN-VIO-001", kind="term") -> Finding:
    severity = severity or SEVERITY_OF.get(category, "critical")
    return Finding(rule_id, category, severity, turn, speaker, 0, len(quote), quote, quote, kind, pinyin, ("basis",),
                   "explanation", needs_review=speaker == "unknown" or pinyin or kind == "model",
                   score=0.9 if kind == "model" else None)


def disclosure(name="recording_notice", status="missing") -> DisclosureResult:
    return DisclosureResult(name, status, f"CN-DIS-{DISCLOSURES.index(name) + 1:03d}", "explanation")


def call(findings=(), disclosures=None, signals=(), call_time_violation=False) -> CallAudit:
    if disclosures is None:
        disclosures = tuple(disclosure(name, "present") for name in DISCLOSURES)
    return CallAudit("c1", "abc123def456", "cn", tuple(findings), tuple(disclosures), tuple(signals),
                     call_time_violation, {"violation": call_time_violation, "explanation": "started 22:40 local time"},
                     False, 0.0, "pass")


def signal(name="vulnerability") -> Signal:
    return Signal(name, 3, "我不想活了", 0, 5, "不想活了")


def quality(**changes) -> CallQuality:
    base = CallQuality(duration_s=88.0, agent_talk_s=60.0, customer_talk_s=20.0, agent_talk_share=0.75,
                       longest_silence_s=1.5, silence_ratio=0.1, overlap_count=0, overlap_s=0.0,
                       agent_chars_per_min=270.0)
    return dataclasses.replace(base, **changes)


@pytest.fixture(scope="module")
def default():
    return load_scorecard("default")


@pytest.fixture(scope="module")
def outsourced():
    return load_scorecard("outsourced")


# ---------------------------------------------------------------------------------------------------------------------
# The shipped scorecards


def test_shipped_scorecards_load_with_a_content_version(default, outsourced):
    assert (default.name, outsourced.name) == ("default", "outsourced")
    assert len(default.version) == 12 and default.version != outsourced.version
    assert set(default.missing_disclosure) == set(DISCLOSURES)
    assert Path(default.path) == scorecard_dir() / "default.yaml"


def test_a_clean_call_passes_with_full_points(default):
    result = score_call(default, call(), quality())
    assert (result.score, result.verdict, result.vetoed, result.deductions) == (100.0, "pass", False, ())
    assert (result.scorecard, result.scorecard_version) == ("default", default.version)


# ---------------------------------------------------------------------------------------------------------------------
# Veto (一票否决) and review


def test_critical_agent_finding_fails_the_call_even_with_a_high_score(default):
    card = dataclasses.replace(default, severity={"critical": 1.0, "major": 1.0, "minor": 1.0}, fail_below=50.0)
    result = score_call(card, call([finding()]))
    assert result.score == 99.0
    assert (result.verdict, result.vetoed) == ("fail", True)


def test_call_in_quiet_hours_fails_outright_and_costs_its_points(default):
    result = score_call(default, call(call_time_violation=True))
    assert (result.verdict, result.vetoed) == ("fail", True)
    assert [(d.item, d.points) for d in result.deductions] == [("call_time", default.call_time_violation)]
    assert "22:40" in result.deductions[0].reason


def test_critical_finding_only_the_learned_reader_saw_goes_to_review_not_fail(default):
    model = finding(rule_id="reader/violence_threat", kind="model")
    result = score_call(default, call([model]))
    assert (result.verdict, result.vetoed) == ("review", False)
    assert result.review_reasons == ("finding only the learned reader saw",)
    assert result.score == 100 - default.severity["critical"]  # the reviewer still sees the worst case
    confirmed = score_call(default, call([model, finding(turn=5)]))  # a rule confirms a critical act: fail
    assert (confirmed.verdict, confirmed.vetoed) == ("fail", True)


def test_critical_finding_read_only_through_homophones_goes_to_review_not_fail(default):
    result = score_call(default, call([finding(pinyin=True)]))
    assert (result.verdict, result.vetoed) == ("review", False)
    assert "critical finding read through homophones only" in result.review_reasons
    assert result.score == 100 - default.severity["critical"]  # the reviewer still sees the worst case


def test_a_homophone_critical_next_to_a_written_one_still_fails(default):
    result = score_call(default, call([finding(pinyin=True), finding(turn=6)]))
    assert (result.verdict, result.vetoed) == ("fail", True)


def test_score_below_the_threshold_only_through_homophones_is_review(default):
    card = dataclasses.replace(default, fail_below=75.0)
    result = score_call(card, call([finding("insult", pinyin=True, turn=t) for t in (2, 3)]))
    assert result.score < 75
    assert result.verdict == "review"
    assert any("only with unconfirmed findings" in reason for reason in result.review_reasons)


@pytest.mark.parametrize(
    ("audit", "reason"),
    [
        (call([finding(speaker="unknown")]), "finding in a turn whose speaker is unknown"),
        (call(disclosures=[disclosure("recording_notice", "unverifiable")]),
         "disclosure unverifiable (poor or missing agent speech)"),
        (call(signals=[signal("vulnerability")]), "customer may be vulnerable"),
        (call([finding("insult", pinyin=True)]), "finding read through homophones"),
    ],
    ids=["unknown speaker", "unverifiable disclosure", "vulnerable customer", "homophone major finding"],
)
def test_what_a_human_must_decide_goes_to_review(default, audit, reason):
    result = score_call(default, audit)
    assert result.verdict == "review" and not result.vetoed
    assert reason in result.review_reasons


def test_unknown_speaker_and_unverifiable_cost_no_points(default):
    audit = call([finding(speaker="unknown")], disclosures=[disclosure("recording_notice", "unverifiable")])
    assert score_call(default, audit).score == 100.0


def test_customer_words_cost_nothing_and_decide_nothing(default):
    result = score_call(default, call([finding(speaker="customer")]))
    assert (result.score, result.verdict) == (100.0, "pass")


def test_score_below_fail_threshold_fails_without_veto(default):
    audit = call([finding(c, turn=i) for i, c in enumerate(("insult", "harassment", "third_party_collection",
                                                             "induce_borrowing"))],
                 disclosures=[disclosure("recording_notice"), disclosure("agent_identity")])
    result = score_call(default, audit)
    assert result.score < default.fail_below
    assert (result.verdict, result.vetoed) == ("fail", False)


# ---------------------------------------------------------------------------------------------------------------------
# Deductions


@pytest.mark.parametrize(("severity", "points"), [("critical", 40), ("major", 15), ("minor", 5)])
def test_each_agent_finding_costs_its_severity_points(default, severity, points):
    result = score_call(default, call([finding("induce_borrowing", severity=severity, quote="借个网贷",
                                               rule_id="CN-IND-001")]))
    assert [(d.item, d.points) for d in result.deductions] == [("finding:induce_borrowing", points)]
    assert result.deductions[0].reason == f"CN-IND-001 借个网贷 (turn 4, {severity})"
    assert result.score == 100 - points


def test_category_points_override_severity_and_are_capped_per_call(default):
    assert default.categories["insult"].deduct == 15 and default.categories["insult"].cap == 30
    card = dataclasses.replace(default, categories={**default.categories,
                                                    "insult": dataclasses.replace(default.categories["insult"],
                                                                                  deduct=12.0)})
    result = score_call(card, call([finding("insult", turn=t, quote="废物") for t in (1, 2, 3, 5)]))
    assert [d.points for d in result.deductions] == [12.0, 12.0, 6.0]  # 12 + 12 + 6 = cap 30, the 4th costs nothing
    assert "capped at 30" in result.deductions[-1].reason
    assert result.score == 70.0


@pytest.mark.parametrize(("name", "points"), [("recording_notice", 10), ("greeting", 5), ("closing", 2)])
def test_each_missing_disclosure_costs_its_points(default, name, points):
    result = score_call(default, call(disclosures=[disclosure(name, "missing")]))
    assert [(d.item, d.points) for d in result.deductions] == [(f"disclosure:{name}", points)]


@pytest.mark.parametrize("status", ["present", "not_applicable", "unverifiable"])
def test_disclosures_not_missing_cost_nothing(default, status):
    assert score_call(default, call(disclosures=[disclosure("recording_notice", status)])).deductions == ()


@pytest.mark.parametrize(
    ("changes", "item"),
    [
        ({"agent_talk_share": 0.86}, "quality:agent_talk_share"),
        ({"longest_silence_s": 10.5}, "quality:longest_silence_s"),
        ({"silence_ratio": 0.41}, "quality:silence_ratio"),
        ({"overlap_count": 4}, "quality:overlap_count"),
        ({"agent_chars_per_min": 119.0}, "quality:agent_chars_per_min"),
        ({"agent_chars_per_min": 331.0}, "quality:agent_chars_per_min"),
    ],
)
def test_quality_measure_beyond_its_limit_costs_points(default, changes, item):
    result = score_call(default, call(), quality(**changes))
    limit = next(q for q in default.quality if f"quality:{q.measure}" == item)
    assert [(d.item, d.points) for d in result.deductions] == [(item, limit.deduct)]
    assert result.verdict == "pass"  # quality costs points; it never vetoes


@pytest.mark.parametrize(
    "changes",
    [{"agent_talk_share": 0.85}, {"longest_silence_s": 10.0}, {"overlap_count": 3}, {"agent_chars_per_min": 120.0},
     {"agent_chars_per_min": 330.0}, {"overlap_count": None, "overlap_s": None}],
    ids=["share at max", "silence at max", "overlaps at max", "rate at min", "rate at max", "mono: not measured"],
)
def test_quality_at_its_limit_or_unmeasured_costs_nothing(default, changes):
    assert score_call(default, call(), quality(**changes)).deductions == ()


def test_score_never_goes_below_zero(default):
    audit = call([finding(turn=t) for t in range(5)], disclosures=[disclosure(d) for d in DISCLOSURES])
    assert score_call(default, audit).score == 0.0


# ---------------------------------------------------------------------------------------------------------------------
# Several scorecards


@pytest.mark.parametrize(
    "audit",
    [
        call([finding("improper_conduct", quote="你自己看着办")], disclosures=[disclosure("institution")]),
        call(disclosures=[disclosure("recording_notice"), disclosure("agent_identity")]),
        call([finding("harassment", quote="天天打给你")]),
    ],
    ids=["conduct + disclosure", "disclosures", "harassment"],
)
def test_outsourced_scorecard_is_stricter_than_default_on_the_same_call(default, outsourced, audit):
    lenient, strict = score_call(default, audit, quality(agent_talk_share=0.82)), score_call(
        outsourced, audit, quality(agent_talk_share=0.82))
    assert strict.score < lenient.score
    assert ["pass", "review", "fail"].index(strict.verdict) >= ["pass", "review", "fail"].index(lenient.verdict)


def test_outsourced_vetoes_insults_and_reviews_complaints_default_does_not(default, outsourced):
    insult = call([finding("insult", quote="废物")])
    assert score_call(default, insult).verdict == "pass"
    assert (score_call(outsourced, insult).verdict, score_call(outsourced, insult).vetoed) == ("fail", True)
    complaint = call(signals=[signal("complaint_intent")])
    assert score_call(default, complaint).verdict == "pass"
    assert score_call(outsourced, complaint).verdict == "review"


# ---------------------------------------------------------------------------------------------------------------------
# Files: versions, lookup, validation


@pytest.fixture
def card_copy(tmp_path) -> Path:
    target = tmp_path / "team_a.yaml"
    shutil.copy(scorecard_dir() / "default.yaml", target)
    return target


def test_version_changes_when_the_file_changes(card_copy):
    before = load_scorecard(card_copy)
    assert before.version == load_scorecard("default").version  # same bytes, same version
    card_copy.write_text(card_copy.read_text(encoding="utf-8").replace("critical: 40", "critical: 45"),
                         encoding="utf-8")
    after = load_scorecard(card_copy)
    assert after.version != before.version and after.severity["critical"] == 45


def test_a_bare_name_is_looked_up_in_the_configured_folder(card_copy, monkeypatch):
    monkeypatch.setenv("AUDIT_SCORECARD_DIR", str(card_copy.parent))
    assert load_scorecard("team_a").path == str(card_copy)
    with pytest.raises(LexiconError, match=r"no scorecard 'team_b' \(available: team_a\)"):
        load_scorecard("team_b")


@pytest.mark.parametrize(
    ("old", "new", "field", "problem"),
    [
        ("fail_below: 60", "fail_bellow: 60", "fail_bellow", "unknown field"),
        ("  insult:  ", "  insults:  ", "categories.insults", "unknown category 'insults'"),
        ("  major: 15", "  major: -15", "severity.major", "must not be negative"),
        ("  minor: 5", "  minor: five", "severity.minor", "must be a number"),
        ("  closing: 2", "  goodbye: 2", "missing_disclosure.goodbye", "unknown disclosure"),
        ("overlap_count: {max: 3, deduct: 5}", "overlap_count: {max: 3, deduct: -5}", "quality.overlap_count.deduct",
         "must not be negative"),
        ("agent_talk_share: {max: 0.85,", "agent_talk_share: {max: 85,", "quality.agent_talk_share.max",
         "share between 0 and 1"),
        ("{min: 120, max: 330,", "{min: 330, max: 120,", "quality.agent_chars_per_min.min", "is above max"),
        ("  silence_ratio:", "  talk_speed:", "quality.talk_speed", "unknown measure"),
        ("review_signals: [vulnerability]", "review_signals: [sadness]", "review_signals", "unknown name 'sadness'"),
        ("  harassment:  ", "  insult:  ", "categories.insult", "given twice"),
    ],
)
def test_broken_scorecard_is_an_error_naming_file_line_and_field(card_copy, old, new, field, problem):
    lines = card_copy.read_text(encoding="utf-8").splitlines(keepends=True)
    number = next(i for i, line in enumerate(lines, 1) if old in line)
    lines[number - 1] = lines[number - 1].replace(old, new, 1)
    card_copy.write_text("".join(lines), encoding="utf-8")
    with pytest.raises(LexiconError) as caught:
        load_scorecard(card_copy)
    assert caught.value.source == str(card_copy)
    assert caught.value.problem.startswith(f"line {number}, field '{field}': ")
    assert problem in caught.value.problem


def test_invalid_yaml_syntax_names_the_position(card_copy):
    card_copy.write_text("name: x\nseverity: {critical: 40\n", encoding="utf-8")
    with pytest.raises(LexiconError, match=r"line 3, field 'severity': invalid YAML at column 1"):
        load_scorecard(card_copy)


def test_scorecards_name_only_known_categories():
    for name in ("default", "outsourced"):
        card = load_scorecard(name)
        assert set(card.categories) <= set(CONDUCT_CATEGORIES)
        assert card.veto_categories <= set(CONDUCT_CATEGORIES)
