#!/usr/bin/env python3
"""Make ``dev_noisy.jsonl``: every call of ``dev_clean.jsonl`` with deterministic ASR-style errors.

    python tests/data/make_noisy.py      # needs opencc (pip install opencc-python-reimplemented or opencc)

Per call (seeded from SEED and the call_id, so the output is stable):

* homophone / near-homophone substitutions of key words, the way Whisper mishears them (table ``HOMOPHONES``; each
  replacement has the same toneless pinyin as the original or differs by one initial/final, checked with pypinyin
  when it is installed);
* punctuation (，。？！、) removed from most turns of a call;
* about a quarter of the calls converted to Traditional characters (OpenCC s2t);
* now and then one character dropped or doubled.

Every edit is done on a character-aligned representation of the turn (each original character maps to the string it
became), so a label quote is transformed exactly like the text it was cut from and stays an exact substring of the
noisy turn. A substitution that would straddle a quote boundary is skipped, and a character drop never empties a
quote. Labels are copied unchanged apart from the quotes; call_id gets the suffix ``_noisy``.
"""

from __future__ import annotations

import json
import random
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
SRC = HERE / "dev_clean.jsonl"
OUT = HERE / "dev_noisy.jsonl"
SEED = 7781

HOMOPHONES: dict[str, list[str]] = {
    "逾期": ["于期", "於七", "余期", "鱼期"],
    "录音": ["路音", "录因", "陆音"],
    "工号": ["公号", "攻号"],
    "催收": ["催手", "摧收"],
    "欠款": ["欠宽", "欠欵"],
    "还款": ["换款", "还宽"],
    "本人": ["本任", "本仁"],
    "法院": ["发院", "法援"],
    "起诉": ["起素", "起速"],
    "征信": ["正信", "政信"],
    "核实": ["合适", "和实"],
    "委托": ["委拖", "为托"],
    "罚息": ["发息", "罚惜"],
    "利息": ["利席", "力息"],
    "拘留": ["居留", "拘流"],
    "坐牢": ["做牢", "座牢"],
    "律师": ["绿师", "律诗"],
    "公安": ["工安", "公按"],
    "派出所": ["派出锁"],
    "通讯录": ["通讯路", "通信录"],
    "朋友圈": ["朋友全", "朋友权"],
    "曝光": ["暴光"],
    "老赖": ["老来", "劳赖"],
    "不要脸": ["不要连"],
    "上门": ["尚门"],
    "收拾": ["收十"],
    "高利贷": ["高利待", "高力贷"],
    "套现": ["淘现"],
    "支付宝": ["支付包"],
    "微信": ["威信", "微心"],
    "手续费": ["手续非", "首续费"],
    "加急费": ["家急费"],
    "账户": ["帐户", "账护"],
    "官方": ["关方", "管方"],
    "立案": ["例案", "立安"],
    "通缉": ["通辑", "通级"],
    "黑名单": ["黑明单"],
    "投诉": ["头诉", "投素"],
    "报警": ["抱警", "报井"],
    "不想活了": ["不想火了", "不像活了"],
    "分期": ["分七"],
    "协商": ["斜商"],
    "骗子": ["片子"],
    "废物": ["费物"],
    "再见": ["在见"],
    "威胁": ["危胁", "威协"],
}
HOMOPHONES = {k: v for k, v in HOMOPHONES.items() if v}
KEYS = sorted(HOMOPHONES, key=len, reverse=True)
PUNCT = set("，。？！、")


def pinyin_check() -> list[str]:
    """Report table entries whose toneless pinyin differs from the original by more than one syllable."""
    try:
        from pypinyin import lazy_pinyin
    except ImportError:
        return []
    bad = []
    for k, alts in HOMOPHONES.items():
        pk = lazy_pinyin(k)
        for a in alts:
            pa = lazy_pinyin(a)
            if len(pa) != len(pk) or sum(x != y for x, y in zip(pk, pa)) > 1:
                bad.append(f"{k}->{a}: {pk} vs {pa}")
    return bad


class Aligned:
    """A turn as a list of (original_char_index_range, output_string) pieces."""

    def __init__(self, text: str):
        self.pieces: list[list] = [[i, i + 1, ch] for i, ch in enumerate(text)]

    def text(self) -> str:
        return "".join(p[2] for p in self.pieces)

    def span(self, start: int, end: int) -> str:
        return "".join(p[2] for p in self.pieces if p[0] >= start and p[1] <= end)


def noisy_turn(text: str, spans: list[tuple[int, int]], rng: random.Random, strip_punct: bool,
               sub_p: float, edit_p: float) -> Aligned:
    al = Aligned(text)
    # 1) homophone substitutions on the original text (non-overlapping, left to right)
    i = 0
    out = []
    while i < len(text):
        hit = next((k for k in KEYS if text.startswith(k, i)), None)
        if hit:
            j = i + len(hit)
            straddles = any((s < j and e > i) and not (s <= i and j <= e) for s, e in spans)
            if not straddles and rng.random() < sub_p:
                out.append([i, j, rng.choice(HOMOPHONES[hit])])
            else:
                out.extend([k_, k_ + 1, text[k_]] for k_ in range(i, j))
            i = j
        else:
            out.append([i, i + 1, text[i]])
            i += 1
    al.pieces = out
    # 2) punctuation loss
    if strip_punct:
        for p in al.pieces:
            if p[2] in PUNCT:
                p[2] = ""
    # 3) an occasional dropped or doubled character (single-character pieces only)
    if rng.random() < edit_p:
        cands = [n for n, p in enumerate(al.pieces) if p[1] - p[0] == 1 and len(p[2]) == 1 and p[2] not in PUNCT
                 and "\u4e00" <= p[2] <= "\u9fff"]
        if cands:
            n = rng.choice(cands)
            p = al.pieces[n]
            if rng.random() < 0.5:
                # drop, but never empty a quote
                old = p[2]
                p[2] = ""
                if any(s <= p[0] and p[1] <= e and not al.span(s, e) for s, e in spans):
                    p[2] = old
            else:
                p[2] = p[2] * 2
    return al


def to_traditional(al: Aligned, conv) -> None:
    joined = al.text()
    conv_text = conv.convert(joined)
    if len(conv_text) == len(joined):
        pos = 0
        for p in al.pieces:
            n = len(p[2])
            p[2] = conv_text[pos:pos + n]
            pos += n
    else:  # phrase conversion changed the length: fall back to piece-by-piece
        for p in al.pieces:
            p[2] = conv.convert(p[2]) if p[2] else p[2]


def make(calls: list[dict]) -> list[dict]:
    import opencc

    conv = opencc.OpenCC("s2t")
    out = []
    for c in calls:
        rng = random.Random(f"{SEED}:{c['call_id']}")
        trad = rng.random() < 0.25
        punct_rate = rng.choice([0.0, 0.5, 0.8, 1.0, 1.0])
        sub_p = rng.choice([0.4, 0.6, 0.8])
        edit_p = rng.choice([0.05, 0.1, 0.2])
        turns = []
        new_quotes: dict[int, str] = {}
        vio = c["labels"]["violations"]
        for ti, t in enumerate(c["turns"]):
            spans = []
            for vi, v in enumerate(vio):
                if v["turn"] == ti:
                    s = t["text"].find(v["quote"])
                    spans.append((s, s + len(v["quote"]), vi))
            al = noisy_turn(t["text"], [(s, e) for s, e, _ in spans], rng, rng.random() < punct_rate, sub_p, edit_p)
            if trad:
                to_traditional(al, conv)
            txt = al.text()
            for s, e, vi in spans:
                new_quotes[vi] = al.span(s, e)
            turns.append({"speaker": t["speaker"], "text": txt})
        labels = json.loads(json.dumps(c["labels"]))
        for vi, v in enumerate(labels["violations"]):
            v["quote"] = new_quotes[vi]
        nc = dict(c)
        nc["call_id"] = c["call_id"] + "_noisy"
        nc["turns"] = turns
        nc["labels"] = labels
        out.append(nc)
    return out


def validate(clean: list[dict], noisy: list[dict]) -> list[str]:
    errs = []
    if len(clean) != len(noisy):
        errs.append("count mismatch")
    for c, n in zip(clean, noisy):
        if n["call_id"] != c["call_id"] + "_noisy" or len(n["turns"]) != len(c["turns"]):
            errs.append(f"{n['call_id']}: id/turns")
        for a, b in zip(c["turns"], n["turns"]):
            if a["speaker"] != b["speaker"]:
                errs.append(f"{n['call_id']}: speaker changed")
        for k in ("disclosures", "customer_signals", "call_time_violation", "critical"):
            if c["labels"][k] != n["labels"][k]:
                errs.append(f"{n['call_id']}: {k} changed")
        for vc, vn in zip(c["labels"]["violations"], n["labels"]["violations"]):
            if (vc["category"], vc["turn"]) != (vn["category"], vn["turn"]):
                errs.append(f"{n['call_id']}: violation changed")
            if not vn["quote"] or vn["quote"] not in n["turns"][vn["turn"]]["text"]:
                errs.append(f"{n['call_id']}: quote {vn['quote']!r} not in noisy turn")
    return errs


def main() -> int:
    clean = [json.loads(line) for line in SRC.read_text(encoding="utf-8").splitlines()]
    noisy = make(clean)
    errs = validate(clean, noisy) + [f"pinyin: {b}" for b in pinyin_check()]
    OUT.write_text("".join(json.dumps(c, ensure_ascii=False) + "\n" for c in noisy), encoding="utf-8")
    changed = sum(a["text"] != b["text"] for c, n in zip(clean, noisy) for a, b in zip(c["turns"], n["turns"]))
    total = sum(len(c["turns"]) for c in clean)
    qchanged = sum(a["quote"] != b["quote"] for c, n in zip(clean, noisy)
                   for a, b in zip(c["labels"]["violations"], n["labels"]["violations"]))
    print(f"noisy calls: {len(noisy)}; turns changed: {changed}/{total}; quotes changed: {qchanged}")
    for e in errs:
        print("ERROR", e)
    return 1 if errs else 0


if __name__ == "__main__":
    sys.exit(main())
