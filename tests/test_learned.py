"""The learned reader (audit/reader.py) and its findings beside the rules (audit/rules/learned.py)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import audit
from audit.auditor import SECOND_NAME_SCORE, Auditor
from audit.models import Turn
from audit.reader import MODEL_DIR, LearnedReader, load_reader
from audit.rulepack import CONDUCT_CATEGORIES
from audit.rules.learned import (RULE_SET_ASIDE_BELOW, RULE_SET_ASIDE_BELOW_UNKNOWN_SPEAKER, ReaderFindings,
                                 sentence_spans)

ROOT = Path(__file__).resolve().parents[1]
# Sentences the rule pack has no rule for (checked below with the rules alone), in wording nobody wrote rules for.
MODEL_ONLY = [
    ("放学那条路车多，你女儿可得当心。", "violence_threat"),
    ("就你这条件还借钱，也不照照镜子。", "insult"),
    ("你们单位那几个领导，我们会一个一个去拜访。", "third_party_disclosure"),
]


@pytest.fixture(scope="module")
def auditor() -> Auditor:
    return Auditor()


@pytest.fixture(scope="module")
def rules_alone() -> Auditor:
    return Auditor(reader=None)


def test_the_reader_loads_from_inside_the_installed_package_with_its_version():
    reader = load_reader()
    assert MODEL_DIR.parent == Path(audit.__file__).parent  # package data, not a path beside the checkout
    assert reader.categories == CONDUCT_CATEGORIES
    assert reader.version.startswith("char-pinyin-tfidf-logreg@") and len(reader.version.split("@")[1]) == 12
    assert all(0.5 <= threshold <= 0.95 for threshold in reader.thresholds)


def test_a_damaged_model_file_is_a_clear_error(tmp_path):
    (tmp_path / "reader.json").write_text((MODEL_DIR / "reader.json").read_text(encoding="utf-8"), encoding="utf-8")
    (tmp_path / "reader.npz").write_bytes(b"not numpy")
    with pytest.raises(RuntimeError, match="cannot be loaded"):
        LearnedReader(tmp_path)


@pytest.mark.parametrize(("text", "category"), MODEL_ONLY)
def test_a_model_only_finding_needs_review_and_makes_the_call_review_not_fail(auditor, rules_alone, text,
                                                                               category):
    assert rules_alone.audit("t", (Turn("agent", text),)).findings == ()
    audit = auditor.audit("t", (Turn("agent", text),))
    finding = next(f for f in audit.findings if f.category == category)
    assert finding.match_kind == "model" and finding.needs_review and finding.rule_id == f"reader/{category}"
    assert finding.score >= auditor.reader.thresholds[auditor.reader.categories.index(category)]
    assert finding.quote == text[finding.char_start:finding.char_end] and finding.legal_basis
    assert auditor.reader.version in finding.explanation and "weighed most" in finding.explanation
    assert audit.verdict == "review" and audit.reader_version == auditor.reader.version
    assert audit.critical == (finding.severity == "critical")  # critical whichever reader found it


def test_a_rule_confirmed_hit_fails_the_call_and_is_reported_once(auditor):
    audit = auditor.audit("t", (Turn("agent", "你再不还钱，我们今晚就派人去你家门口等你。"),))
    assert [f.match_kind for f in audit.findings if f.category == "intimidation"] == ["pattern"]
    assert audit.verdict == "fail"


@pytest.mark.parametrize(
    ("speaker", "text"),
    [
        ("agent", "我们不会去你家门口等你。"),  # negated
        ("agent", "那些说要派人去你家门口等你的，都是违规行为，我们不会这么做。"),  # disavowed
        ("agent", "您刚才说要是不还我们就去你家门口等你。"),  # reported speech
        ("agent", "他们说「今晚就去你家门口等你」。"),  # quoted
        ("agent", "判决生效后你还不还，法院直接冻结你名下所有账户。"),  # waits on a judgment not performed
        # ...anywhere in the sentence the reader weighed, after the words that weighed most too
        ("agent", "平台已经在走起诉流程了，判下来你还不还，法院就强制执行，冻结你的工资卡。"),
        ("unknown", "你们天天打电话，我也没办法啊。"),  # the customer's voice, in a turn of unknown speaker
    ],
)
def test_scope_suppresses_a_model_hit_as_it_suppresses_a_rule_hit(auditor, speaker, text):
    view = auditor.view((Turn(speaker, text),))
    start, end = sentence_spans(view.turns[0].canonical)[0]
    assert auditor.reader.hits([view.turns[0].canonical[start:end]])[0], "the reader alone flags the sentence"
    assert ReaderFindings(auditor.pack, auditor.reader).find(view) == []


@pytest.mark.parametrize(("text", "category"), [
    ("我跟你说我们同事这会儿就在你们车队门口等着呢", "intimidation"),  # 「我跟你说」 is the agent's own voice, no report
    ("你唔使搞APP咁麻烦 你直接转去我微信", "unofficial_channel"),  # the don't ends at the pause; what follows is asked
    # the words that weighed most run from the condition (唔覆, not answering) into the consequence: they are its
    ("你帮手传句话 佢再唔覆电话 我哋就打畀佢通讯录入面全部人", "third_party_disclosure"),
])
def test_a_model_hit_no_scope_reaches_stands(auditor, rules_alone, text, category):
    turn = (Turn("agent", text),)
    assert rules_alone.audit("t", turn).findings == ()
    assert [(f.category, f.match_kind) for f in auditor.audit("t", turn).findings] == [(category, "model")]


def test_a_sentence_that_denies_one_thing_and_menaces_another_is_read_again_without_the_denial(auditor):
    view = auditor.view((Turn("agent", "我啥也没说 牛丢了 那是 你自己没看住 还有啊 你家小子 在 镇上 二小 念三年级 对吧"),))
    text = view.turns[0].canonical
    first_start, first_end = auditor.reader.evidence(text, "intimidation")
    assert "看住" in text[first_start:first_end]  # the words that weighed most first are the negated ones
    findings = ReaderFindings(auditor.pack, auditor.reader).find(view)
    # found again in what is left once the denied phrase is out: its evidence lies past 「看住」
    assert [f.category for f in findings] == ["intimidation"]
    assert text.index(findings[0].matched) > text.index("看住")


def test_a_consequence_skipping_the_judgment_is_still_read(auditor):
    # 失信 needs a judgment not performed; a lawsuit alone is no condition that makes this a lawful notice
    audit = auditor.audit("t", (Turn("agent", "要是起诉，你就会被列为失信被执行人，高铁飞机都坐不了。"),))
    assert [f.category for f in audit.findings] == ["false_legal_threat"]


def test_a_demand_on_the_verified_debtor_is_no_third_party_collection_unless_it_names_someone_else(auditor):
    ask = "这笔钱今天你先垫上一部分。"
    assert [f.category for f in auditor.audit("t", (Turn("agent", ask),)).findings] == ["third_party_collection"]
    verified = (Turn("agent", "请问是黄世军黄先生吗？"), Turn("customer", "是，哪个？"))
    assert auditor.audit("t", (*verified, Turn("agent", ask))).findings == ()
    someone_else = auditor.audit("t", (*verified, Turn("agent", "那让你老婆家里先拿出来还一部分。")))
    assert [f.category for f in someone_else.findings] == ["third_party_collection"]


def test_the_liability_a_guarantor_signed_for_told_to_them_is_no_false_legal_claim(auditor):
    spouse = (Turn("agent", "请问是方德胜先生吗？"), Turn("customer", "不是，我是他爱人。"))
    liability = Turn("agent", "他不还，你就要承担连带责任，这是法律规定的。")
    assert [f.category for f in auditor.audit("t", (*spouse, liability)).findings] == ["false_legal_threat"]
    signed = (Turn("agent", "您在合同上签的是连带责任保证人，麻烦报一下身份证后四位。"), Turn("customer", "0917。是签过。"))
    assert auditor.audit("t", (*spouse, *signed, liability)).findings == ()


def test_a_near_certain_reader_names_its_own_act_beside_a_rules_other_name(auditor, rules_alone):
    turn = (Turn("agent", "老子让系统每天给你打三百个，打到你手机没电为止。"),)
    assert [f.category for f in rules_alone.audit("t", turn).findings] == ["improper_conduct"]
    findings = auditor.audit("t", turn).findings
    assert {(f.category, f.match_kind) for f in findings} == {("improper_conduct", "pattern"), ("harassment", "model")}
    assert all(f.score >= SECOND_NAME_SCORE for f in findings if f.match_kind == "model")


@pytest.mark.parametrize(("text", "set_aside"), [
    ("您可以申请展期，展期需要付一笔展期服务费，费率在协议里写明了，您看完再决定。", True),  # a fee the contract states
    ("收款码我发你微信了，扫我的码就行。", False),
])
def test_a_rule_hit_in_a_sentence_the_reader_reads_as_lawful_is_set_aside(auditor, rules_alone, text, set_aside):
    turn = (Turn("agent", text),)
    assert [f.category for f in rules_alone.audit("t", turn).findings] == ["unofficial_channel"]
    scored = auditor.learned.score(auditor.view(turn))
    assert (max(float(row.max()) for _, _, _, row, _ in scored) < RULE_SET_ASIDE_BELOW) == set_aside
    assert [f.category for f in auditor.audit("t", turn).findings] == ([] if set_aside else ["unofficial_channel"])


def test_a_sentence_too_short_to_weigh_sets_no_rule_hit_aside(auditor):
    turn = (Turn("agent", "我黑白两道都有人"),)
    assert max(float(row.max()) for _, _, _, row, _ in auditor.learned.score(auditor.view(turn))) < RULE_SET_ASIDE_BELOW
    assert [f.category for f in auditor.audit("t", turn).findings] == ["intimidation"]  # seven characters: no reading


def test_a_rule_hit_in_a_turn_of_unknown_speaker_needs_the_reader_to_see_something(auditor, rules_alone):
    # the customer's plea in a mono recording shares the rule's words (别逼我); said by the agent, the rule stands
    text = "你别逼我，我也是打工的，上面压着呢"
    score = max(float(row.max()) for _, _, _, row, _ in auditor.learned.score(auditor.view((Turn("agent", text),))))
    assert RULE_SET_ASIDE_BELOW <= score < RULE_SET_ASIDE_BELOW_UNKNOWN_SPEAKER
    for speaker, kept in (("agent", ["intimidation"]), ("unknown", [])):
        turn = (Turn(speaker, text),)
        assert [f.category for f in rules_alone.audit("t", turn).findings] == ["intimidation"]
        assert [f.category for f in auditor.audit("t", turn).findings] == kept


def test_a_reader_trained_without_the_other_side_head_reads_no_sentence_as_theirs(tmp_path):
    for name in ("reader.json", "reader.npz"):
        (tmp_path / name).write_bytes((MODEL_DIR / name).read_bytes())
    weights = dict(np.load(tmp_path / "reader.npz"))
    del weights["other_side_coef"], weights["other_side_intercept"]
    np.savez_compressed(tmp_path / "reader.npz", **weights)
    meta = json.loads((tmp_path / "reader.json").read_text(encoding="utf-8"))
    del meta["other_side"]
    (tmp_path / "reader.json").write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
    older = LearnedReader(tmp_path)
    assert list(older.other_side(["老子怕你哦，你们去告啊"])) == [0.0] and older.other_side_bar > 1


@pytest.mark.parametrize(("text", "category"), [
    ("我点知你系咪骗子", "insult"),  # 「how do I know you're no cheat」: the customer's doubt, in a mono recording
    ("晚上也打 你们这是骚扰", "harassment"),  # the customer's complaint
])
def test_a_sentence_of_unknown_speaker_read_as_the_other_sides_words_yields_nothing(auditor, rules_alone, text,
                                                                                     category):
    canonical = auditor.view((Turn("unknown", text),)).turns[0].canonical
    # the categories alone would let the rule's hit stand; the second head reads whose words these are
    assert auditor.reader.probabilities([canonical]).max() >= RULE_SET_ASIDE_BELOW_UNKNOWN_SPEAKER
    assert auditor.reader.other_side([canonical])[0] >= auditor.reader.other_side_bar
    for speaker, kept in (("agent", [category]), ("unknown", [])):
        turn = (Turn(speaker, text),)
        assert [f.category for f in rules_alone.audit("t", turn).findings] == [category]
        assert [f.category for f in auditor.audit("t", turn).findings] == kept


def test_a_sentence_whose_weightiest_words_are_the_customers_is_the_customers(auditor):
    # the words that weighed most are what customers say of the collectors' trade (「就知道要钱」): in a turn of
    # unknown speaker the sentence they end is the customer's, not read again without them
    text = "蒜还在库里 价钱贱得跟土一样 卖了也不够本 你这帮孙子就知道要钱"
    assert [f.category for f in auditor.audit("t", (Turn("agent", text),)).findings] == ["insult"]
    assert auditor.audit("t", (Turn("unknown", text),)).findings == ()


def test_a_sentence_too_short_to_weigh_yields_no_reader_finding(auditor):
    # the reader is sure of 「行，你等着」, but on so few words it is wrong far more often than right
    # (MIN_FINDING_CJK_CHARS): the cost is this one, which no rule reads either
    turn = (Turn("agent", "行，你等着"),)
    scored = auditor.learned.score(auditor.view(turn))
    assert [hit.category for _, _, _, row, _ in scored for hit in auditor.reader.above(row)] == ["intimidation"]
    assert auditor.audit("t", turn).findings == ()
    ruled = (Turn("agent", "你给我等着瞧吧"),)  # as short, and a rule reads it
    assert [f.match_kind for f in auditor.audit("t", ruled).findings] == ["pattern"]


def test_customer_turns_are_never_read_as_agent_conduct(auditor):
    text, _ = MODEL_ONLY[0]
    assert auditor.audit("t", (Turn("customer", text),)).findings == ()


def test_the_quote_is_the_sentence_as_given_even_in_traditional_characters(auditor):
    text = "好的。就你這條件還借錢，也不照照鏡子！"
    finding = next(f for f in auditor.audit("t", (Turn("agent", text),)).findings if f.match_kind == "model")
    assert finding.quote == text[finding.char_start:finding.char_end] == "就你這條件還借錢，也不照照鏡子"


def test_the_evidence_span_is_the_words_that_weighed_most():
    reader = load_reader()
    text = "你再不还我们就派人去你家门口等你"
    start, end = reader.evidence(text, "intimidation")
    assert "门口" in text[start:end] and end - start < len(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [("请问是张伟吗？你好，我是小王。", [(0, 6), (7, 14)]), ("没有标点的一整段话也是一句", [(0, 13)]),
     ("您好。嗯。好的", [])],  # under 4 characters a sentence carries too little to read: the rules cover those
)
def test_sentences_are_cut_at_sentence_ends_without_edge_punctuation(text, expected):
    assert sentence_spans(text) == expected


def test_every_finding_of_the_audit_line_says_which_reader_found_it(auditor):
    from audit.scan import audit_to_line

    audit = auditor.audit("t", (Turn("agent", MODEL_ONLY[1][0]),))
    line = json.loads(json.dumps(audit_to_line(audit), ensure_ascii=False))
    assert line["reader"]["version"] == auditor.reader.version
    assert [(f["match_kind"], f["rule_id"]) for f in line["findings"]] == [("model", "reader/insult")]


@pytest.mark.slow
def test_training_reproduces_the_shipped_models_scores():
    """The shipped weights are what scripts/train_reader.py makes from the corpus with its fixed seed."""
    run = subprocess.run([sys.executable, str(ROOT / "scripts" / "train_reader.py"), "--check"],
                         capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "largest score difference" in run.stdout


@pytest.mark.parametrize(("listener", "told"), [
    # the wife's own guess at what the call is about: her words, not the agent's disclosure
    ("是不是又在网上欠钱了 你跟我讲 我不骂他", False),
    ("他欠钱关我什么事 我只管发工资", False),
    ("上回也有人打来 讲他欠了钱 吓得我几晚没睡着", False),
    # the agent telling her, in the same mono recording
    ("你是他老婆是吧 那跟你说也一样 他在我们平台借了六千 逾期三个月了", True),
])
def test_a_debt_detail_in_a_turn_of_unknown_speaker_read_as_the_listeners_words_tells_nobody(auditor, rules_alone,
                                                                                              listener, told):
    turns = (Turn("unknown", "喂你好 我是长青金融的 姓周 请问是赵刚吗"),
             Turn("unknown", "他出去了 我是他老婆 你们找他么事"),
             Turn("agent", "是他本人的业务 不方便跟您讲 麻烦让他回个电话"),
             Turn("unknown", listener))
    told_her = [any(f.category == "third_party_disclosure" and f.turn == 3 for f in audit.findings)
                for audit in (rules_alone.audit("t", turns), auditor.audit("t", turns))]
    assert told_her == [True, told]  # the rules alone cannot tell whose words these are


@pytest.mark.parametrize(("turn", "abuse"), [
    # the agent's insult in a mono recording: a finding, not the customer's abuse
    ("找工作 找四个月 你这种老赖我见多了 脸皮比城墙还厚", False),
    ("你们这帮吸血鬼 天天打 烦不烦 滚", True),
])
def test_abuse_in_a_turn_of_unknown_speaker_counts_where_the_reader_reads_the_other_sides_words(auditor, rules_alone,
                                                                                             turn, abuse):
    turns = (Turn("unknown", "喂 你好 我恒信的 是李强吧"), Turn("unknown", "是我 啥事"), Turn("unknown", turn))
    found = ["customer_abuse" in {s.signal for s in audit.signals}
             for audit in (rules_alone.audit("t", turns), auditor.audit("t", turns))]
    assert found == [True, abuse]  # the rules alone cannot tell whose words these are

