"""What the QA loop adds to a call's page: for a 抽检 call, the reviewer's verdict on the whole call (合格 / 不合格
with the categories the machine missed), saved to its hash-chained trail under the signed-in account; for any call,
the contact-frequency violations (dial logs) it is involved in."""

import streamlit as st

from app_pages import common
from app_pages.i18n import label, t
from audit import accounts
from audit.rulepack import CONDUCT_CATEGORIES
from audit.storage import SAMPLE_VERDICTS, StorageError


def show(account: accounts.Account, call_id: str) -> None:
    store = common.store()
    for v in store.contact_violations(call_id=call_id):
        st.warning(t("qa.contact_violation", rule=v["rule_id"], day=v["day"], counted=v["counted"],
                     limit=v["max_contacts"], why=v["explanation"]))
    status = store.sample_status(call_id)
    if status is None:
        return
    with st.container(border=True):
        st.markdown(t("qa.sampled", draw=status["draw_id"], reason=label("sample_reason", status["reason"])))
        if status["verdict"]:
            missed = "、".join(label("category", c) for c in status["missed"]) or "–"
            st.caption(t("qa.sample_verdict_given", verdict=label("sample_verdict", status["verdict"]),
                         reviewer=status["reviewer"], missed=missed))
        if not accounts.allowed(account, "review"):
            return
        left, right = st.columns([1, 3])
        verdict = left.radio(t("qa.whole_call"), list(SAMPLE_VERDICTS), horizontal=True,
                             format_func=lambda v: label("sample_verdict", v), key=f"sample_verdict::{call_id}")
        missed = right.multiselect(t("qa.missed"), list(CONDUCT_CATEGORIES), disabled=verdict == "pass",
                                   format_func=lambda c: label("category", c), key=f"sample_missed::{call_id}")
        note = st.text_input(t("call.note"), key=f"sample_note::{call_id}")
        if st.button(t("qa.save_verdict"), key=f"sample_save::{call_id}", type="primary"):
            try:
                store.add_sample_verdict(call_id, account.label, verdict, missed if verdict == "fail" else (), note)
            except StorageError as error:
                st.error(str(error))
                return
            common.refresh()
            st.session_state["call_flash"] = t("qa.verdict_saved")
            st.rerun()
