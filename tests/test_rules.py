"""The rule families on text: conduct (hand-written cases), scope, third parties, disclosures, signals, call time."""

import json
import re
from pathlib import Path

import pytest
import yaml

from audit.auditor import Auditor
from audit.models import Turn
from audit.rulepack import CONDUCT_CATEGORIES
from audit.rules import out_of_scope
from audit.rules.conduct import required_chars

CASES = yaml.safe_load((Path(__file__).parent / "data" / "conduct_cases.yaml").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def auditor():
    """The rule pack alone: these cases pin the rules (the learned reader has tests/test_learned.py)."""
    return Auditor(reader=None)


def categories(auditor, *turns: tuple[str, str], **call) -> list[str]:
    audit = auditor.audit("t", tuple(Turn(speaker, text) for speaker, text in turns), **call)
    return sorted({finding.category for finding in audit.findings})


def test_cases_cover_every_category_and_many_hard_negatives():
    expected = {category for case in CASES for category in case["expect"]}
    assert expected == set(CONDUCT_CATEGORIES)
    assert sum(not case["expect"] for case in CASES) >= 40


@pytest.mark.parametrize("case", CASES, ids=[case["text"][:24] for case in CASES])
def test_agent_turn_fires_exactly_the_expected_categories(auditor, case):
    assert categories(auditor, ("agent", case["text"])) == sorted(case["expect"])


@pytest.mark.parametrize("case", [c for c in CASES if c["expect"]][:40], ids=lambda c: c["text"][:24])
def test_the_same_words_from_the_customer_are_never_a_violation(auditor, case):
    assert categories(auditor, ("customer", case["text"])) == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("我们不会上门打扰您，请放心。", []),  # negation
        ("绝对不会联系您的家人，这点您放心。", []),
        ("那些说催收会把信息发朋友圈的，都是违规行为，我们不会这么做。", []),  # disavowal after the hit
        ("您刚才说我们威胁您，我们没有这个意思。", []),  # reported speech
        ("如协商不成，我司可能依法向人民法院提起诉讼。", []),  # lawful, accurate notice
        ("逾期记录会按规定报送征信。", []),
        ("麻烦您今天之内给我回个电话。", []),  # 打电话-like words are not triggers
        ("你不还钱我就上门找你。", ["intimidation"]),  # 不 negates 还, not 上门
        ("你要是再不还，我就找人收拾你", ["violence_threat"]),
        ("不存在因为欠钱就抓人的说法，您放心。", []),  # a frame that denies the whole claim
        ("根本没有欠钱就要坐牢这回事。", []),
        ("你再不还钱就抓你去坐牢。", ["false_legal_threat"]),
        ("你這個老賴，趕緊還錢", ["insult"]),  # Traditional input
        ("你这个老赖赶紧还钱", ["insult"]),  # no punctuation
        # a pause ends what a negation with words of its own reaches; one the pause comes right after reaches on
        ("五点前没有到账 后果自负", ["intimidation"]),
        ("我们不会上门 也不会 找你家里人", []),
        ("我室友说催收的会打给辅导员 打给爸妈", []),  # what a roommate said
        # an open consequence left to the debtor; 「你自己掂量」 alone points back at what was said, here lawful
        ("不然到时候后果你自己负", ["intimidation"]),
        ("判决下来还有执行 你名下的车都可能被依法执行 你自己掂量", []),
        # a fee the agent adds is a charge; the debtor's own payment code frozen by a court is no way to pay anyone
        ("这个属于加急处理 要多收两百的加急费", ["unofficial_channel"]),
        ("到时候法院查你的账户 你店里的收款码 该冻结的也得冻结", []),
        # a dare after a condition, across a comma or after 不然; the lawsuit named as where to meet is no menace
        ("周五要是没看到钱，你自己看着办。", ["intimidation"]),
        ("你让他今天把钱打了 不然你看着办", ["intimidation"]),
        ("今晚十二点前打到卡里，不然明天西出站口见。", ["intimidation"]),
        ("协商不了的话，不然我们法院见。", []),
        # a frame the speaker paused inside is two phrases: 「没说」, then the dare
        ("俺啥也没说 你让他今天把钱打了 不然你看着办", ["intimidation"]),
        ("我没说你不还，我是说你要按时还。", []),
        # a frame before a list reaches each of its items
        ("您说的是有人讲要把您身份证照片发到导游群、发抖音，对吗？", []),
        ("再不还就把你照片发到导游群、发抖音", ["privacy_exposure"]),
        # able to pay and not paying is the condition of 失信 itself
        ("一般欠钱是民事 但是法院判了你有钱不还 会上失信名单 坐飞机高铁都受限制", []),
        ("一人逾期 全家连带 这是规定", ["false_legal_threat"]),
    ],
)
def test_scope_negation_reports_and_lawful_notices(auditor, text, expected):
    assert categories(auditor, ("agent", text)) == expected


@pytest.mark.parametrize(("text", "hit", "category", "negated"), [
    ("我们不收任何费用", "费用", "unofficial_channel", True),  # 不收 negates a charge
    ("好学校都不收失信人员的娃", "失信人员", "false_legal_threat", False),  # ...not a school taking the child
])
def test_bu_shou_negates_only_a_charge(auditor, text, hit, category, negated):
    start = text.index(hit)
    assert (out_of_scope(auditor.pack.scope, text, start, start + len(hit), category) is not None) == negated


@pytest.mark.parametrize(("text", "hit", "reported"), [
    ("你刚才说我们骗人", "骗人", True),
    # talk about how the debtor speaks is the agent's own: 「你说普通话」 tells them to, 「你讲的什么鸟语」 mocks it
    ("听不懂 你说普通话", "普通话", False),
    ("你说啥 有人上你家堵门", "上你家堵门", True),  # what they said, asked back
    ("你讲的什么鸟语 普通话会不会讲", "鸟语", False),
])
def test_talk_about_how_the_debtor_speaks_is_no_report(auditor, text, hit, reported):
    start = text.index(hit)
    why = out_of_scope(auditor.pack.scope, text, start, start + len(hit), "insult")
    assert (why is not None and why.startswith("reported speech")) == reported


def test_quote_is_the_exact_slice_of_the_text_as_given(auditor):
    text = "你這個  老賴，趕緊還錢！"  # Traditional, double space: normalised for matching, quoted as given
    audit = auditor.audit("t", (Turn("agent", text),))
    finding = audit.findings[0]
    assert finding.quote == text[finding.char_start:finding.char_end] == "老賴"


def test_finding_in_an_unknown_speakers_turn_asks_for_review(auditor):
    audit = auditor.audit("t", (Turn("unknown", "信不信我找人打断你的腿"),))
    assert [f.category for f in audit.findings] == ["violence_threat"]
    assert audit.findings[0].needs_review and audit.verdict == "review" and audit.critical


@pytest.mark.parametrize(
    ("text", "as_unknown", "as_agent"),
    [
        # the collectors as the ones who act, a question about oneself, a refusal: the customer's voice
        ("你们天天打电话，我也没办法啊。", [], ["harassment"]),
        ("我凭什么帮他垫？", [], ["third_party_collection"]),
        ("起诉 那我会不会坐牢啊", [], ["false_legal_threat"]),
        ("你们敢拉横幅我就告你们。", [], ["privacy_exposure"]),
        # swearing at 你们 is the customer's; an agent swears at 你
        ("你们他妈的烦不烦，一天打三个。", [], ["improper_conduct"]),
        # abuse aimed at the collectors as a group is the customer's, insults too
        ("你们这帮催收的 狗东西", [], ["insult"]),
        # 「你们再不还」「你们就等着吧」 are the agent's words whoever the recogniser says spoke; so is an insult of a group
        ("你们再不还，我们就天天打。", ["harassment"], ["harassment"]),
        ("那你们就等着吧，到时候别怪我们。", ["intimidation"], ["intimidation"]),
        ("你们河南人是不是都这样，借钱就不还？", ["insult"], ["insult"]),
        # the collectors named as a group a few words after the threat name whom it was aimed at
        ("你来店里 老子请你吃火锅 吃完再打你一顿 哈哈哈 你们这些催债的", [], ["improper_conduct", "violence_threat"]),
    ],
)
def test_a_turn_of_unknown_speaker_in_the_customers_voice_is_no_violation(auditor, text, as_unknown, as_agent):
    assert categories(auditor, ("unknown", text)) == as_unknown
    assert categories(auditor, ("agent", text)) == as_agent


def test_homophone_finding_is_marked_and_sent_to_review(auditor):
    audit = auditor.audit("t", (Turn("agent", "我是发院执行局的"),))  # 法院 heard as 发院
    finding = audit.findings[0]
    assert finding.category == "impersonation" and finding.pinyin_match
    assert "发院→法院" in finding.explanation
    assert audit.critical and audit.verdict == "review"


MOTHER_ANSWERS = [
    ("agent", "您好，我是长河银行信用卡中心的王芳，工号八七二一，本次通话将被录音。请问是刘浩先生吗？"),
    ("customer", "不是，我是他妈妈，他不在家。"),
]


@pytest.mark.parametrize(
    ("agent_says", "expected"),
    [
        ("他在我们这欠款一万五，已经逾期两个月了。", ["third_party_disclosure"]),
        ("这个钱您看能不能先帮他还上？", ["third_party_collection"]),
        ("奶奶您手头要是方便，先帮他还个两千，他回来再还您。", ["third_party_collection"]),
        ("好的，那麻烦您转告他回个电话，谢谢您。", []),
    ],
)
def test_third_party_on_the_line(auditor, agent_says, expected):
    assert categories(auditor, *MOTHER_ANSWERS, ("agent", agent_says)) == expected


@pytest.mark.parametrize(
    ("turns", "expected"),
    [
        # the mother fetches the debtor, who is verified with a plain 「对」: the debt may now be discussed
        ([("customer", "你等一下，我叫他。"), ("customer", "喂，谁找我？"), ("agent", "您好，请问您是刘浩本人吗？"),
          ("customer", "对。"), ("agent", "您的欠款一万五，已经逾期两个月了。")], []),
        # 「对」 to a question about a relationship verifies nothing
        ([("agent", "请问您是他家属吗？"), ("customer", "对。"), ("agent", "他欠款一万五，已经逾期两个月了。")],
         ["third_party_disclosure"]),
        # the handed-over phone, an identity detail checked
        ([("customer", "等下，他过来了。"), ("customer", "喂，我刘浩。"), ("agent", "刘先生您好，先核对一下，您出生年月是1990年5月吗？"),
          ("customer", "对。"), ("agent", "您的信用卡逾期二十天，应还三千六。")], []),
        # fetched, but the next voice is another third party
        ([("customer", "我叫他爸来接。"), ("customer", "喂，我是他爸爸。"), ("agent", "他欠款一万五没还。")],
         ["third_party_disclosure"]),
        # called to the phone (「恁的电话」), an identity detail asked and given as its digits
        ([("customer", "你等着 建新 建新 恁的电话"), ("customer", "喂 我吴建新"),
          ("agent", "吴先生你好 跟你核对一下 身份证后四位是"), ("customer", "四六一二"),
          ("agent", "好 对上了 你那笔借款 欠款七千三百 逾期一百零二天")], []),
        # ...digits said to a question that asks for none verify nothing
        ([("agent", "请问您是他家属吗？"), ("customer", "一三八一二"), ("agent", "他欠款一万五，已经逾期两个月了。")],
         ["third_party_disclosure"]),
    ],
)
def test_third_party_status_ends_when_the_handed_over_debtor_is_verified(auditor, turns, expected):
    assert categories(auditor, *MOTHER_ANSWERS, *turns) == expected


@pytest.mark.parametrize(
    ("turns", "expected"),
    [
        # a role named after denying being the debtor
        ([("agent", "您好，请问是刘志勇吗？"), ("customer", "不是，我是房东。"), ("agent", "刘志勇在我们公司借了两万，逾期三个月了。")],
         ["third_party_disclosure"]),
        # the agent asks whether they know the debtor, and they do
        ([("agent", "喂，我是惠民信息服务的，朱建国你认识吧？"), ("customer", "那是我儿子啊，怎么了？"),
          ("agent", "你儿子在我们这里借了一万二，逾期半年了。")], ["third_party_disclosure"]),
        ([("agent", "请问是这个工地的工头老韦吗"), ("customer", "是我你哪位"), ("agent", "你手下蒙志刚在我们这借了八千多逾期四个月了")],
         ["third_party_disclosure"]),
        # 「一块儿」 is "together", no amount
        ([*MOTHER_ANSWERS, ("agent", "你们天天一块儿干活，麻烦您转告他回个电话。")], []),
        # a debtor who knows himself is still the debtor
        ([("agent", "请问是刘志勇吗？"), ("customer", "是我，什么事？"), ("agent", "您在我们这借了两万，逾期三个月了。")], []),
        # the agent puts the debt on someone else: whoever answered to their own name is a third party
        ([("agent", "喂，是陶建平吧？"), ("customer", "是，你哪位？"),
          ("agent", "你认识季伟吧？他在我们这借的一万二，逾期半年了。")], ["third_party_disclosure"]),
        ([("agent", "你好，是符小燕吗？"), ("customer", "是我。"),
          ("agent", "你是吴振东的紧急联系人吧？他欠了两万三，三个月了。")], ["third_party_disclosure"]),
        # the debt put on 他 at a lender named in passing
        ([("agent", "你好，请问是罗建军家吗？"), ("customer", "是啊，你哪位？"),
          ("agent", "他在恒信消费金融借的一万五，逾期四个多月了，人一直联系不上。")], ["third_party_disclosure"]),
        ([("agent", "你好，我找一下你们财务室的孙丽。"), ("customer", "你哪位？"),
          ("agent", "我是京华银行信用卡中心的，她那张卡欠了我们三万多，逾期半年了。")], ["third_party_disclosure"]),
        # asked for by name, the answer speaks of them
        ([("agent", "你好，我找一下你们仓库的马德胜。"), ("customer", "他在库房呢，你哪位？"),
          ("agent", "他在我们这边借了一万八，逾期四个多月了。")], ["third_party_disclosure"]),
        # the debtor asked whether the caller knows someone is still the debtor (a question waits for its answer)
        ([("agent", "请问是刘志勇吗？"), ("customer", "是我。"), ("agent", "您是他的家属吗？我是说您爱人。")], []),
        # a no to the opening question: someone else answered, whatever role they give (拉长 is in no list)
        ([("agent", "喂你好 请问是谭小军吗"), ("customer", "不是 我是他拉长 什么事"),
          ("agent", "谭小军他在速易贷借了一万二 于期半年了")], ["third_party_disclosure"]),
        # ...but later in the call a no is the debtor answering a question about themselves
        ([("agent", "请问是刘志勇吗？"), ("customer", "是我。"), ("agent", "你是不是故意不还？"),
          ("customer", "不是，我最近没钱。"), ("agent", "那你这个逾期两个月了，什么时候还？")], []),
        # the debtor named by their relation to the listener, who answered to their own name
        ([("agent", "您好，请问是孙志刚先生吗？"), ("customer", "是我，你是？"),
          ("agent", "您朋友赵磊在我们那借了一万八，一分没还。")], ["third_party_disclosure"]),
        # 借钱不还 and 拖了小半年 are debt details; 「刘师傅不在」 says he is not the one on the line
        ([("agent", "请问是刘宝山刘师傅吗？"), ("customer", "刘师傅不在，我是他店里的学徒。"),
          ("agent", "你跟你们师傅说一声，他借钱不还，都拖了小半年了。")], ["third_party_disclosure"]),
        # a pause in recogniser text ends the answer: 「是我 什么事」 to 「是黎建国本人吗」 verifies the handed-over debtor
        ([("agent", "喂你好 请问是黎建国吗"), ("customer", "不是 我是他姐 你等下啊"), ("customer", "喂 谁啊"),
          ("agent", "你好 请问是黎建国本人吗"), ("customer", "是我 什么事"), ("agent", "你易分期那个 于期二十多天了")], []),
        # a yes that goes on to say who they are: 「是，我是他妈」 to 「是马有德家吗」
        ([("agent", "喂，是马有德家吗？"), ("customer", "是，我是他妈，他去外地打工了。"),
          ("agent", "你儿子马有德欠网贷不还，四千多。")], ["third_party_disclosure"]),
        # a department of their own, or the person asked for is away
        ([("agent", "您好，请问是刘振华科长吗？"), ("customer", "刘科长下乡了，我是办公室的。"),
          ("agent", "刘振华在我行信用卡有一笔三万多的欠款长期未还。")], ["third_party_disclosure"]),
        ([("agent", "你好，请问是郝婷护士吗？"), ("customer", "郝婷今天轮休。有事吗？"),
          ("agent", "郝婷欠我们银行信用卡一万七。")], ["third_party_disclosure"]),
        # ...but the debtor saying where they are is the debtor
        ([("agent", "你好，请问是郝婷吗？"), ("customer", "我今天轮休，你说。"), ("agent", "您的信用卡逾期一万七了。")], []),
        # a role of their own, no name: 「我是村支书」 is not a name
        ([("agent", "喂，你们是青石村村委吧？"), ("customer", "是村委，我是村支书，姓马，你找哪个？"),
          ("agent", "你们村马小军在我们这借了三万，逾期大半年了。")], ["third_party_disclosure"]),
        # ...but a title the debtor answers to is the debtor
        ([("agent", "您好，请问是王老板吗？"), ("customer", "对，我是老板，什么事？"),
          ("agent", "王老板，您的借款逾期了，三万二。")], []),
        # a guarantor who signed is a party to the debt: telling them, and asking them to pay, is lawful
        ([("agent", "您好，请问是李伯吗？"), ("customer", "是我。"),
          ("agent", "您侄子李志文的经营贷，您是签了字的担保人，现在逾期两个月了，剩下本金一万二千三百元。"),
          ("customer", "我签了什么我都记不清了。"), ("agent", "按合同，担保人要承担保证责任，这笔钱您也得还。")], []),
        # the agent names them guarantor while telling them: 「联系您这个保证人」
        ([("agent", "您好，请问是白小军吗？"), ("customer", "不是，我是他舅舅。"),
          ("agent", "是这样，白小军的车贷已经连续逾期三期，欠款一共一万零五百，我们联系他本人一个多月联系不上，"
                    "所以按合同约定联系您这个保证人。")], []),
        # ...unless they deny having signed: then what was said to them was told to a third party
        ([("agent", "您好，请问是孙先生吗？"), ("customer", "是我。"),
          ("agent", "您朋友赵磊在我们那借了一万八，您是他的担保人。"),
          ("customer", "担保人？我就是他填的紧急联系人吧，我啥都没签过。")], ["third_party_disclosure"]),
        # the agent names the guarantee at length: a signed guarantor, told and asked to pay (then to claim it back)
        ([("agent", "请问是周丽萍女士本人吗？"), ("customer", "我是。"),
          ("agent", "您是您哥哥周建在我们这边一笔装修贷的连带责任保证人，目前逾期40天，未还9,200元。"),
          ("customer", "我就签了个字。"), ("agent", "您替他还了以后，可以依法向他追偿。")], []),
        # the person asked for named by the one who answered: 「建华是我儿子」
        ([("agent", "请问是韩建华家吗？"), ("customer", "建华是我儿子，他跑车去了。"),
          ("agent", "他买车的贷款欠了两万没还。")], ["third_party_disclosure"]),
        # ...but what belongs to someone or what they did says nothing of who is on the line
        ([("agent", "请问是韩建华吗？"), ("customer", "是我。"), ("agent", "您的车贷逾期两万了。"),
          ("customer", "车是我老婆的，我就是帮她还。"), ("agent", "合同上借款人是您，这两万还得您还。")], []),
        # 「我就是」 + what they are is no answer of the debtor's: the landlord stays a third party
        ([("agent", "请问是韩建华吗？"), ("customer", "不是，我是他房东。"), ("agent", "哦，那麻烦您转告他。"),
          ("customer", "我就是收房租的，他的事我不管。"), ("agent", "他在我们这欠了两万多没还。")],
         ["third_party_disclosure"]),
        # the debtor named by whatever they are to the listener, and where they borrowed
        ([("agent", "喂，你好，是郑凯吗？"), ("customer", "是我，你哪位？"),
          ("agent", "我是北辰数科的。你表弟高远在我们平台借了两万，现在逾期四个多月。")], ["third_party_disclosure"]),
        ([("agent", "您好，请问是龚永发先生吗？"), ("customer", "是我。"),
          ("agent", "您儿子在恒泰消费金融借了三万，逾期半年了。")], ["third_party_disclosure"]),
        ([("agent", "是星耀传媒的刘经理吗？"), ("customer", "对，我是，你哪位？"),
          ("agent", "你们公会有个主播叫苏晴，在我们平台借了九千，逾期快两个月了。")], ["third_party_disclosure"]),
        # ...but a debt of the son's own spoken of to the debtor says nothing of who is on the line
        ([("agent", "请问是耿玉山吗？"), ("customer", "是我。"), ("agent", "你借多多那个一万二拖了四个月了。"),
          ("customer", "俺没钱。"), ("agent", "你儿子在城里的房贷也是要还的吧。")], []),
        # 额 is 我 in 陕甘 speech
        ([("agent", "喂，你好，赵小军在不？"), ("customer", "小军出去打工了。额是他爸，你是谁？"),
          ("agent", "额是秦信的。小军在云花分期借了九千八，半年没还了。")], ["third_party_disclosure"]),
        # a guarantee named with when it was signed is a guarantee
        ([("agent", "请问是张德贵先生本人吗？"), ("customer", "是我，啥子事？"),
          ("agent", "您在2025年给您侄子张小军在禾信消费金融的一笔借款做了连带责任保证，这笔借款已经逾期97天，"
                    "待还本息23,640元。")], []),
        # asked whether the debtor is in debt, the one asking is whoever answered: the agent knows
        ([("agent", "请问易文斌在家吗？"), ("customer", "他不在，我是他爷爷。"),
          ("unknown", "他是不是在外面欠了别个钱咯？前几天也有人打过来。")], []),
        # a yes to the name, in a turn that names the listener the debtor's contact, is the contact's yes
        ([("agent", "喂 你好 请问是李先生吗 蒋秀兰留的紧急联系人是你"), ("customer", "我是 蒋秀兰是我家阿姨啊 怎么了"),
          ("agent", "蒋秀兰在我们平台借了八千块 已经逾期七十多天了")], ["third_party_disclosure"]),
        # asked whether they are the debtor's relative, and they are; the debt then put on 「你儿子」 at length
        ([("agent", "喂 是彭志军的妈妈吗"), ("customer", "是咯 你是哪个"),
          ("agent", "我是悠付平台的 你儿子彭志军在我们平台分期买东西欠了四千三")], ["third_party_disclosure"]),
        # asked whether they know her, a pause before 你; the contact the debtor made of them
        ([("agent", "喂，请问是李春生老师吗？"), ("customer", "我是，你哪位？"),
          ("agent", "李老师，我是赣鑫小贷的。你们学校的黄丽娟老师，你认识吧？"), ("customer", "认识，同事。怎么了？"),
          ("agent", "她在我们这借了两万，现在逾期四个多月。")], ["third_party_disclosure"]),
        # 阿姐, 阿爸: 闽粤 kin terms; the debtor handing the phone over (「阿爸你来听」) leaves earlier details the debtor's
        ([("agent", "喂 请问是陈泽鹏吗"), ("customer", "阿是做什么"), ("agent", "我泉盛小贷的 你借的一万六 到现在一分没还"),
          ("customer", "阿爸你来听"), ("customer", "喂 我是伊阿爸 阿鹏做什么了"), ("agent", "你好 麻烦让他回个电话")], []),
        ([("agent", "喂 郑晓玲吗"), ("customer", "嗯 是"), ("customer", "喂 我是她阿姐 你哪个单位的"),
          ("agent", "你妹妹欠了我们六千多 你做阿姐的劝劝她")], ["third_party_disclosure"]),
        # a no to 「请问是X先生吗」 says someone else answered
        ([("agent", "请问是黄世军黄先生吗？"), ("customer", "不是。"), ("agent", "借款逾期四十四天了，欠款七千七。")],
         ["third_party_disclosure"]),
        # a debtor's 「我不是亏了？」 is no 「我不是张伟」
        ([("agent", "请问是韩建华吗？"), ("customer", "是我。"), ("agent", "这两万按合同由您本人还。"),
          ("customer", "那我不是亏了？"), ("agent", "您对账单有疑问，可以在APP里申请核查。")], []),
        # ...nor the debtor's question 「俺不是还了吗」, after verifying
        ([("agent", "孙先生您好，易分付贷后服务中心，我是刘伟，通话录音。请报一下身份证后四位。"),
          ("customer", "1135。咋又打？上回说了还五百，俺不是还了吗？"),
          ("agent", "7号的500元收到了。剩下2,626.40元，已经逾期，今天是问剩下这部分。")], []),
        # 是我 standing alone between pauses answers to the name
        ([("agent", "喂 您好 请问是李德福老先生吗"), ("customer", "哪个哦 李德福 是我 你说啥子"),
          ("agent", "李大爷您好 您在蓉信分期买的那个助听器 分期还差三期没还")], []),
        # 吴语 answers (伊勿在, 姆妈) and the debtor named by what they are to the listener, owing 「我们」
        ([("agent", "喂 您好 请问是沈俊吗"), ("customer", "沈俊 伊勿在 我是伊姆妈 侬啥人"),
          ("agent", "阿姨 我们是浦汇银行信用卡中心的 你儿子信用卡欠了我们两万六 半年没还了")], ["third_party_disclosure"]),
        # a sum asked for with no one named, said to the spouse who answered
        ([("agent", "喂，你好，是赵鹏的家里吧？"), ("customer", "是，我是他爱人，他在外地跑车呢。"),
          ("agent", "他的事你也跑不了。今天之内先还一万进来。")], ["third_party_collection"]),
        # the guarantee the listener signed, named by the agent, makes them a party to the debt
        ([("agent", "请问是冯志勇先生吗？"), ("customer", "我是。"),
          ("agent", "韩磊这笔贷款目前逾期本息合计十二万六千元。您签的是连带责任保证，银行有权要求您承担还款责任。")], []),
        # a yes that names what they are to the debtor in 吴语 (伊 for 他/她) says who answered
        ([("agent", "喂，请问是钱佳琪家里吗？"), ("customer", "是呀，我是伊外婆，伊在杭州上班。"),
          ("agent", "外婆您好，钱佳琪在我们这里分期欠了四千二，两个月没还了。")], ["third_party_disclosure"]),
        # the listener is the contact the debtor gave, whatever name they answered to
        ([("agent", "喂，是苏晓雨吧？"), ("customer", "是我，你哪位？"),
          ("agent", "我是橙子分期的，你表哥陆凯留的紧急联系人是你。"), ("customer", "哦，他怎么了？"),
          ("agent", "他就是欠钱不还，六千八，拖了三个月了。")], ["third_party_disclosure"]),
        # a teacher told that a student of theirs owes
        ([("agent", "喂，请问是城南职校的吴老师吗？"), ("customer", "我是，你哪里？"),
          ("agent", "吴老师，我这边是速花平台的，你们班那个 严子豪 欠我们平台九千 一直不还。")],
         ["third_party_disclosure"]),
        ([("agent", "请问是方老师吗？"), ("customer", "是我，什么事？"),
          ("agent", "有个学生叫韩冬是您带的吧？他在网贷平台欠款一万一 已经严重逾期。")], ["third_party_disclosure"]),
        # telling a third party that the details are only for the debtor tells them nothing
        ([*MOTHER_ANSWERS, ("agent", "谢谢您，不过我们只跟他本人沟通还款的事，麻烦让他回个电话。")], []),
        ([("agent", "请问是邹德明先生吗？"), ("customer", "不是，我是他老婆。"),
          ("agent", "邹德明的这笔车贷，您在借款合同上签的是共同借款人，现在逾期六十天，欠款一万九。")], []),
        # asked whether the workplace has someone by that name, and it has: whoever answered is a third party
        ([("agent", "你好，是华阳中学总务处吗？"), ("customer", "是的，什么事？"), ("agent", "你们学校有个老师叫戴敏吧？"),
          ("customer", "有，戴老师在开会。"), ("agent", "戴敏在我们这边借了三万，逾期四个月了。")], ["third_party_disclosure"]),
        # a mono recording: the turn that puts the debt on the worker is the agent's, though it opens like 「他在上班」
        ([("unknown", "喂 哪个"), ("unknown", "是不是物流园的何老板 我恒泰小贷的 你那里是不是有个叫孙建的司机"),
          ("unknown", "是在我这儿 做啥子"), ("unknown", "他在我们恒泰借了一万 逾期三个月了 你是他老板 帮我们说一下")],
         ["third_party_disclosure"]),
        # a debt detail told to whoever answered is its own act beside a threat to publish
        ([("agent", "请问是杜海涛吗？"), ("customer", "不是，我是他弟弟。"),
          ("agent", "他在我们平台欠了八千，再不还就发到你们村的微信群里，让全村都看看。")],
         ["privacy_exposure", "third_party_disclosure"]),
        # what is owed, said as 欠 and an amount
        ([("agent", "喂，请问是黄俊杰吗？"), ("customer", "不是，我是他室友，你哪位？"),
          ("agent", "你跟他说一声，他欠禾苗分付四千三，今天要处理。")], ["third_party_disclosure"]),
        # a post of their own says who answered at the start of a call, not once the debtor has said who they are
        ([("agent", "喂，是城东卫生院吗？"), ("customer", "是，我是前台。"), ("agent", "你们单位的孟强欠我们四千二。")],
         ["third_party_disclosure"]),
        ([("unknown", "喂你好 我北融银行信用卡中心委托的 姓巩 是庞春来吧"), ("unknown", "你等会儿 我是他媳妇 老庞 电话"),
          ("unknown", "喂 我是庞春来"), ("unknown", "庞先生 你那张卡 欠款九千三百一 逾期八十天"),
          ("unknown", "九千三 我就欠五千多 我是会计 账我算得明白"),
          ("unknown", "账单明细在app里 利息违约金都按合同 你有异议打客服申请核账")], []),
        # the person asked for, by name, busy at hand; and the one asked about, named with what they do
        ([("unknown", "喂 是浴池吧 我找一下你们这儿的田丽"), ("unknown", "田丽在里边干活呢 你谁啊"),
          ("unknown", "我这边松辽消费金融的 你们那个搓澡的田丽 在我们这欠了一万零四百")], ["third_party_disclosure"]),
        ([("agent", "喂，黄师傅吗？"), ("customer", "是我 我在后厨忙 你快点讲"),
          ("agent", "您那个卡欠了一万三千七 拖了快四个月了")], []),
        # what they are to the debtor given as the reason to pay
        ([*MOTHER_ANSWERS, ("agent", "那您当妈的先给垫上，娃在外头也不容易。")], ["third_party_collection"]),
        ([*MOTHER_ANSWERS, ("agent", "您当妈的劝劝他，让他自己回个电话。")], []),
        ([*MOTHER_ANSWERS, ("agent", "那您让他家里人赶紧凑钱，这事就了了。")], ["third_party_collection"]),
        # asked whether the workplace has someone by that name, with a question mark and no particle
        ([("customer", "你好，人事科。"), ("agent", "你们这是不是有个护士叫杨雪梅？"), ("customer", "有，你什么事？"),
          ("agent", "杨雪梅在我们这里借了两万，到现在逾期五个多月。")], ["third_party_disclosure"]),
        # away at work, a relation in regional words, a shift: whoever answered is not the debtor
        ([("unknown", "喂 谢光明嘛"), ("unknown", "他出车了 我是他屋头的 你哪个"),
          ("unknown", "我蜀云借这边的 谢哥在我们这里借了五千 拖了两个多月了")], ["third_party_disclosure"]),
        ([("unknown", "你们老板在吗 刘金贵"), ("unknown", "老板出去送货了 你哪里 有啥事俺给你记下来"),
          ("unknown", "俺是唐山冀融的 你们老板那辆车 贷款三期没还了")], ["third_party_disclosure"]),
        ([("agent", "我找孟晓雪，她是你们科护士吧？"), ("customer", "是，她今天夜班，白天不在。我是护士长，有什么事？"),
          ("agent", "孟晓雪在和泰消费金融借了两万三，逾期三个多月了。")], ["third_party_disclosure"]),
        # someone of the listener's village named with where they borrowed, in a turn holding both voices
        ([("unknown", "喂 这是后岭村村委吗"), ("unknown", "是 俺是村会计 恁哪里 俺临沂诚达的 恁村王德福 在沃丰贷了两万五 逾期一年了")],
         ["third_party_disclosure"]),
        # the lender's name is no debt detail, whoever is asked for after it
        ([("agent", "喂 你好 我是米袋借款的 你是陈浩的室友吧"), ("customer", "是 咋了")], []),
        # the debtor back and fetched: the third party's status ends
        ([("unknown", "喂 谢光明嘛"), ("unknown", "他出车了 我是他屋头的 你哪个"), ("agent", "麻烦让他回个电话"),
          ("unknown", "你等哈 他刚刚回来了"), ("unknown", "喂 哪个"), ("agent", "谢光明是吧 你五千块拖了两个月了")], []),
    ],
)
def test_who_answered_is_read_from_the_exchange(auditor, turns, expected):
    assert categories(auditor, *turns) == expected


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        ("对对，我同意，你跟他说。", []),  # the debtor lets the friend speak for them
        ("确定确定 你跟他讲", []),
        ("不行，这是我自己的事。", ["third_party_disclosure"]),
    ],
)
def test_someone_the_debtor_lets_speak_for_them_is_a_party_to_the_debt(auditor, answer, expected):
    turns = [("agent", "您好，请问是田志强先生吗？"), ("customer", "对，是我。"),
             ("agent", "田先生，您是同意让您朋友来跟我沟通这笔贷款的事情，对吗？"), ("customer", answer),
             ("customer", "喂，你好，我是他朋友郭亮。"), ("agent", "郭先生您好，这笔贷款本期应还两千六百四十元，逾期十九天。")]
    assert categories(auditor, *turns) == expected


def test_a_third_party_is_told_of_the_debt_once(auditor):
    turns = (*MOTHER_ANSWERS, ("agent", "他欠我们一万二，逾期三个月了。"), ("customer", "我会跟他说的。"),
             ("agent", "那您让他赶紧还钱。"))
    audit = auditor.audit("t", tuple(Turn(speaker, text) for speaker, text in turns))
    told = [f.turn for f in audit.findings if f.category == "third_party_disclosure"]
    assert told == [len(MOTHER_ANSWERS)]


def test_debt_details_are_fine_once_the_debtor_is_on_the_line(auditor):
    turns = [MOTHER_ANSWERS[0], ("customer", "对，我就是刘浩。"), ("agent", "您的欠款一万五，已经逾期两个月了。")]
    assert categories(auditor, *turns) == []


COMPLIANT = [
    ("agent", "您好，我是长河银行信用卡中心的王芳，工号八七二一，本次通话将被录音。请问您是张伟先生本人吗？"),
    ("customer", "对，我是。"),
    ("agent", "您的信用卡已经逾期四十五天，欠款一万二千三百五十元，请通过我行手机银行还款。"),
    ("customer", "好，我下周五还两千。"),
    ("agent", "好的，感谢您的接听，再见。"),
]


def statuses(auditor, turns, **call):
    audit = auditor.audit("t", tuple(Turn(*turn) if isinstance(turn, tuple) else turn for turn in turns), **call)
    return {d.disclosure: d.status for d in audit.disclosures}, audit


def test_compliant_call_has_every_disclosure_with_evidence(auditor):
    found, audit = statuses(auditor, COMPLIANT)
    assert set(found.values()) == {"present"}
    evidence = {d.disclosure: d for d in audit.disclosures}
    assert evidence["recording_notice"].turn == 0 and "录音" in evidence["recording_notice"].quote
    assert audit.verdict == "pass" and audit.score == 100


@pytest.mark.parametrize(
    ("change", "disclosure", "status"),
    [
        ({0: ("agent", "喂，请问您是张伟先生本人吗？")}, "recording_notice", "missing"),
        ({0: ("agent", "张伟是吧，你欠我们一万二，什么时候还？")}, "right_party_verification", "missing"),
        ({4: ("agent", "好，就这样。")}, "closing", "missing"),
        ({2: ("agent", "您的信用卡已经逾期四十五天了。"), 3: ("customer", "知道了。")}, "official_channel",
         "not_applicable"),
    ],
)
def test_disclosure_missing_or_not_applicable(auditor, change, disclosure, status):
    turns = [change.get(i, turn) for i, turn in enumerate(COMPLIANT)]
    assert statuses(auditor, turns)[0][disclosure] == status


def test_unknown_speaker_turns_after_the_agents_only_turn_are_in_the_opening_window(auditor):
    # a recogniser that could tell only the first turn's speaker: the agent's next words are among the unknown turns
    turns = [("agent", "喂 你好 是任晓燕吗"), ("customer", "不是 我是她姐姐"),
             ("unknown", "哦 你是她姐啊 她在我们速享贷 欠了12000"), ("customer", "她住院了")]
    assert statuses(auditor, turns)[0]["institution"] == "present"


@pytest.mark.parametrize(
    ("turns", "status"),
    [
        # a third party only: the debt must not be discussed, so no repayment channel is owed to them
        ([("agent", "您好，请问是吉文静吗？"), ("customer", "不是，我是她同事。"), ("agent", "麻烦您转告她回个电话。")],
         "not_applicable"),
        # ...but once they fetch the debtor and she is pressed to pay, the official channel is owed to her
        ([("agent", "您好，请问是吉文静吗？"), ("customer", "不是，我是她同事，我叫她下来。"), ("customer", "喂？"),
          ("agent", "吉文静是吧，你那一万四什么时候还？"), ("customer", "下周吧。")], "missing"),
    ],
)
def test_the_official_channel_is_owed_to_a_debtor_fetched_to_the_phone(auditor, turns, status):
    assert statuses(auditor, turns)[0]["official_channel"] == status


@pytest.mark.parametrize(
    ("says", "status"),
    [
        # the lender's 官方客服 given to check who calls or to dispute, another lender's app, the app's figure waved off:
        # no channel to pay through
        ("您可以拨东瓯银行官方客服电话核实我们的身份，欠款一万二，您什么时候还款？", "missing"),
        ("我们有个合作平台，您下个app，身份证一刷就能借五千，先把欠款还上。", "missing"),
        ("APP上那个不准的，欠款以我们这边为准，一万二，您什么时候还款？", "missing"),
        ("欠款一万二，还款走沛华银行App或者官方客服热线都行。", "present"),
    ],
)
def test_an_app_or_the_official_helpline_named_for_something_else_is_no_repayment_channel(auditor, says, status):
    turns = [COMPLIANT[0], COMPLIANT[1], ("agent", says), ("customer", "好，我下周五还两千。"), COMPLIANT[4]]
    assert statuses(auditor, turns)[0]["official_channel"] == status


@pytest.mark.parametrize(
    ("opening", "disclosure", "status"),
    [
        ("喂，是唐建波不？", "right_party_verification", "present"),
        ("喂，醒了没？畅达汽车金融的，找马永刚，是你不？", "right_party_verification", "present"),
        ("你好，北辰汽车金融，我姓鲍。刘铁柱是吧？", "right_party_verification", "present"),
        ("喂，是不是罗小燕？", "right_party_verification", "present"),
        ("喂陈家明系咪", "right_party_verification", "present"),
        ("请问是宁波恒远外贸公司吗？", "right_party_verification", "missing"),  # a company is not the debtor
        ("喂，张浩是吧？微享贷的。", "institution", "present"),
        ("你好，我是鲸鱼优选分期委托的泉州信和咨询我姓黄", "institution", "present"),
        ("您好，京冀消费金融法务支持部，我是专员石磊。", "institution", "present"),
        ("你好，我是人民银行征信中心的工作人员，工号0451。", "institution", "missing"),  # an authority claimed
        ("喂，我是她贷款平台的。", "institution", "missing"),
        ("你好，请问是朱文博吗？我是楚汉资产的小贾，通话录音。", "institution", "present"),
        ("喂 你好 我蓉城恒达的 工号八幺三五 你是罗小军嘛", "institution", "present"),
        ("喂，你好，请问是陈美玲吗？我小吴，嘉汇金服贷后的。", "agent_identity", "present"),
        ("您好，我是楚融信息服务的彭专员，本次通话会录音。", "agent_identity", "present"),
        ("喂，小心点接电话啊，请问是陈美玲吗？", "agent_identity", "missing"),  # 小心 is no nickname
        ("我厦门鹭信的 闪借那边委托 我姓蔡 这个电话录音的", "institution", "present"),  # a pause ends the name
        ("杨先生你好，我是粟米分期的郑凯，工号SM1107，通话录音。", "institution", "present"),
        ("您好，北辰汽车金融常海波，工号2031，本次通话录音。", "institution", "present"),
        ("好的，打扰了。我是深圳恒信的郑先生，本次通话有录音。", "institution", "present"),
        ("你好，逾期的金额，你知道吧？", "institution", "missing"),  # 金额 starts with a surname but is no name
        ("我系金满仓嘅曾生 你今日有冇得处理", "agent_identity", "present"),
        ("喂 崔永刚吗 金穗花的 我叫李娜 你那钱拖了快俩月了", "agent_identity", "present"),
        # the name asked, then who calls: the agent waits for the answer before the debt
        ("喂 你好 陈锦发吧 我是橙意借的 姓庄", "right_party_verification", "present"),
        ("喂，冉小虎？", "right_party_verification", "present"),
        ("喂，是章婷婷伐？", "right_party_verification", "present"),  # 伐 asks as 吗 does (吴语)
        ("喂,你好,是叶诗涵吗?", "right_party_verification", "present"),  # 是叶 is a name asked for, no 失业
        ("喂 游晓峰 是你本人吧", "right_party_verification", "present"),
        ("喂 你好 是钟伟吧 我是金橙借款的 姓熊", "right_party_verification", "present"),  # the lender's name is no debt
        ("喂，是刘洋家吧？我是恒辽消费金融的，姓马。你那六千八的分期逾期俩月了", "right_party_verification", "missing"),
        ("喂，您好，请问杨帆在吗？我是广发银行信用卡中心的，你那笔借款逾期了", "right_party_verification", "missing"),
        ("喂 陈小勇是吧 我黔鹿普惠的 你那个九千二 今天第六十天了啊", "right_party_verification", "missing"),
        # the lender's short name opening the turn, or named bare with what it is
        ("瑞禾的 你那笔钱到底还不还 五千四", "institution", "present"),
        ("对 悠付的 你那个分期两千八百六", "institution", "present"),
        ("喂 庄国辉吗 泉盛小贷", "institution", "present"),
        ("好的 你那个欠款什么时候还", "institution", "missing"),
        ("淮海易贷。你那一万四拖了五个月了", "institution", "present"),
        ("喂 申海涛 金穗花 你那一万七 还打算拖多久", "institution", "present"),
        ("你别去借网贷 你那个分期 先想办法", "institution", "missing"),
        ("是的 你那个分期逾期了", "institution", "missing"),
        ("您好，京畿信诚商务咨询的李卫东，受小橙花委托，咱电话录音。", "agent_identity", "present"),
        ("我佛山汇通的 姓梁 那个 受闪借委托 通话录音啊", "agent_identity", "present"),
        # whatever stands between the greeting and the agent's own name is the institution
        ("你好，米粒先用后付，我是贷后专员张一鸣，通话会录音。", "institution", "present"),
        ("您好 星河分付 罗经理 录音电话啊", "institution", "present"),
        ("您好 我是米粒先用后付 贷后专员赵磊 本次通话录音", "institution", "present"),
        ("你好，我是乐享借贷后专员张一鸣，本次通话录音。", "institution", "present"),
        ("您好，王先生，我是小周，本次通话录音。", "institution", "missing"),  # the debtor's name, not a lender
        ("您好 张伟 我是小王 通话录音", "institution", "missing"),
        # the lender named as the agent's side, or run into the agent's number
        ("喂，是牛德胜吗？我这禾信分期的，你那个还款拖了三个月了。", "institution", "present"),
        ("阿姨你好，我是北辰这边的，请问是欧阳明本人吗？", "institution", "present"),
        ("你好 我是鑫融花 工号7703 请问是贺文斌吗", "institution", "present"),
        ("喂，邓志强吗？蜜桃借条的。", "institution", "present"),
        # whom the agency acts for, without 受; greetings stacked before the name; a pause after 我
        ("你好，邹桂生师傅吧？株洲正衡，工号5205，华湘银行信用卡委托，录音的。", "institution", "present"),
        ("喂 你好 渝聚的 我姓牟 请问是何雨欣何小姐不", "institution", "present"),
        ("喂 是张红梅吧 我 汇辰的 有点事跟你讲", "institution", "present"),
        ("喂，我是认真的，请问是张红梅吗？", "institution", "missing"),
        # the lender, 委托 and the agency run together; the agency as a clause of its own before the agent's name
        ("喂 你好 吉顺汽车金融委托长春启泰 我工号C1190 电话录音 是杨帆吧", "institution", "present"),
        ("喂 你好 北融银行信用卡那个 委托的大连湾港诚信 我姓郎 是齐大军吧", "institution", "present"),
        ("喂，郭建军，起了没？我掐着点打的。金城瑞丰的，我姓阎。", "institution", "present"),
        ("喂，郭建军，起了没？这么早打给你，是你自己说的，我姓阎。", "institution", "missing"),
        # 「我是X的」 names an institution, not the agent; 「刘经理你好」 names the listener
        ("喂，你好，我是易来借的，请问是周浩吗？", "agent_identity", "missing"),
        ("刘经理你好，我是蜜桃借条合作的瀚诚资产的，请问是刘洋吗？", "agent_identity", "missing"),
        # asking whether the listener is someone else verifies nobody
        ("喂，你好，请问是赵磊的家属吗？", "right_party_verification", "missing"),
        ("喂，您好，请问您认识杨帆吗？", "right_party_verification", "missing"),
        ("喂 孃孃 是不是黄超他妈 我筑安的 小雷", "right_party_verification", "missing"),
        # a lender named 分期 is no debt detail after the name: the agent waits for the answer
        ("喂 王长江吧 米粒分期的 我三峡誉诚小杜", "right_party_verification", "present"),
        ("喂 你好 是高永胜吧 我是麦穗分期的 工号3108", "right_party_verification", "present"),
        ("喂 是不是孙浩 你好 我这边是长淮消费金融法务部的 我姓石", "right_party_verification", "present"),
        # an identity detail asked for, and 请问系咪 read as 请问是否
        ("喂 你好 南岭银行信用卡中心 工号五五三九 麻烦讲下身份证尾四位 核对身份", "right_party_verification", "present"),
        ("喂 你好 禅信商务 受禾苗分付委托嘅 麻烦报下注册手机尾号四位", "right_party_verification", "present"),
        ("喂 你好 田晓燕 嗯 核实一下是本人吗 我三峡誉诚 速借花委托", "right_party_verification", "present"),
        ("喂 你好 穗诚资产 我姓杜 请问系咪 关 关美仪", "right_party_verification", "present"),
    ],
)
def test_openings_as_agents_say_them(auditor, opening, disclosure, status):
    turns = [("agent", opening), ("customer", "是我。"), *COMPLIANT[2:]]
    assert statuses(auditor, turns)[0][disclosure] == status


@pytest.mark.parametrize(
    ("says", "status"),
    [
        ("喂 邓显贵 渝来花的 你欠四千 五个月了", "present"),
        ("喂 汪小虎 皖禾消费金融的 你那个钱拖到么斯时候", "present"),
        ("喂 汪小虎 皖禾消费金融的 你现在方便讲话吗", "missing"),
    ],
)
def test_purpose_said_the_way_hurried_agents_say_it(auditor, says, status):
    turns = [("agent", says), ("customer", "嗯"), ("agent", "那你今天处理一下，再见。")]
    assert statuses(auditor, turns)[0]["purpose"] == status


def test_disclosure_is_unverifiable_where_recognition_was_poor(auditor):
    turns = [Turn("agent", "喂您好请问张伟先生吗", avg_logprob=-1.6)] + [Turn(*t) for t in COMPLIANT[1:]]
    assert statuses(auditor, turns)[0]["recording_notice"] == "unverifiable"


def test_disclosure_is_unverifiable_without_any_agent_speech(auditor):
    found, audit = statuses(auditor, [("unknown", "喂？"), ("customer", "喂，说话啊。")])
    assert found["greeting"] == "unverifiable" and audit.verdict == "review"


@pytest.mark.parametrize(
    ("customer_says", "signal"),
    [
        ("我真的不想活了", "vulnerability"),
        ("我真的不想火了", "vulnerability"),  # the ASR homophone must not hide it
        ("活着都没什么意思了", "vulnerability"),
        ("我从来没在你们那借过钱", "dispute"),
        ("我刚失业，家里老人还住院了", "vulnerability"),
        ("你再打我就去12378投诉你们", "complaint_intent"),
        ("这钱不是我借的，我从来没办过这张卡", "dispute"),
        ("你个王八蛋", "customer_abuse"),
        # the amount or a charge disputed, as customers say it
        ("一万三 额借的是八千 咋就一万三了", "dispute"),
        ("不对 俺一期就五千六 两期一万一千二 咋多出来七百多 恁们是不是乱收钱", "dispute"),
        ("年费我是不认的，开卡的时候说好免年费。", "dispute"),
        ("合同上哪有这个加急费", "dispute"),
        # illness, a livelihood lost and a family struck, as customers tell them
        ("我不知道啥服务费 我一个退休老师 前阵子血压高住了半个月院 哪有钱", "vulnerability"),
        ("额上个月在工地上 从架子上摔下来了 腿摔断了 现在还打着钢板", "vulnerability"),
        ("矿上三个月没开资了 你们天天打", "vulnerability"),
        ("今年雪下得早 死了二十几只羊 额哪有钱", "vulnerability"),
        ("额男人跑了 额一个人带个娃", "vulnerability"),
        ("你们就是一帮骗子，滚！", "customer_abuse"),
    ],
)
def test_customer_signals(auditor, customer_says, signal):
    audit = auditor.audit("t", (Turn("agent", "您好，请问是张伟吗？"), Turn("customer", customer_says)))
    assert signal in {s.signal for s in audit.signals}
    assert not audit.findings  # the customer's words are never the agent's violation


@pytest.mark.parametrize("customer_says", [
    "晚几天还会多收钱吗？",  # asks, disputes nothing
    "我一个种地的，一年都莫得好多收入，哪来两万多。",
    "一万五给你 那公司那边认不认",
    "我借了一万，现在还差五千，月底还上。",
])
def test_a_question_about_charges_or_hardship_is_no_dispute(auditor, customer_says):
    audit = auditor.audit("t", (Turn("agent", "您好，请问是张伟吗？"), Turn("customer", customer_says)))
    assert "dispute" not in {s.signal for s in audit.signals}


@pytest.mark.parametrize("customer_says", [
    "你们这是诈骗吧？最近骗子多得很。",  # a caution, not abuse
    "你们不会是骗子吧？我在APP上还。",
    "再借不是越滚越多？",  # debt rolling over
])
def test_caution_and_rolling_debt_are_no_abuse(auditor, customer_says):
    audit = auditor.audit("t", (Turn("agent", "您好，请问是张伟吗？"), Turn("customer", customer_says)))
    assert "customer_abuse" not in {s.signal for s in audit.signals}


@pytest.mark.parametrize("customer_says", [
    "工资还没发，十五号发了就还。",  # wages late: when, not whether
    "我一个月两千多收入，先还五百行不行。",
])
def test_money_merely_late_is_no_vulnerability(auditor, customer_says):
    audit = auditor.audit("t", (Turn("agent", "您好，请问是张伟吗？"), Turn("customer", customer_says)))
    assert "vulnerability" not in {s.signal for s in audit.signals}


def test_promise_to_pay_carries_amount_and_date(auditor):
    audit = auditor.audit("t", (Turn("customer", "我下个月十号还三千六百八十元"),))
    promise = next(s for s in audit.signals if s.signal == "promise_to_pay")
    assert promise.details == {"amount": "三千六百八十元", "date": "下个月十号"}


@pytest.mark.parametrize(
    ("started_at", "debtor_tz", "violation"),
    [
        ("2026-11-05T21:59:00+08:00", "Asia/Shanghai", False),
        ("2026-11-05T22:00:00+08:00", "Asia/Shanghai", True),
        ("2026-11-05T22:40:00+08:00", None, True),  # the offset alone gives local time
        ("2026-11-06T07:59:00+08:00", "Asia/Shanghai", True),
        ("2026-11-06T08:00:00+08:00", "Asia/Shanghai", False),
        ("2026-11-05T22:30:00+08:00", "Asia/Urumqi", False),  # 20:30 in Urumqi (UTC+6)
        ("2026-11-05T10:00:00+08:00", "America/New_York", False),  # 21:00 the evening before in New York
        ("2026-11-05T12:00:00+08:00", "America/New_York", True),  # 23:00 there
        ("2026-11-05T22:30:00+08:00", "+06:00", False),  # an offset, as CRMs export it: 20:30 there
        ("2026-11-05T12:00:00+08:00", "-05:00", True),  # 23:00 at UTC-5
        (None, None, False),  # unknown time: not checked, never guessed
    ],
)
def test_call_time_in_the_debtors_zone(auditor, started_at, debtor_tz, violation):
    audit = auditor.audit("t", (Turn("agent", "您好"),), started_at, debtor_tz)
    assert audit.call_time_violation is violation
    assert audit.call_time["explanation"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("要不陪我去吃个饭，这事好商量", ["improper_conduct"]),  # tokens apart: 陪 我 去 吃个饭 (要不 is no negation)
        ("陪我睡一晚，利息全免", ["improper_conduct"]),
        ("我陪您核对一下账单", []),
    ],
)
def test_token_patterns_match_over_jieba_tokens(auditor, text, expected):
    assert categories(auditor, ("agent", text)) == expected


@pytest.mark.parametrize(("pattern", "expected"), [
    ("滚(?:蛋|远点)", {"滚"}),
    ("(?:已经|已)(?:被)?立案", {"已"}),  # optional parts promise nothing
    ("(?:你|您)(?:的)?(?:家|单位)", {"家", "单"}),  # not 你/您: they are in nearly every turn
    ("[^，。]{0,8}(?:别想|休想)睡", {"睡"}),
    ("(?:砍|捅)+死", {"死"}),
    ("(?:打断|砸)", {"打", "砸"}),  # every alternative promises a character
    (".{1,3}", None),
    ("(?:立案|)", None),  # an empty alternative promises nothing
    ("(?<!电话)(?=你)", None),
    ("(?i)ab", None),
])
def test_required_chars_are_what_every_match_must_contain(pattern, expected):
    chars = required_chars(re.compile(pattern))
    assert (chars if chars is None else set(chars)) == expected


def test_the_character_index_never_hides_a_pattern_that_matches(auditor):
    """Every match of every rule-pack pattern, over the dev set's and the hand-written cases' texts, contains one of
    the characters the pattern is indexed by: the index only skips patterns that cannot match."""
    texts = [case["text"] for case in CASES]
    for name in ("dev_clean.jsonl", "dev_noisy.jsonl"):
        for line in (Path(__file__).parent / "data" / name).read_text(encoding="utf-8").splitlines():
            texts += [turn["text"] for turn in json.loads(line)["turns"]]
    checked = 0
    for _, pattern in auditor.conduct.patterns:
        chars = required_chars(pattern)
        for text in texts:
            for match in pattern.finditer(text):
                if match.end() > match.start() and chars is not None:
                    checked += 1
                    assert chars & set(match.group()), (pattern.pattern, match.group())
    assert checked > 100


def test_a_pause_ends_a_phrase_but_is_never_quoted(auditor):
    """Whisper's space between phrases ends the agency's name for the pattern; the quote is the words, not the pause."""
    found, audit = statuses(auditor, [("agent", "我厦门鹭信的 闪借那边委托 我姓蔡 这个电话录音的"), ("customer", "嗯"),
                                      *COMPLIANT[2:]])
    institution = next(d for d in audit.disclosures if d.disclosure == "institution")
    assert found["institution"] == "present" and institution.quote.strip() == institution.quote
    assert institution.quote.startswith("我厦门鹭信的")
