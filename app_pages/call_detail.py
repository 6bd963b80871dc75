"""通话详情 Call detail: the recording, the dialogue with every finding marked where it was said, each finding's
evidence with 「播放」 (the player jumps to it) and the reviewer's verdict, saved to the trail at once; then the
disclosure checklist, call-quality measures, customer signals, the score breakdown and this call's review trail.

Every verdict is filed under the signed-in account (``Account.label``), and only the verdicts its role may file are
offered (a team lead: an agent's appeal). A team lead cannot open another team's call, however it was asked for (the
link's ?call_id=, the session state, the box): the check is made where the call is loaded, before any of it is
drawn."""

import html
from pathlib import Path

import streamlit as st

from app_pages import common, player, qa_panel
from app_pages.i18n import label, measure_limits, measure_value, reason, t
from audit import accounts, display, review_policy
from audit.models import SEVERITIES
from audit.reviewapp.access import verdicts_for
from audit.reviewapp.call_view import build_dialogue, clock, disclosure_checklist, latest_review, player_start
from audit.reviewapp.timeline import build_timeline
from audit.storage import StorageError

account = common.signed_in()
st.title(t("call.title"))
location = common.db_location()

# The call comes from the link (?call_id=...) or the queue; typing another id switches to it.
wanted = st.query_params.get("call_id") or st.session_state.get("call_id") or ""
if wanted and st.session_state.get("call_pick_from") != wanted:
    st.session_state["call_pick"] = wanted
    st.session_state["call_pick_from"] = wanted
call_id = st.text_input(t("call.pick"), key="call_pick").strip()
if not call_id:
    st.info(t("call.choose"))
    st.page_link("app_pages/review_queue.py", label=t("go.queue"), icon=":material/fact_check:")
    st.stop()
if st.query_params.get("call_id") != call_id:
    st.query_params["call_id"] = call_id
st.session_state["call_id"] = st.session_state["call_pick_from"] = call_id

detail = common.call_detail(location, call_id)
# another team's call reads exactly like a call that does not exist: a refusal would confirm the id
if detail is None or not accounts.can_open_call(account, detail["call"]["team"]):
    st.warning(t("call.not_found", call_id=call_id))
    st.stop()
if not accounts.can_open_call(account, detail["call"]["team"]):
    st.error(t("auth.call_refused", call_id=call_id))
    st.stop()
call, audit, findings, items = detail["call"], detail["audit"], detail["findings"], detail["items"]
body, result = audit["body"], detail["result"]  # result: the call after its reviews (audit.review_policy)

flash = st.session_state.pop("call_flash", None)
if flash:
    st.success(flash)

# -- what went wrong and where, first ---------------------------------------------------------------------------------
summary = display.summary_items(
    [{**f, "effective_severity": review_policy.effective_severity(f)} for f in findings], body.get("signals") or [],
    audit["call_time_violation"], [f["finding_id"] for f in findings if review_policy.is_dismissed(f)])
SEVERITY_TONE = {"critical": "red", "major": "orange", "minor": "gray"}  # the charts' scale (common.SEVERITY_COLOURS)


def summary_text(item) -> str:
    if item.kind == "call_time":
        return f":red[{t('call.deduct_call_time')}]"
    name = label(item.kind, item.code)
    where = f" {clock(item.start_s)}" if item.start_s is not None else ""
    return f":{SEVERITY_TONE.get(item.severity, 'blue') if item.kind == 'category' else 'violet'}[{name}{where}]"


st.markdown("### " + (" · ".join(summary_text(i) for i in summary) if summary else t("call.summary_none")))
moment = display.time_of_day(call["started_at"], call.get("debtor_tz"))
when = t("call.time_of_day", zone=moment.zone or "?", local=moment.local) if moment else t("call.time_unknown")
(st.error if audit["call_time_violation"] else st.caption)(when + (f" · {t('call.call_time')}"
                                                                   if audit["call_time_violation"] else ""))
if call.get("undated"):
    st.caption(t("call.undated", when=(call["started_at"] or "")[:16].replace("T", " ")))
if body.get("review_reasons"):
    st.warning(f"{t('call.review_reasons')}: " + "；".join(reason(r) for r in body["review_reasons"]))
columns = st.columns(4)
machine = t("call.machine_result", verdict=label("verdict", audit["verdict"]), score=f"{audit['score']:.1f}")
columns[0].metric(t("col.verdict"), label("verdict", result.verdict), help=machine)
columns[1].metric(t("col.score"), f"{result.score:.1f}", help=machine,
                  delta=round(result.score - audit["score"], 1) if result.score != audit["score"] else None)
columns[2].metric(t("col.agent"), f"{call['agent_name'] or call['agent_id'] or '–'}")
columns[3].metric(t("col.team"), call["team"] or "–")
st.caption(t("call.closed") if result.closed else t("call.open_items", n=result.open_items))
if audit["audits_of_call"] > 1:
    st.caption(t("call.older_audits", n=audit["audits_of_call"]))
qa_panel.show(account, call_id)  # 抽检: the whole call's verdict; contact-frequency violations

# -- the player, kept in view with the call's timeline: 「播放」 on a finding stores where to start and the rerun draws
# the player there; the timeline's marks and the turns' times seek in the browser (app_pages/player.py)
start_key = f"player_start::{call_id}"


def play(start_s):
    st.session_state[start_key] = player_start(start_s)


audio_path = Path(call["audio_path"] or "")
has_audio = bool(call["audio_path"]) and audio_path.is_file()
if not has_audio:  # the server's path only to an admin
    st.warning(t("call.audio_missing", path=(call["audio_path"] or "–") if account.role == "admin" else "–"))
segments = (detail["transcript"] or {}).get("segments", [])
player.show(audio_path if has_audio else None, st.session_state.get(start_key),
            build_timeline(segments, findings, body.get("signals") or [], call.get("duration_s")), player_start)

# -- dialogue and findings -----------------------------------------------------------------------------------------
number = {f["finding_id"]: i + 1 for i, f in enumerate(findings)}
by_id = {f["finding_id"]: f for f in findings}


def shown_severity(finding) -> str:
    """The severity a mark is coloured by: a dismissed finding is grey, whatever it was."""
    return "dismissed" if review_policy.is_dismissed(finding) else review_policy.effective_severity(finding)


def tooltip(finding) -> str:
    return (f"[{number[finding['finding_id']]}] {label('category', finding['category'])} · "
            f"{label('severity', review_policy.effective_severity(finding))} · "
            f"{label('review_status', finding['review_status'])} · {finding['rule_id']}\n"
            f"{t('call.basis')}: {'；'.join(finding['legal_basis'])}\n"
            f"{common.rule_text(finding['rule_id'], finding['explanation'])}")


def turn_html(turn) -> str:
    parts = []
    for piece in turn.pieces:
        text = html.escape(piece.text)
        if not piece.finding_ids:
            parts.append(text)
            continue
        worst = min((shown_severity(by_id[i]) for i in piece.finding_ids),
                    key=lambda s: SEVERITIES.index(s) if s in SEVERITIES else len(SEVERITIES))
        title = html.escape("\n\n".join(tooltip(by_id[i]) for i in piece.finding_ids), quote=True)
        marks = "".join(f"[{number[i]}]" for i in piece.finding_ids)
        parts.append(f'<mark class="finding sev-{worst}" title="{title}">{text}</mark>'
                     f'<span class="fnum">{marks}</span>')
    unplaced = [i for i in turn.finding_ids if not any(i in p.finding_ids for p in turn.pieces)]
    if unplaced:
        parts.append(f' <span class="fnum">{"".join(f"[{number[i]}]" for i in unplaced)}</span>')
    who = f"{label('speaker', turn.speaker)} · {clock(turn.start_s)}"
    seek = f' data-seek="{player_start(turn.start_s)}" title="{html.escape(t("call.play_from"))}"' \
        if turn.start_s is not None else ""
    return (f'<div class="turn turn-{turn.speaker}" id="turn-{turn.index}"><span class="who"{seek}>'
            f'{html.escape(who)}</span>{"".join(parts)}</div>')


# findings first on a narrow screen, where the columns stack (common.STYLE): the evidence before the whole dialogue
with st.container(key="call_body"):
    left, right = st.columns([3, 2])
with left:
    st.subheader(t("call.transcript"))
    dialogue = build_dialogue(detail["transcript"], findings)
    if dialogue:
        st.markdown(common.STYLE + "\n".join(turn_html(turn) for turn in dialogue), unsafe_allow_html=True)
    else:
        st.info(t("call.no_transcript"))


def save_review(kind: str, target_id: int) -> None:
    """File the verdict chosen in the form of a finding (``kind`` "finding") or a call-level item ("item")."""
    # asked again when the button is pressed: the account may have been disabled or changed since the page was drawn
    who = common.current_account()
    key = form_key(kind, target_id)
    verdict = st.session_state.get(f"verdict_{key}")
    targets = by_id if kind == "finding" else {item["item_id"]: item for item in items}
    if verdict is None:
        st.session_state["call_flash_error"] = t("call.choose_verdict")
        return
    if who is None or target_id not in targets or verdict not in verdicts_for(who, kind == "item") \
            or not accounts.can_open_call(who, call["team"]):
        st.session_state["call_flash_error"] = t("auth.forbidden")
        return
    name, note = who.label, st.session_state.get(f"note_{key}", "")
    try:
        if kind == "finding":
            severity = st.session_state.get(f"severity_{key}") if verdict == "severity_changed" else None
            common.store().add_review(target_id, name, verdict, note, severity)
        else:
            common.store().add_item_review(target_id, name, verdict, note)
    except StorageError as error:
        st.session_state["call_flash_error"] = str(error)
        return
    common.refresh()
    st.session_state["call_flash"] = t("call.saved", verdict=label("review", verdict), reviewer=name)


def form_key(kind: str, target_id: int) -> str:
    """The widgets of a finding's form end in its id (verdict_12), those of a call-level item in item<id>."""
    return str(target_id) if kind == "finding" else f"item{target_id}"


def verdict_form(kind: str, target: dict, severity: str | None = None) -> None:
    """The reviewer's verdict on one item; nothing is chosen until the reviewer chooses (no default verdict)."""
    target_id = target["finding_id" if kind == "finding" else "item_id"]
    key = form_key(kind, target_id)
    last = latest_review(target)
    st.caption(t("call.last_review", verdict=label("review", last["verdict"]), reviewer=last["reviewer"],
                 when=display.local_minute(last["created_at"])) if last else t("call.not_reviewed"))
    offered = verdicts_for(account, kind == "item")
    with st.form(f"review_{key}", border=False):
        st.selectbox(t("call.review_verdict"), offered, index=None, placeholder=t("call.choose_verdict"),
                     key=f"verdict_{key}", format_func=lambda v: label("review", v))
        if severity is not None and "severity_changed" in offered:
            st.selectbox(t("call.new_severity"), list(SEVERITIES), key=f"severity_{key}",
                         index=SEVERITIES.index(severity), format_func=lambda s: label("severity", s))
        st.text_input(t("call.note"), key=f"note_{key}")
        st.form_submit_button(t("call.save"), key=f"save_{key}", on_click=save_review,
                              args=(kind, target_id))


def item_text(item) -> str:
    """A call-level item in the reader's language (stored in English, as the audit line has it)."""
    if item["kind"] == "review_reason":
        return reason(item["text"])
    if item["kind"] == review_policy.CONTACT_FREQUENCY:  # the profile's description is bilingual already
        return t("qa.contact_item", rule=item["rule_id"], severity=label("severity", item["severity"]),
                 why=item["text"])
    return when if item["kind"] == "call_time" else machine  # the header's time of day / the machine's verdict


with right:
    st.subheader(t("call.findings"))
    error = st.session_state.pop("call_flash_error", None)
    if error:
        st.error(error)
    if items:
        st.markdown(f"**{t('call.items')}**")
    for item in items:
        with st.container(border=True):
            st.markdown(f"**{label('item_kind', item['kind'])}** · {label('review_status', item['review_status'])}")
            st.caption(item_text(item))
            verdict_form("item", item)
    if not findings:
        st.info(t("call.no_findings_here"))
    for finding in findings:
        fid = finding["finding_id"]
        dismissed = review_policy.is_dismissed(finding)
        with st.container(border=True):
            severity = label("severity", review_policy.effective_severity(finding))
            st.markdown(f"**[{number[fid]}] {label('category', finding['category'])}** · "
                        + (f"~~{severity}~~" if dismissed else severity) + f" · `{finding['rule_id']}` · "
                        f"{label('review_status', finding['review_status'])}")
            if dismissed:
                st.caption(t("call.dismissed_note"))
            st.markdown(f"「{finding['quote']}」")
            st.caption(f"{t('call.at')}: {t('call.turn', turn=finding['turn'])} · {clock(finding['start_s'])} · "
                       f"{label('speaker', finding['speaker'])}"
                       + (f" · {t('call.via_homophone')}" if finding["pinyin_match"] else "")
                       + (f" · {t('call.needs_review')}" if finding["needs_review"] else ""))
            st.caption(f"{t('call.basis')}: {'；'.join(finding['legal_basis'])}")
            st.caption(f"{t('call.why')}: {common.rule_text(finding['rule_id'], finding['explanation'])}"
                       + (f"（{t('call.unknown_speaker_note')}）" if finding["speaker"] == "unknown" else ""))
            if finding["start_s"] is not None:
                st.button(f"▶ {t('call.play')} {clock(finding['start_s'])}", key=f"play_{fid}",
                          on_click=play, args=(finding["start_s"],))
            verdict_form("finding", finding, review_policy.effective_severity(finding))
    qa_panel.add_missed(account, call_id, dialogue)

# -- the rest of the evidence --------------------------------------------------------------------------------------
tabs = st.tabs([t("call.disclosures"), t("call.quality"), t("call.signals"), t("call.score"), t("call.trail")])
with tabs[0]:
    st.dataframe([{t("call.disclosures"): label("disclosure", row["disclosure"]),
                   t("col.verdict"): label("status", row["status"]),
                   t("call.at"): (t("call.turn", turn=row["turn"]) + f" · {clock(row['start_s'])}")
                   if row["turn"] is not None else "",
                   "「」": row["quote"] or "", t("call.rule"): row["rule_id"],
                   t("call.why"): common.rule_text(row["rule_id"], row["explanation"])}
                  for row in disclosure_checklist(body)], hide_index=True, key="disclosure_table")
with tabs[1]:
    quality = body.get("quality")
    if quality:
        st.dataframe([{t("call.measure"): label("measure", m.measure), t("call.value"): measure_value(m.measure, m.value),
                       t("call.limit"): measure_limits(m.measure, m.low, m.high),
                       t("call.in_limits"): "" if m.value is None or (m.low is None and m.high is None)
                       else t("no") if m.outside else t("yes")}
                      for m in display.quality_measures(quality, common.scorecard_limits(audit["scorecard"]))],
                     hide_index=True, key="quality_table")
    else:
        st.info(t("call.no_quality"))
with tabs[2]:
    signals = body.get("signals") or []
    if signals:
        st.dataframe([{t("call.signals"): label("signal", s["signal"]), t("call.at"): t("call.turn", turn=s["turn"])
                       + f" · {clock(s.get('start_s'))}", "「」": s["quote"],
                       t("call.details"): "，".join(str(v) for v in (s.get("details") or {}).values() if v)}
                      for s in signals], hide_index=True, key="signal_table")
    else:
        st.info(t("call.no_signals"))
with tabs[3]:
    deductions = result.deductions  # after review: a dismissed finding is listed with 0 points
    st.metric(t("col.score"), f"{result.score:.1f}", help=machine)
    if deductions:
        def item_name(line) -> str:
            if line.kind == "finding":
                return label("category", line.code)
            if line.kind == "disclosure":
                return t("call.deduct_disclosure", name=label("disclosure", line.code))
            if line.kind == "quality":
                return label("measure", line.code)
            if line.kind == review_policy.CONTACT_FREQUENCY:
                return f"{label('item_kind', line.kind)} {line.code}"
            return t("call.deduct_call_time")

        st.dataframe([{t("call.item"): item_name(line), t("call.points"): f"−{line.points:g}",
                       t("call.rule"): line.rule_id,
                       t("call.details"): (f"「{line.quote}」 " + t("call.turn", turn=line.turn)) if line.quote else "",
                       t("col.reviewed"): label("review_status", "dismissed") if d["status"] == "dismissed" else ""}
                      for d, line in zip(deductions, display.deduction_lines(deductions))],
                     hide_index=True, key="deduction_table")
    else:
        st.info(t("call.no_deductions"))
with tabs[4]:
    trail = common.call_reviews(location, call_id)
    if trail:
        st.dataframe([{"#": r["review_id"], t("call.findings"): f"{label('category', r['category'])} {r['rule_id']}"
                       if r["finding_id"] is not None else label("item_kind", r["kind"]),
                       t("call.review_verdict"): label("review", r["verdict"]),
                       t("call.new_severity"): label("severity", r["new_severity"]), t("app.reviewer"): r["reviewer"],
                       t("call.note"): r["note"], t("call.time"): display.local_minute(r["created_at"]),
                       t("call.hash"): r["row_hash"][:12]} for r in trail], hide_index=True, key="trail_table")
    else:
        st.info(t("call.no_trail"))
    st.caption(t("call.versions", profile=audit["profile"], pack=audit["rule_pack_version"], card=audit["scorecard"],
                 card_version=audit["scorecard_version"], model=audit["model_id"] or "–"))
