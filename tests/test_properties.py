"""Property-based tests: whatever text comes in, the importer and the auditor do not crash, and every piece of
evidence they quote is exactly the slice of the turn it points at (a quote a reviewer cannot find in the transcript
is worthless as evidence)."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from audit.auditor import Auditor
from audit.models import SPEAKERS, Turn
from audit.scan import MAX_TIME_S, parse_call, read_calls

SETTINGS = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

# Any Unicode (surrogates excluded: they cannot be encoded, so no transcript holds them), mixed with the domain's own
# words so that the rules really fire and quotes are really produced, not only on empty findings.
DOMAIN = ["逾期", "还款", "录音", "工号", "打断你的腿", "找人收拾你", "老赖", "我是他妈妈", "本人", "于七", "路音",
          "不会上门", "您好", "再见", "法院", "起诉", "转账到我个人账户", "通讯录", "不想活了", "對", "ＡＢＣ", " ", "，"]
any_text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=60)
turn_text = st.lists(st.one_of(any_text, st.sampled_from(DOMAIN)), max_size=8).map("".join)
# the times the importer lets through (see test_importer_…): None, or finite and within MAX_TIME_S
times = st.one_of(st.none(), st.floats(-MAX_TIME_S, MAX_TIME_S), st.integers(-MAX_TIME_S, MAX_TIME_S))
turns = st.lists(st.builds(Turn, st.sampled_from(SPEAKERS), turn_text, times, times), max_size=8)


@pytest.fixture(scope="module")
def auditor() -> Auditor:
    return Auditor()  # loads the rule pack and the NLP engine once, not per example


@SETTINGS
@given(turns=turns)
def test_any_turns_audit_without_crash_and_every_quote_is_its_slice(auditor, turns):
    turns = tuple(turns)
    audit = auditor.audit("prop", turns)
    for finding in audit.findings:
        assert 0 <= finding.char_start < finding.char_end <= len(turns[finding.turn].text)
        assert finding.quote == turns[finding.turn].text[finding.char_start:finding.char_end]
    for signal in audit.signals:
        text = turns[signal.turn].text
        assert signal.quote == text[signal.char_start:signal.char_end]
    for result in audit.disclosures:
        if result.status == "present":
            assert result.quote == turns[result.turn].text[result.char_start:result.char_end]
    json.dumps([finding.to_dict() for finding in audit.findings], allow_nan=False)  # valid JSON out


json_values = st.recursive(st.none() | st.booleans() | st.floats() | st.integers() | any_text,
                           lambda inner: st.lists(inner, max_size=4) | st.dictionaries(any_text, inner, max_size=4),
                           max_leaves=12)
call_like = st.fixed_dictionaries(
    {"call_id": st.one_of(any_text, json_values),
     "turns": st.one_of(json_values, st.lists(st.one_of(json_values, st.fixed_dictionaries(
         {"speaker": st.one_of(st.sampled_from(SPEAKERS), json_values), "text": st.one_of(turn_text, json_values)},
         optional={"start_s": json_values, "end_s": json_values})), max_size=5))},
    optional={"started_at": json_values, "debtor_tz": json_values, "agent_id": json_values, "labels": json_values})


@SETTINGS
@given(data=st.one_of(call_like, json_values))
def test_importer_accepts_a_call_or_names_the_problem(data):
    try:
        call = parse_call(data)
    except ValueError as error:
        assert str(error)  # a message to print with the line number
        return
    assert isinstance(call.call_id, str) and call.call_id.strip()
    for turn in call.turns:
        assert turn.speaker in SPEAKERS and isinstance(turn.text, str)
        for value in (turn.start_s, turn.end_s):  # NaN, Infinity, 1e308 are dropped: the output must stay valid JSON
            assert value is None or abs(value) <= MAX_TIME_S


@SETTINGS
@given(lines=st.lists(st.one_of(call_like.map(lambda d: json.dumps(d, ensure_ascii=False)), any_text), max_size=6))
def test_reading_any_jsonl_yields_a_call_or_a_problem_per_line(tmp_path, lines):
    path = tmp_path / "in.jsonl"
    path.write_text("\n".join(line.replace("\n", " ").replace("\r", " ") for line in lines) + "\n",
                    encoding="utf-8")
    for line_number, call, problem in read_calls(path):
        assert (call is None) != (problem is None)
        if problem:
            assert f"{path}, line {line_number}: " in problem
