"""总览 Overview: headline figures for a period, team or agent; findings by category and by week; agents to watch.
A team lead sees their own team's figures only."""

import plotly.express as px
import streamlit as st

from app_pages import common
from app_pages.i18n import label, t
from audit.models import SEVERITIES
from audit.reviewapp.overview import findings_by_week

account = common.signed_in()
st.title(t("overview.title"))
location = common.db_location()
options = common.scoped_filter_options(location, account)
if common.is_empty(options):
    common.getting_started()
    st.stop()

left, middle, right = st.columns([2, 1, 2])
with left:
    since, until = common.date_range(options, "overview_dates")
with middle:
    teams = common.team_filter(account, options, "overview_teams")
with right:
    agents = st.multiselect(t("filter.agent"), [a["agent_id"] for a in options["agents"]],
                            format_func=common.agent_label(options), key="overview_agents",
                            placeholder=t("filter.any"))
figures = common.overview(location, since, until, tuple(teams), tuple(agents))

calls = figures["calls"]
one, two, three, four = st.columns(4)
one.metric(t("overview.calls"), f"{calls:,}")
two.metric(t("overview.fail_rate"), f"{figures['fail'] / calls:.1%}" if calls else "–")
three.metric(t("overview.critical"), f"{figures['critical_findings']:,}")
four.metric(t("overview.unreviewed"), f"{figures['unreviewed']:,}")
st.page_link("app_pages/review_queue.py", label=t("go.queue"), icon=":material/fact_check:")

by_category = figures["findings_by_category"]
if not by_category:
    st.info(t("overview.no_findings"))
else:
    chart_left, chart_right = st.columns(2)
    with chart_left:
        st.subheader(t("overview.by_category"))
        bars = {t("filter.category"): [label("category", r["category"]) for r in by_category],
                t("filter.severity"): [label("severity", r["severity"]) for r in by_category],
                t("overview.findings"): [r["findings"] for r in by_category]}
        figure = px.bar(bars, x=t("filter.category"), y=t("overview.findings"), color=t("filter.severity"),
                        color_discrete_map=common.severity_colours(),
                        category_orders={t("filter.severity"): [label("severity", s) for s in SEVERITIES]})
        st.plotly_chart(figure, width="stretch", key="chart_category")
    with chart_right:
        st.subheader(t("overview.by_week"))
        weeks = findings_by_week(figures["findings_by_day"])
        bars = {t("overview.week"): [w["week_start"] for w in weeks],
                t("filter.category"): [label("category", w["category"]) for w in weeks],
                t("overview.findings"): [w["findings"] for w in weeks]}
        figure = px.bar(bars, x=t("overview.week"), y=t("overview.findings"), color=t("filter.category"),
                        color_discrete_map=common.category_colours())
        figure.update_xaxes(type="category")
        st.plotly_chart(figure, width="stretch", key="chart_week")

st.subheader(t("overview.worst_agents"))
st.caption(t("overview.worst_note"))
st.dataframe([{t("col.agent"): f"{a['agent_id']} {a['agent_name'] or ''}", t("col.team"): a["team"],
               t("overview.calls"): a["calls"], t("col.score"): round(a["mean_score"] or 0, 1),
               t("overview.critical_calls"): a["critical_calls"],
               t("overview.fail_rate"): f"{a['fail_calls'] / a['calls']:.0%}" if a["calls"] else "–"}
              for a in figures["worst_agents"]], hide_index=True, key="worst_agents")
