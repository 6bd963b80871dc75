"""What the QA loop adds to a call's page: for a 抽检 call, the reviewer's verdict on the whole call (合格 / 不合格
with the categories the machine missed), saved to its hash-chained trail under the signed-in account; for any call,
a form to add a finding the machine missed on an agent's turn or at a time in the audio
(``audit.reviewer_findings``; filed in the review trail, it counts like an upheld finding). Contact-frequency
violations are call-level items, judged with the others."""

import streamlit as st

from app_pages import common
from app_pages.i18n import label, t
from audit import accounts
from audit.errors import AuditError
from audit.models import SEVERITIES
from audit.reviewer_findings import MARKABLE_SPEAKERS, parse_audio_time
from audit.rulepack import CONDUCT_CATEGORIES
from audit.storage import SAMPLE_VERDICTS, StorageError


def show(account: accounts.Account, call_id: str) -> None:
    store = common.store()
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


def add_missed(account: accounts.Account, call_id: str, dialogue) -> None:
    """The form of a finding the machine missed: a turn of the agent's (``dialogue``: ``review.build_dialogue``) or a
    time in the audio (the turn said then, as ``audit review add --at``), its words, category, severity, note."""
    turns = {turn.index: turn for turn in dialogue if turn.speaker in MARKABLE_SPEAKERS}
    if not turns or not accounts.allowed(account, "review"):
        return
    with st.expander(t("qa.add_missed")):
        # outside the form: choosing redraws the form with the turn list or the time field
        where = st.radio(t("qa.missed_where"), ("turn", "time"), horizontal=True, key=f"missed_where::{call_id}",
                         format_func=lambda w: t(f"qa.where_{w}"))
        with st.form(f"missed::{call_id}", clear_on_submit=True):
            if where == "turn":
                turn = st.selectbox(t("qa.missed_turn"), list(turns), key=f"missed_turn::{call_id}",
                                    format_func=lambda i: f"{t('call.turn', turn=i)} · {turns[i].text[:30]}")
            else:
                at_text = st.text_input(t("qa.missed_at"), key=f"missed_at::{call_id}", placeholder="1:23")
            quote = st.text_input(t("qa.missed_quote"), key=f"missed_quote::{call_id}")
            category = st.selectbox(t("qa.missed_category"), list(CONDUCT_CATEGORIES),
                                    key=f"missed_category::{call_id}", format_func=lambda c: label("category", c))
            severity = st.selectbox(t("call.new_severity"), list(SEVERITIES), key=f"missed_severity::{call_id}",
                                    format_func=lambda s: label("severity", s))
            note = st.text_input(t("call.note"), key=f"missed_note::{call_id}")
            if st.form_submit_button(t("call.save"), key=f"missed_save::{call_id}"):
                who = common.current_account()  # asked again: the account may have changed since the page was drawn
                if who is None or not accounts.allowed(who, "review"):
                    st.session_state["call_flash_error"] = t("auth.forbidden")
                    return
                try:
                    place = {"turn": turn} if where == "turn" else {"at_s": parse_audio_time(at_text)}
                    common.store().add_reviewer_finding(call_id, who.label, category, severity, note, quote=quote,
                                                        **place)
                except AuditError as error:
                    st.error(str(error))
                    return
                common.refresh()
                st.session_state["call_flash"] = t("qa.missed_saved")
                st.rerun()
