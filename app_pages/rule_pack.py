"""规则库 Rule pack: categories, rules, terms and legal basis of the loaded profile, with its version; and a box to
try a sentence: what fires, through which term or pattern, and how the sentence was read."""

import streamlit as st

from app_pages import common
from app_pages.i18n import column, label, lang, t
from audit.reviewapp.rule_pack import rule_pack_tables, try_sentence

common.signed_in("rule_pack")
st.title(t("rules.title"))
auditor = common.auditor()
pack = auditor.pack
tables = rule_pack_tables(pack)
st.caption(t("rules.version", profile=pack.profile, version=pack.version, rules=len(pack.conduct_rules)))
if auditor.reader:
    st.caption(t("rules.reader", version=auditor.reader.version))

st.subheader(t("rules.try"))
left, right = st.columns([4, 1])
text = left.text_input(t("rules.try_text"), placeholder=t("rules.try_placeholder"), key="rules_try_text")
speaker = right.radio(t("rules.try_speaker"), ["agent", "customer", "unknown"], key="rules_try_speaker",
                      format_func=lambda s: label("speaker", s))
if text.strip():
    trial = try_sentence(auditor, text, speaker)
    if trial.homophones:
        st.caption(t("rules.reading", reading=trial.reading) + "  (" +
                   "，".join(f"{heard}→{term}" for heard, term in trial.homophones) + ")")
    if trial.findings:
        st.dataframe([{t("filter.category"): label("category", f["category"]),
                       t("filter.severity"): label("severity", f["severity"]), t("call.rule"): f["rule_id"],
                       # a pattern's hit is named by its rule, not by the regular expression behind it
                       "「」": f["quote"], t("rules.matched"): f["matched"] if f["match_kind"] == "term" else "",
                       t("rules.kind"): label("match_kind", f["match_kind"])
                       + (f" {f['score']:.2f}" if f["score"] is not None else "")
                       + (f"（{t('call.via_homophone')}）" if f["pinyin_match"] else ""),
                       t("call.why"): common.rule_text(f["rule_id"], f["explanation"]),
                       t("call.basis"): "；".join(f["legal_basis"])} for f in trial.findings],
                     hide_index=True, key="rules_try_findings")
    else:
        st.success(t("rules.nothing"))
    if trial.signals:
        st.dataframe([{t("call.signals"): label("signal", s["signal"]), "「」": s["quote"]}
                      for s in trial.signals], hide_index=True,
                     key="rules_try_signals")



def shown(rows: list[dict]) -> list[dict]:
    """Rows with headers, codes and descriptions in the reader's language (the other language's description goes)."""
    out = []
    for row in rows:
        row = dict(row)
        if "rule_id" in row:
            row["description"] = common.rule_text(row["rule_id"], row.get("description", ""))
        elif "description_zh" in row:
            row["description"] = row.pop("description_zh") if lang() == "zh" else row["description"]
        row.pop("description_zh", None)
        out.append({column(key): value for key, value in row.items()})
    return out


categories_tab, rules_tab, disclosures_tab, signals_tab = st.tabs(
    [t("rules.categories"), t("rules.rules"), t("rules.disclosures"), t("rules.signals")])
with categories_tab:
    st.dataframe(shown([{**row, "category": label("category", row["category"]),
                         "severity": label("severity", row["severity"])} for row in tables["categories"]]),
                 hide_index=True, key="rules_categories")
with rules_tab:
    category = st.selectbox(t("rules.filter_category"), [None, *pack.categories],
                            format_func=lambda c: t("status.all") if c is None else label("category", c),
                            key="rules_category")
    st.dataframe(shown([{**row, "category": label("category", row["category"]),
                         "severity": label("severity", row["severity"])}
                        for row in tables["rules"] if category is None or row["category"] == category]),
                 hide_index=True, key="rules_rules")
with disclosures_tab:
    st.dataframe(shown([{**row, "disclosure": label("disclosure", row["disclosure"])}
                        for row in tables["disclosures"]]), hide_index=True, key="rules_disclosures")
with signals_tab:
    st.dataframe(shown([{**row, "signal": label("signal", row["signal"])} for row in tables["signals"]]),
                 hide_index=True, key="rules_signals")
