"""坐席 Agents: the scorecard table after reviewers' verdicts; per agent the weekly score trend, findings by category,
disclosure compliance, and a coaching sheet of the agent's own words with a link to each call, to download. A team
lead sees and coaches their own team's agents only."""

import plotly.express as px
import streamlit as st

from app_pages import common
from app_pages.i18n import column, column_note, label, t
from audit.aggregate import weekly_trend
from audit.reviewapp.access import within_calls
from audit.reviewapp.coaching import COACHING_COLUMNS, agent_breakdown, coaching_sheet, rows_to_csv
from audit.reviewapp.uploads import sanitize_name

SHARE_COLUMNS = ("pass_rate",)  # figures from 0 to 1 (the others are counts, scores or rates per 100 calls)
DECIMAL_COLUMNS = ("mean_score", "median_score", "critical_per_100", "complaints_per_100", "vulnerability_per_100")

account = common.signed_in()
st.title(t("agents.title"))
location = common.db_location()
options = common.scoped_filter_options(location, account)
if common.is_empty(options):
    common.getting_started()
    st.stop()

left, right = st.columns([2, 2])
with left:
    # the latest four weeks by default: a coaching period, not every call ever stored (50,000 calls: seconds each)
    since, until = common.date_range(options, "agents_dates", recent_days=28)
with right:
    teams = common.team_filter(account, options, "agents_teams")
calls = common.scorecard_totals(location, since, until, tuple(teams))["calls"]

st.subheader(t("agents.table"))
show_raw = st.toggle(t("agents.raw"), key="agents_raw")
scorecards = common.agent_scorecards(location, since, until, tuple(teams))
shown = common.agent_scorecards(location, since, until, tuple(teams), True) if show_raw else scorecards
figure_of = {name: name.removesuffix("_raw").removesuffix("_reviewed") for name in shown.columns}
shares = [name for name, figure in figure_of.items() if figure in SHARE_COLUMNS]
shown = shown.assign(**{name: shown[name] * 100 for name in shares})  # a share reads as a percentage: 66.7%
# what each figure means, in the reader's language, on hover over its header
config = {column(name): st.column_config.NumberColumn(help=column_note(figure_of[name]), format="%.1f%%")
          for name in shares}
config |= {column(name): st.column_config.NumberColumn(help=column_note(figure), format="%.1f")
           for name, figure in figure_of.items() if figure in DECIMAL_COLUMNS}  # 33.3, not 33.3333
config |= {column(name): st.column_config.Column(help=column_note(figure)) for name, figure in figure_of.items()
           if name not in shares and figure not in DECIMAL_COLUMNS and column_note(figure)}
st.dataframe(shown.rename(columns=column), hide_index=True, key="agents_table", column_config=config)
records = {record["agent_id"]: record for record in scorecards.to_dict("records")}
if not records:
    st.stop()

# the table is best first; the page opens on the agent who most needs coaching
agent_id = st.selectbox(t("agents.pick"), list(records), index=len(records) - 1,
                        format_func=common.agent_label(options), key="agents_pick")
if agent_id not in records:  # only an agent of the table above, whatever the session state says
    st.stop()
breakdown = agent_breakdown(records[agent_id])

trend_col, category_col, disclosure_col = st.columns(3)
with trend_col:
    st.subheader(t("agents.trend"))
    # the trend's figures are the calls' own (score, verdict, criticality after review): no finding rows needed
    trend = weekly_trend([call for call in calls if call["agent_id"] == agent_id], [], [], [], agent_id=agent_id)
    if trend.empty:
        st.info(t("chart.empty"))
    else:
        # one tick per week, named by its Monday (a date axis would tick every few hours around a single week)
        weeks = trend.assign(week_start=trend["week_start"].astype("string").str.slice(0, 10))
        figure = px.line(weeks, x="week_start", y="mean_score", markers=True,
                         labels={"week_start": t("overview.week"), "mean_score": t("col.score")})
        figure.update_yaxes(range=[0, 100])
        figure.update_xaxes(type="category")
        st.plotly_chart(figure, width="stretch", key="agent_trend")
with category_col:
    st.subheader(t("agents.categories"))
    if not breakdown["findings"]:
        st.info(t("chart.empty"))
    else:
        bars = {t("filter.category"): [label("category", c) for c, _ in breakdown["findings"]],
                t("overview.findings"): [n for _, n in breakdown["findings"]]}
        st.plotly_chart(px.bar(bars, x=t("filter.category"), y=t("overview.findings"), color=t("filter.category"),
                               color_discrete_map=common.category_colours()),
                        width="stretch", key="agent_categories")
with disclosure_col:
    st.subheader(t("agents.disclosures"))
    st.dataframe([{t("call.disclosures"): label("disclosure", d), t("agents.rate"): f"{rate:.0%}" if rate is not None
                   else "–"} for d, rate in breakdown["disclosures"]], hide_index=True, key="agent_disclosures")

st.subheader(t("agents.coaching"))
# the agent's findings on the calls in the table only: a team lead's team, the period and teams chosen
sheet = coaching_sheet(within_calls(common.agent_findings(location, agent_id, since, until),
                                    (call["call_id"] for call in calls)))
if not sheet:
    st.info(t("agents.no_coaching"))
else:
    columns = {"category": t("filter.category"), "severity": t("filter.severity"), "call_id": t("col.call_id"),
               "date": t("col.started_at"), "time": t("call.at"), "quote": "「」", "rule_id": t("call.rule"),
               "explanation": t("call.why"), "link": t("col.open")}

    def in_words(row: dict) -> dict:
        return {k: (label("category", v) if k == "category" else label("severity", v) if k == "severity"
                    else common.rule_text(row["rule_id"], v) if k == "explanation" else v) for k, v in row.items()}

    shown = [{columns[k]: v for k, v in in_words(row).items()} for row in sheet]
    st.dataframe(shown, hide_index=True, key="coaching_table", column_config={
        t("col.open"): st.column_config.LinkColumn(t("col.open"), display_text=t("queue.open"))})
    # the sheet is for people (opened in Excel, handed to the agent): headers and codes in the reader's language and
    # links that open the call from anywhere; the regulator's package (导出) keeps stable English column names
    app_url = st.context.url.rsplit("/", 1)[0] if st.context.url else ""
    headers = {**columns, "quote": t("agents.quote")}
    linked = coaching_sheet(within_calls(common.agent_findings(location, agent_id, since, until),
                                         (call["call_id"] for call in calls)),
                            call_link=f"{app_url}/call?call_id={{call_id}}")
    st.download_button(t("agents.download"),
                       rows_to_csv([{headers[k]: v for k, v in in_words(row).items()} for row in linked],
                                   [headers[k] for k in COACHING_COLUMNS]),
                       file_name=f"coaching_{sanitize_name(agent_id)}.csv", mime="text/csv",
                       key="coaching_download")
