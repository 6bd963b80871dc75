"""规则准确率 Rule accuracy: precision per rule and per learned-reader category from reviewers' verdicts, recall per
category estimated from 抽检, each with its Wilson 95% interval; the rules under the admin's precision threshold,
listed (never switched off); and the 抽检 plan: its schedule, the cron line that runs it, its last run and what it
drew, the period due, recent draws, a draw on demand."""

import sys
from datetime import datetime
from pathlib import Path

import streamlit as st

from app_pages import common
from app_pages.i18n import label, t
from audit import accounts, display
from audit.errors import AuditError
from audit.qa import accuracy, sampling

account = common.signed_in()
st.title(t("qa.title"))
st.caption(t("qa.intro"))
location = common.db_location()
options = common.scoped_filter_options(location, account)
if common.is_empty(options):
    common.getting_started()
    st.stop()


@st.cache_data(ttl=common.READ_TTL_S, show_spinner=False)
def report(location: str, since, until) -> accuracy.AccuracyReport:
    return accuracy.accuracy_report(common._store(location), since, until)


def pct(value) -> str:
    return "–" if value is None else f"{value:.1%}"


def span(interval) -> str:
    return "–" if interval is None else f"{interval[0]:.1%} – {interval[1]:.1%}"


since, until = common.date_range(options, "qa_dates")
result = report(location, since, until)
metrics = st.columns(4)
metrics[0].metric(t("qa.judged_findings"), sum(p.judged for p in result.rules + result.reader))
metrics[1].metric(t("qa.judged_samples"), result.judged_samples)
metrics[2].metric(t("qa.unflagged"), f"{result.unflagged_calls:,}")
metrics[3].metric(t("qa.threshold"), f"{result.min_precision:.0%}")

if result.below:
    st.warning(t("qa.below", threshold=f"{result.min_precision:.0%}") + "：" + "；".join(
        f"{p.key}（{label('category', p.category)}）{pct(p.precision)}，n={p.judged}" for p in result.below))
else:
    st.success(t("qa.none_below"))


def precision_rows(rows, key_label: str) -> list[dict]:
    return [{key_label: p.key, t("filter.category"): label("category", p.category), t("qa.col_upheld"): p.upheld,
             t("qa.col_dismissed"): p.dismissed, t("qa.col_changed"): p.severity_changed,
             t("qa.col_precision"): pct(p.precision), t("qa.col_interval"): span(p.interval)} for p in rows]


for title, rows, key_label, table_key in ((t("qa.rules"), result.rules, t("qa.col_rule"), "qa_rules"),
                                          (t("qa.reader"), result.reader, t("filter.category"), "qa_reader")):
    st.subheader(title)
    if rows:
        st.dataframe(precision_rows(rows, key_label), hide_index=True, key=table_key)
    else:
        st.info(t("qa.no_verdicts"))
st.subheader(t("qa.recall"))
if result.recall:
    st.dataframe([{t("filter.category"): label("category", r.category), t("qa.col_found"): r.found_calls,
                   t("qa.col_missed_sampled"): r.missed_sampled,
                   t("qa.col_missed_estimate"): f"{r.missed_estimate:.1f}",
                   t("qa.col_recall"): pct(r.recall), t("qa.col_interval"): span(r.interval)} for r in result.recall],
                 hide_index=True, key="qa_recall")
else:
    st.info(t("qa.no_verdicts"))

if accounts.allowed(account, "qa_settings"):
    setting = common.store().qa_setting(accuracy.MIN_PRECISION_KEY)
    if setting:
        st.caption(t("qa.threshold_by", who=setting["set_by"], at=setting["set_at"][:19].replace("T", " ")))
    left, right = st.columns([2, 1], vertical_alignment="bottom")
    value = left.number_input(t("qa.threshold"), min_value=0.0, max_value=1.0, step=0.05,
                              value=float(result.min_precision), key="qa_threshold")
    if right.button(t("qa.set_threshold"), key="qa_threshold_save"):
        accuracy.set_min_precision(common.store(), value, account.label)
        common.refresh()
        st.session_state["qa_flash"] = t("qa.threshold_saved", value=f"{value:.0%}")
        st.rerun()
flash = st.session_state.pop("qa_flash", None)
if flash:
    st.success(flash)

# -- 抽检: the plan and its schedule -------------------------------------------------------------------------------
st.subheader(t("qa.plan"))
try:
    plan = sampling.load_plan()
except AuditError as error:
    st.error(str(error))
    st.stop()
st.markdown(t("qa.schedule", title=plan.title, version=plan.version, weekday=label("weekday", plan.weekday),
              at=plan.at, rate=f"{plan.rate:.0%}", min_calls=plan.min_calls, weeks=plan.new_agent_weeks,
              boost=f"{plan.boost_rate:.0%}"))
now = datetime.now()
due_since, due_until = sampling.due_period(plan, now)
known = common.store().draw_calls(plan.name, plan.version, due_since, due_until)
st.caption(t("qa.due", since=due_since, until=due_until, next=f"{sampling.next_run(plan, now):%Y-%m-%d %H:%M}",
             state=t("qa.drawn", draw=known[0]) if known else t("qa.not_drawn")))
st.caption(t("qa.cron"))
command = Path(sys.executable).with_name("audit")  # cron's PATH is bare: the command of this installation
st.code(sampling.cron_line(plan, location.split("|", 1)[1], str(command) if command.is_file() else "audit"),
        language="bash")
runs = common.store().sample_runs(plan.name)
if runs:
    last = runs[0]
    what = (t("qa.run_failed", problem=last["problem"]) if last["problem"] else
            t("qa.run_new" if last["new_draw"] else "qa.run_same", draw=last["draw_id"], calls=last["calls"]))
    st.caption(t("qa.last_run", at=display.local_minute(last["ran_at"]), by=last["ran_by"], since=last["since"] or "–",
                 until=last["until"] or "–", what=what))
else:
    st.caption(t("qa.never_ran"))
if accounts.allowed(account, "review") and st.button(t("qa.draw_now"), key="qa_draw"):
    drawn = sampling.draw(common.store(), plan, due_since, due_until, account.label)
    common.refresh()
    st.session_state["qa_flash"] = t("qa.draw_done", draw=drawn.draw_id, calls=len(drawn.samples))
    st.rerun()
if runs:
    st.caption(t("qa.runs"))
    st.dataframe(runs, hide_index=True, key="qa_runs")
draws = common.store().draws()
if draws:
    st.caption(t("qa.draws"))
    st.dataframe(draws, hide_index=True, key="qa_draws")
