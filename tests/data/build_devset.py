#!/usr/bin/env python3
"""Build the labelled development set ``dev_clean.jsonl`` from the hand-written material in ``devset_content.py``.

Deterministic: a fixed seed drives every choice, so running it twice gives byte-identical output.

    python tests/data/build_devset.py            # writes tests/data/dev_clean.jsonl
    python tests/data/build_devset.py --check    # validates the existing file only

Disclosure labels are not typed by hand: each agent turn carries tags saying which disclosure phrasing the builder put
into it, and the labels are computed from the tags and the turn positions with the rules in README.md. Violations are
attached by hand to the agent line that contains them (category + exact minimal quote). ``validate()`` then checks the
whole file, including keyword cross-checks of the computed disclosures.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from collections import Counter
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent))
import devset_content as K  # noqa: E402

HERE = Path(__file__).resolve().parent
OUT = HERE / "dev_clean.jsonl"
SEED = 20261103

CRITICAL = ("violence_threat", "intimidation", "impersonation", "false_legal_threat", "third_party_disclosure",
            "privacy_exposure", "unofficial_channel")
MAJOR = ("insult", "harassment", "induce_borrowing", "third_party_collection", "improper_conduct")
CATEGORIES = CRITICAL + MAJOR
DISCLOSURES = ("greeting", "agent_identity", "institution", "right_party_verification", "purpose", "recording_notice",
               "official_channel", "closing")
SIGNALS = ("customer_abuse", "vulnerability", "complaint_intent", "dispute", "promise_to_pay")
SPK = {"a": "agent", "c": "customer", "u": "unknown"}


# ------------------------------------------------------------------------------------------------------------------
# turn helpers
# ------------------------------------------------------------------------------------------------------------------
def turn(spk: str, text: str, tags=(), viol=(), sig=()) -> dict:
    return {"speaker": SPK[spk], "text": text, "tags": set(tags), "viol": list(viol), "sig": list(sig)}


def from_tuple(t: tuple) -> dict:
    """("a", text[, [(cat, quote), ...]]) or ("c"/"u", text, *signals)."""
    spk, text, *extra = t
    if spk == "a":
        viol = extra[0] if extra else []
        return turn("a", text, viol=viol)
    return turn(spk, text, sig=extra)


def fill(turns: list[dict], ctx: dict) -> list[dict]:
    out = []
    for t in turns:
        t = dict(t)
        t["text"] = t["text"].format_map(ctx)
        t["viol"] = [(c, q.format_map(ctx)) for c, q in t["viol"]]
        out.append(t)
    return out


CLOSING_WORDS = ("再见", "拜拜", "打扰了", "打扰您了", "谢谢您", "感谢您")


def autotag(t: dict) -> dict:
    """Keyword tags for hand-written third-party openings and short no-purpose calls (templates are ours)."""
    raw = t["text"]
    if t["speaker"] == "agent":
        if "工号" in raw or "{agent}" in raw or "我姓" in raw or "我叫" in raw:
            t["tags"].add("identity")
        if "{org}" in raw or "{inst}" in raw:
            t["tags"].add("institution")
        if "录音" in raw:
            t["tags"].add("recording")
        if any(w in raw for w in CLOSING_WORDS):
            t["tags"].add("closing")
    return t


# ------------------------------------------------------------------------------------------------------------------
# context
# ------------------------------------------------------------------------------------------------------------------
class Ctx:
    def __init__(self, rng: random.Random):
        self.rng = rng
        self.male = list(K.MALE_NAMES)
        self.female = list(K.FEMALE_NAMES)
        rng.shuffle(self.male)
        rng.shuffle(self.female)
        self.n = 0

    def make(self, gender: str | None = None, agency: bool | None = None) -> dict:
        r = self.rng
        self.n += 1
        if gender is None:
            gender = r.choice("mf")
        pool = self.male if gender == "m" else self.female
        name = pool[self.n % len(pool)]
        inst, short, app, product = r.choice(K.INSTITUTIONS)
        if agency is None:
            agency = r.random() < 0.25
        ag = r.choice(K.AGENCIES)
        org = (f"受{inst}委托的{ag}" if r.random() < 0.6 else f"{inst}委托的{ag}") if agency else inst
        agent = r.choice(K.AGENT_NAMES)
        n = r.choice([r.randint(12, 99) * 100, r.randint(1200, 68000), r.randint(120000, 980000) / 100])
        if isinstance(n, float):
            amount = f"{n:.2f}元"
            base = n
        else:
            amount = f"{n}{r.choice(['元', '元', '块'])}"
            base = n
        return {
            "name": name, "sur": name[0], "title": "先生" if gender == "m" else "女士", "p": "他" if gender == "m" else "她",
            "gender": gender, "inst": inst, "short": short, "app": app, "product": product, "agency": ag, "org": org,
            "agent": agent, "asur": agent[0], "aid": str(r.randint(1000, 98999)), "role": r.choice(K.ROLES),
            "dept": r.choice(K.DEPTS), "amount": amount, "days": str(r.choice([5, 12, 18, 26, 33, 45, 61, 78, 92, 120, 150])),
            "min": str(max(100, int(base * 0.1))), "id4": f"{r.randint(0, 9999):04d}",
        }


# ------------------------------------------------------------------------------------------------------------------
# building blocks
# ------------------------------------------------------------------------------------------------------------------
def greeting(r, hour: int, omit: set) -> tuple[str, set]:
    if "greeting" in omit:
        return r.choice(K.NO_GREET), set()
    pool = K.GREET_MORNING if hour < 12 else K.GREET_AFTERNOON if hour < 18 else K.GREET_EVENING
    return r.choice(pool), {"greeting"}


def who(r, omit: set) -> tuple[str, set]:
    if "identity" in omit and "institution" in omit:
        return "", set()
    if "identity" in omit or "identity_late" in omit:
        return r.choice(K.INST_ONLY), {"institution"}
    if "institution" in omit:
        return r.choice(K.ID_ONLY), {"identity"}
    return r.choice(K.ID_INST), {"identity", "institution"}


def opening(r, ctx: dict, hour: int, omit: set) -> list[dict]:
    """Agent/customer turns up to and including the purpose statement."""
    g, gt = greeting(r, hour, omit)
    w, wt = who(r, omit)
    rec = "" if ({"recording", "recording_late"} & omit) else r.choice(K.RECORDING)
    rect = {"recording"} if rec else set()
    ver = r.choice(K.VERIFY)
    conf = "后四位{id4}，是我本人。" if "身份证" in ver else r.choice(K.CONFIRM)
    purpose_text = r.choice(K.PURPOSE)
    no_verify = bool({"verify", "verify_late"} & omit)
    addr = "{sur}{title}，"
    style = r.choice("ABC")
    no_purpose = "purpose" in omit
    if no_purpose:
        style = "A"
    T = []
    if style == "A" or (style == "B" and no_verify):
        T.append(turn("a", (g + w + rec) or "喂？", gt | wt | rect))
        T.append(turn("c", r.choice(K.SHORT_REPLY)))
        if not no_verify:
            T.append(turn("a", ver, {"verify"}))
            T.append(turn("c", conf))
        if not no_purpose:
            T.append(turn("a", addr + purpose_text, {"purpose"}))
    elif style == "B":
        T.append(turn("a", g + ver, gt | {"verify"}))
        T.append(turn("c", conf))
        T.append(turn("a", addr + w + rec + purpose_text, wt | rect | {"purpose"}))
    else:  # C
        T.append(turn("a", g + w.rstrip("，") + "。", gt | wt) if w else turn("a", g + "打扰一下。", gt))
        T.append(turn("c", r.choice(K.SHORT_REPLY)))
        if not no_verify:
            T.append(turn("a", ver, {"verify"}))
            T.append(turn("c", conf))
            T.append(turn("a", rec + purpose_text, rect | {"purpose"}))
        else:
            T.append(turn("a", rec + addr + purpose_text, rect | {"purpose"}))
    if "verify_late" in omit:
        T.append(turn("c", r.choice(["嗯。", "哦，这个啊。", "啊？我知道。"])))
        T.append(turn("a", r.choice(K.VERIFY_LATE), {"verify"}))
        T.append(turn("c", r.choice(["是我。", "对，是我本人。"])))
    return T


def late_bits(r, omit: set) -> list[dict]:
    out = []
    if "recording_late" in omit:
        out.append(turn("a", r.choice(K.RECORDING_LATE), {"recording"}))
        out.append(turn("c", r.choice(["哦。", "嗯，知道了。", "录就录吧。"])))
    if "identity_late" in omit:
        out.append(turn("a", r.choice(["哦对了，我的工号是{aid}，我姓{asur}。", "忘了说，我是{agent}，工号{aid}。"]),
                        {"identity"}))
        out.append(turn("c", r.choice(["嗯。", "好。"])))
    return out


def ending(r, omit: set, tp: bool = False) -> list[dict]:
    T = []
    if "official_channel" not in omit and not tp:
        if r.random() < 0.25 and "closing" not in omit:
            T.append(turn("a", r.choice(K.CHANNEL) + r.choice(K.CLOSING), {"channel", "closing"}))
            rep = r.choice(K.CLOSING_REPLY)
            if rep:
                T.append(turn("c", rep))
            return T
        T.append(turn("a", r.choice(K.CHANNEL), {"channel"}))
        T.append(turn("c", r.choice(K.CHANNEL_ACK)))
    if "closing" in omit:
        T.append(turn("a", r.choice(K.NO_CLOSING)))
        T.append(turn("c", r.choice(K.NO_CLOSING_REPLY)))
    else:
        T.append(turn("a", r.choice(K.CLOSING), {"closing"}))
        rep = r.choice(K.CLOSING_REPLY)
        if rep:
            T.append(turn("c", rep))
    return T


def violation_exchange(r, snip, first: bool = True) -> list[dict]:
    if len(snip) == 3:  # compound: (pre, line, [(cat, quote), ...])
        pre, line, viols = snip
    else:
        _cat, pre, line, quote, post = snip
        viols = [(_cat, quote)]
    if first:
        T = [turn("c", pre or r.choice(K.EXCUSES))]
    elif pre:
        T = [from_tuple(r.choice(K.FOLLOWUPS)), turn("c", pre)]
    else:
        T = []
    T.append(turn("a", line, viol=viols))
    post = None if len(snip) == 3 else snip[4]
    if post:
        T.append(turn("c", post))
    else:
        rc = r.choice(K.REACTIONS)
        T.append(turn("c", rc[0], sig=rc[1:]))
    return T


# ------------------------------------------------------------------------------------------------------------------
# call builders
# ------------------------------------------------------------------------------------------------------------------
def debtor_call(r, ctx, hour, omit=frozenset(), body=(), hn=None, violations=(), tp=False) -> list[dict]:
    omit = set(omit)
    if "purpose" in omit:
        T = opening(r, ctx, hour, omit)
        pick = r.choice(K.NO_PURPOSE_BODIES)
        T += [autotag(from_tuple(t)) for t in pick]
        return fill(T, ctx)
    T = opening(r, ctx, hour, omit)
    chunks: list[list[dict]] = []
    if hn is not None:
        chunks.append([from_tuple(t) for t in hn])
    for i, snip in enumerate(violations):
        ex = violation_exchange(r, snip, first=(i == 0))
        if i == len(violations) - 1:
            ex.append(from_tuple(r.choice(K.FOLLOWUPS)))
            ex.append(from_tuple(r.choice(K.FOLLOWUP_REPLIES)))
        chunks.append(ex)
    if body:
        chunks.append([from_tuple(t) for t in body])
    for ch in chunks:
        T = join(T, ch)
    T = join(T, late_bits(r, omit))  # late recording/identity come after the third agent turn
    T = join(T, ending(r, omit))
    unknownify(r, T)
    return fill(T, ctx)


BRIDGES = ["那咱们说回还款的事，您看怎么安排？", "那您这边打算什么时候处理呢？", "好的，那还款这块您有什么想法？",
           "嗯，那这笔钱您准备怎么处理？", "明白，那我们看一下还款的安排吧。"]


def join(T: list[dict], nxt: list[dict]) -> list[dict]:
    """Concatenate, avoiding two customer turns in a row (bridge line) and two agent turns in a row (merge)."""
    T = list(T)
    for t in nxt:
        if T and T[-1]["speaker"] == "customer" and t["speaker"] == "customer":
            T.append(turn("a", BRIDGES[len(T) % len(BRIDGES)]))
        if T and T[-1]["speaker"] == "agent" and t["speaker"] == "agent":
            prev = T.pop()
            t = {"speaker": "agent", "text": prev["text"] + t["text"], "tags": prev["tags"] | t["tags"],
                 "viol": prev["viol"] + t["viol"], "sig": []}
        T.append(t)
    return T


def unknownify(r, T: list[dict]) -> None:
    """In a few calls the diariser could not tell who said a short customer line."""
    if r.random() < 0.08:
        cands = [i for i, t in enumerate(T) if t["speaker"] == "customer" and not t["sig"] and len(t["text"]) <= 8]
        if cands:
            T[r.choice(cands)]["speaker"] = "unknown"


def tp_call(r, ctx, hour, turns_after, omit=frozenset(), add_closing=None) -> list[dict]:
    g, gt = greeting(r, hour, set(omit))
    T = [turn("a", g + r.choice(["请问是{name}{title}吗？", "请问{name}在吗？我找{name}{title}。", "请问这是{name}的电话吗？",
                                 "请问您是{name}{title}本人吗？"]), gt | {"verify"})]
    T += [autotag(from_tuple(t)) for t in turns_after]
    if add_closing is True:
        T.append(turn("a", r.choice(["好的，那就先这样，打扰了，再见。", "行，那您让{p}尽快联系我们，再见。", "好，谢谢您，再见。"]),
                      {"closing"}))
    elif add_closing is False:
        T.append(turn("a", r.choice(["你让{p}赶紧回电话。", "就这样，你跟{p}说。", "你转告{p}，别拖了。"])))
    return fill(T, ctx)


# ------------------------------------------------------------------------------------------------------------------
# labels
# ------------------------------------------------------------------------------------------------------------------
def local_hour_minute(started_at: str, tz: str) -> tuple[int, int]:
    t = datetime.fromisoformat(started_at).astimezone(ZoneInfo(tz))
    return t.hour, t.minute


def call_time_violation(started_at: str, tz: str) -> bool:
    h, _m = local_hour_minute(started_at, tz)
    return h >= 22 or h < 8


def labels_for(turns: list[dict], ctx: dict, third_party: bool, started_at: str, tz: str) -> dict:
    agent_idx = [i for i, t in enumerate(turns) if t["speaker"] == "agent"]
    first3 = agent_idx[:3]
    last2 = agent_idx[-2:]

    def has(tag, idxs):
        return any(tag in turns[i]["tags"] for i in idxs)

    debt_words = ("欠", "逾期", ctx["amount"])
    debt_turns = [i for i in agent_idx if any(w in turns[i]["text"] for w in debt_words)]
    verify_turns = [i for i in agent_idx if "verify" in turns[i]["tags"]]
    if not verify_turns:
        rpv = False
    else:
        rpv = not debt_turns or verify_turns[0] < debt_turns[0]
    repay = any(("purpose" in turns[i]["tags"]) for i in agent_idx)
    disclosures = {
        "greeting": "greeting" in turns[agent_idx[0]]["tags"],
        "agent_identity": has("identity", first3),
        "institution": has("institution", first3),
        "right_party_verification": rpv,
        "purpose": True if third_party else has("purpose", agent_idx),
        "recording_notice": has("recording", first3),
        "official_channel": True if (third_party or not repay) else has("channel", agent_idx),
        "closing": has("closing", last2),
    }
    violations = []
    for i, t in enumerate(turns):
        for cat, quote in t["viol"]:
            violations.append({"category": K.LABELLED_AS.get(quote, cat), "turn": i, "quote": quote})
    sig = []
    for t in turns:
        for s in t["sig"]:
            if s not in sig:
                sig.append(s)
    ctv = call_time_violation(started_at, tz)
    critical = ctv or any(v["category"] in CRITICAL for v in violations)
    return {"violations": violations, "disclosures": disclosures, "customer_signals": sig,
            "call_time_violation": ctv, "critical": critical}


# ------------------------------------------------------------------------------------------------------------------
# plan
# ------------------------------------------------------------------------------------------------------------------
SPECIAL_TIMES = [  # (started_at, debtor_tz)   local time in the comment
    ("2026-11-05T21:59:00+08:00", "Asia/Shanghai"),  # 21:59 ok
    ("2026-11-05T22:00:00+08:00", "Asia/Shanghai"),  # 22:00 violation
    ("2026-11-06T07:59:00+08:00", "Asia/Shanghai"),  # 07:59 violation
    ("2026-11-06T08:00:00+08:00", "Asia/Shanghai"),  # 08:00 ok
    ("2026-11-09T22:40:00+08:00", "Asia/Shanghai"),  # 22:40 violation
    ("2026-11-10T06:45:00+08:00", "Asia/Shanghai"),  # 06:45 violation
    ("2026-11-11T09:30:00+08:00", "Asia/Urumqi"),  # 07:30 local violation (Beijing time looks fine)
    ("2026-11-11T23:30:00+08:00", "Asia/Urumqi"),  # 21:30 local ok (Beijing time looks late)
    ("2026-11-12T21:30:00+08:00", "Asia/Tokyo"),  # 22:30 local violation
    ("2026-11-12T23:00:00+08:00", "Europe/London"),  # 15:00 local ok
    ("2026-11-13T10:00:00+08:00", "America/New_York"),  # 21:00 previous day ok
    ("2026-11-13T12:00:00+08:00", "America/New_York"),  # 23:00 previous day violation
    ("2026-11-16T05:30:00+08:00", "Australia/Sydney"),  # 08:30 local ok (Beijing time looks early)
    ("2026-11-16T14:30:00+08:00", "America/Los_Angeles"),  # 22:30 previous day violation
    ("2026-11-17T00:15:00+08:00", "Asia/Hong_Kong"),  # 00:15 violation
]

MISSING_PLAN = [
    {"greeting"}, {"greeting"}, {"greeting", "closing"}, {"greeting"},
    {"identity"}, {"identity"}, {"identity", "recording"}, {"identity_late"},
    {"institution"}, {"institution"}, {"institution", "official_channel"}, {"institution"},
    {"verify"}, {"verify"}, {"verify_late"}, {"verify_late"}, {"verify", "recording"},
    {"purpose"}, {"purpose"}, {"purpose"}, {"purpose"},
    {"recording"}, {"recording"}, {"recording_late"}, {"recording_late"},
    {"official_channel"}, {"official_channel"}, {"official_channel", "closing"},
    {"closing"}, {"closing"}, {"closing"}, {"identity", "institution"},
]


def random_start(r: random.Random) -> tuple[str, str]:
    day = r.choice([2, 3, 4, 5, 6, 9, 10, 11, 12, 13, 16, 17, 18, 19, 20, 23, 24, 25, 26, 27])
    minute = r.randint(9 * 60, 20 * 60 + 30)
    return f"2026-11-{day:02d}T{minute // 60:02d}:{minute % 60:02d}:00+08:00", "Asia/Shanghai"


def build() -> list[dict]:
    r = random.Random(SEED)
    cx = Ctx(r)
    plan: list[tuple] = []  # (kind, payload)
    bodies = list(range(len(K.BODIES)))
    for i in range(30):
        plan.append(("compliant", {"body": K.BODIES[bodies[i % len(bodies)]]}))
    for om in MISSING_PLAN:
        plan.append(("missing", {"omit": om, "body": r.choice(K.BODIES)}))
    for hn in K.HARD_NEG:
        plan.append(("hard_negative", {"hn": hn, "body": r.choice(K.BODIES) if r.random() < 0.4 else ()}))
    for tpc in K.TP_COMPLIANT:
        plan.append(("tp_compliant", {"turns": tpc}))
    for g, tpv in K.TP_VIOLATIONS:
        plan.append(("tp_violation", {"turns": tpv, "gender": g}))
    snippets = [(cat, *s) for cat, lst in K.VIOLATIONS.items() for s in lst]
    r.shuffle(snippets)
    compound = list(K.COMPOUND)
    groups: list[list] = []
    while snippets:
        a = snippets.pop()
        grp = [a]
        if snippets and r.random() < 0.35:
            for j in range(len(snippets) - 1, -1, -1):
                if snippets[j][0] != a[0]:
                    grp.append(snippets.pop(j))
                    break
        groups.append(grp)
    for c in compound:
        groups.append([c])
    for grp in groups:
        om = set()
        x = r.random()
        if x < 0.05:
            om = {"greeting"}
        elif x < 0.10:
            om = {"recording"}
        elif x < 0.16:
            om = {"identity"}
        elif x < 0.22:
            om = {"verify"}
        if r.random() < 0.3:
            om.add("closing")
        if any(s[0] == "unofficial_channel" for s in grp if len(s) == 5) and r.random() < 0.7:
            om.add("official_channel")
        elif r.random() < 0.12:
            om.add("official_channel")
        plan.append(("violation", {"viol": grp, "omit": om, "body": r.choice(K.BODIES) if r.random() < 0.2 / len(grp) else ()}))

    # special call times go to a spread of kinds
    kinds_for_time = ["compliant", "violation", "hard_negative", "compliant", "violation", "missing", "compliant",
                      "violation", "hard_negative", "violation", "compliant", "tp_compliant", "violation", "compliant",
                      "hard_negative"]
    times: dict[int, tuple[str, str]] = {}
    seen: Counter = Counter()
    for st, kind in zip(SPECIAL_TIMES, kinds_for_time):
        cands = [idx for idx, (k, _p) in enumerate(plan) if k == kind]
        times[cands[(seen[kind] * 5 + 2) % len(cands)]] = st
        seen[kind] += 1

    calls = []
    for idx, (kind, p) in enumerate(plan):
        started_at, tz = times.get(idx) or random_start(r)
        hour, _ = local_hour_minute(started_at, tz)
        third_party = kind.startswith("tp_")
        ctx = cx.make(gender=p.get("gender") or gender_needed(p))
        if kind == "compliant":
            turns = debtor_call(r, ctx, hour, body=p["body"])
        elif kind == "missing":
            turns = debtor_call(r, ctx, hour, omit=p["omit"], body=p["body"])
        elif kind == "hard_negative":
            turns = debtor_call(r, ctx, hour, hn=p["hn"], body=p["body"])
        elif kind == "violation":
            turns = debtor_call(r, ctx, hour, omit=p["omit"], violations=p["viol"], body=p["body"])
        elif kind == "tp_compliant":
            turns = tp_call(r, ctx, hour, p["turns"])
        else:
            turns = tp_call(r, ctx, hour, p["turns"], add_closing=r.random() < 0.5)
        labels = labels_for(turns, ctx, third_party, started_at, tz)
        calls.append({"kind": kind, "ctx": ctx, "started_at": started_at, "debtor_tz": tz, "turns": turns,
                      "labels": labels, "third_party": third_party})

    order = list(range(len(calls)))
    r.shuffle(order)
    out = []
    for n, i in enumerate(order, 1):
        c = calls[i]
        out.append({
            "call_id": f"dev_{n:03d}",
            "agent_id": f"A{1001 + (hash_str(c['ctx']['agent']) % 40)}",
            "started_at": c["started_at"],
            "debtor_tz": c["debtor_tz"],
            "turns": [{"speaker": t["speaker"], "text": t["text"]} for t in c["turns"]],
            "labels": c["labels"],
            "_kind": c["kind"],
            "_ctx": c["ctx"],
        })
    return out


def gender_needed(p: dict) -> str | None:
    """Some lines only make sense for a male / female debtor (你老婆, 你老公, 女人就是…)."""
    texts = [str(x) for x in (p.get("hn") or [])] + [str(x) for x in (p.get("viol") or [])] + \
        [str(x) for x in (p.get("body") or [])]
    blob = "".join(texts)
    m = any(w in blob for w in ("老婆", "大男人"))
    f = any(w in blob for w in ("老公", "女人", "漂亮"))
    if m and f:
        raise ValueError(f"gender conflict in {blob}")
    return "m" if m else "f" if f else None


def hash_str(s: str) -> int:
    return sum(ord(ch) * (i + 1) for i, ch in enumerate(s))


# ------------------------------------------------------------------------------------------------------------------
# validation
# ------------------------------------------------------------------------------------------------------------------
GREET_WORDS = ("您好", "你好", "早上好", "上午好", "下午好", "晚上好")
CLOSE_WORDS = ("再见", "拜拜", "祝您", "打扰了", "打扰您了", "感谢您", "谢谢您", "谢谢")


def validate(calls: list[dict], strict_kw: bool = True) -> list[str]:
    errs = []
    ids = set()
    for c in calls:
        cid = c["call_id"]
        if cid in ids:
            errs.append(f"{cid}: duplicate id")
        ids.add(cid)
        turns, lab = c["turns"], c["labels"]
        for t in turns:
            if t["speaker"] not in ("agent", "customer", "unknown"):
                errs.append(f"{cid}: bad speaker")
            if "{" in t["text"] or "}" in t["text"]:
                errs.append(f"{cid}: unfilled placeholder {t['text']}")
        if set(lab) != {"violations", "disclosures", "customer_signals", "call_time_violation", "critical"}:
            errs.append(f"{cid}: label keys")
        for v in lab["violations"]:
            if v["category"] not in CATEGORIES:
                errs.append(f"{cid}: bad category {v['category']}")
            t = turns[v["turn"]]
            if t["speaker"] != "agent":
                errs.append(f"{cid}: violation on non-agent turn {v['turn']}")
            if not v["quote"] or v["quote"] not in t["text"]:
                errs.append(f"{cid}: quote not in turn {v['turn']}: {v['quote']!r}")
        if tuple(lab["disclosures"]) != DISCLOSURES or not all(isinstance(x, bool) for x in lab["disclosures"].values()):
            errs.append(f"{cid}: disclosures keys/types")
        for s in lab["customer_signals"]:
            if s not in SIGNALS:
                errs.append(f"{cid}: bad signal {s}")
        ctv = call_time_violation(c["started_at"], c["debtor_tz"])
        if ctv != lab["call_time_violation"]:
            errs.append(f"{cid}: call_time_violation mismatch")
        crit = ctv or any(v["category"] in CRITICAL for v in lab["violations"])
        if crit != lab["critical"]:
            errs.append(f"{cid}: critical mismatch")
        if not strict_kw:
            continue
        # keyword cross-checks of the computed disclosures (catch builder mistakes)
        agent = [t["text"] for t in turns if t["speaker"] == "agent"]
        d = lab["disclosures"]
        if d["greeting"] != any(w in agent[0] for w in GREET_WORDS):
            errs.append(f"{cid}: greeting label vs text: {agent[0]}")
        if d["recording_notice"] != any("录音" in a for a in agent[:3]):
            errs.append(f"{cid}: recording label vs text")
        if d["closing"] != any(any(w in a for w in CLOSE_WORDS) for a in agent[-2:]):
            errs.append(f"{cid}: closing label vs text: {agent[-2:]}")
        ctx = c.get("_ctx")
        if ctx:
            idk = any(("工号" in a or ctx["agent"] in a or f"我姓{ctx['asur']}" in a) for a in agent[:3])
            if d["agent_identity"] != idk:
                errs.append(f"{cid}: identity label vs text")
            ink = any((ctx["inst"] in a or ctx["agency"] in a) for a in agent[:3])
            if d["institution"] != ink:
                errs.append(f"{cid}: institution label vs text")
        if c.get("_kind") not in ("tp_compliant", "tp_violation"):
            agent_p = [a.replace("还款专员", "").replace("还款服务中心", "") for a in agent]
            if d["purpose"] != any(("逾期" in a or "还款" in a) for a in agent_p):
                errs.append(f"{cid}: purpose label vs text")
    return errs


def summary(calls: list[dict]) -> str:
    cat = Counter(v["category"] for c in calls for v in c["labels"]["violations"])
    calls_with = Counter(cat_ for c in calls for cat_ in {v["category"] for v in c["labels"]["violations"]})
    miss = Counter(k for c in calls for k, v in c["labels"]["disclosures"].items() if not v)
    sig = Counter(s for c in calls for s in c["labels"]["customer_signals"])
    kinds = Counter(c.get("_kind") for c in calls)
    lines = [f"calls: {len(calls)}", f"kinds: {dict(kinds)}"]
    lines.append("violations (labels / calls): " + ", ".join(f"{k}={cat[k]}/{calls_with[k]}" for k in CATEGORIES))
    lines.append("missing disclosures (calls): " + ", ".join(f"{k}={miss[k]}" for k in DISCLOSURES))
    lines.append("signals (calls): " + ", ".join(f"{k}={sig[k]}" for k in SIGNALS))
    no_v = sum(1 for c in calls if not c["labels"]["violations"])
    full = sum(1 for c in calls if not c["labels"]["violations"] and all(c["labels"]["disclosures"].values())
               and not c["labels"]["call_time_violation"])
    lines.append(f"calls without violations: {no_v}; fully compliant (no violation, all disclosures, time ok): {full}")
    lines.append(f"call_time_violation: {sum(c['labels']['call_time_violation'] for c in calls)}; "
                 f"non-Shanghai tz: {sum(c['debtor_tz'] != 'Asia/Shanghai' for c in calls)}; "
                 f"critical: {sum(c['labels']['critical'] for c in calls)}")
    lines.append(f"calls with an unknown-speaker turn: {sum(any(t['speaker'] == 'unknown' for t in c['turns']) for c in calls)}")
    return "\n".join(lines)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--check", action="store_true", help="validate the existing dev_clean.jsonl only")
    args = ap.parse_args()
    if args.check:
        calls = [json.loads(line) for line in OUT.read_text(encoding="utf-8").splitlines()]
        errs = validate(calls, strict_kw=False)
    else:
        calls = build()
        errs = validate(calls)
        public = [{k: v for k, v in c.items() if not k.startswith("_")} for c in calls]
        OUT.write_text("".join(json.dumps(c, ensure_ascii=False) + "\n" for c in public), encoding="utf-8")
        # sidecar with each call's construction kind (handy when slicing results; not part of the format)
        (HERE / "dev_clean.kinds.json").write_text(
            json.dumps({c["call_id"]: c["_kind"] for c in calls}, ensure_ascii=False, indent=0) + "\n", encoding="utf-8")
    print(summary(calls if args.check else calls))
    for e in errs:
        print("ERROR", e)
    return 1 if errs else 0


if __name__ == "__main__":
    sys.exit(main())
