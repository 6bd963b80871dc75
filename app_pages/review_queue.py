"""复核队列 Review queue: flagged calls, worst first (severity, then score; both after review), filtered and paged by
the database. 未复核 (the default) holds every call not yet closed (audit.review_policy). A team lead's queue holds
their own team's calls only. Opened from a batch, it holds that batch's calls until 「显示全部通话」."""

import streamlit as st

from app_pages import common
from app_pages.i18n import label, t
from audit.models import SEVERITIES, VERDICTS
from audit.reviewapp.queue import PAGE_SIZES, REVIEW_STATUSES, QueueFilters, review_progress, severity_of_rank
from audit.rulepack import CONDUCT_CATEGORIES

account = common.signed_in()
st.title(t("queue.title"))
location = common.db_location()
options = common.scoped_filter_options(location, account)
if common.is_empty(options):
    common.getting_started()
    st.stop()

# the filters fold into an expander: open on a desktop, folded on a phone, where the queue itself should come first
narrow = common.narrow_client()
chosen_filters = sum(bool(st.session_state.get(key)) for key in ("queue_categories", "queue_severities",
                                                                 "queue_verdicts", "queue_agents", "queue_teams",
                                                                 "queue_sampled_only"))
with st.expander(t("queue.filters_set", n=chosen_filters) if chosen_filters else t("queue.filters"),
                 expanded=not narrow):
    row1 = st.columns([2, 2, 2, 2])
    categories = row1[0].multiselect(t("filter.category"), list(CONDUCT_CATEGORIES), placeholder=t("filter.any"),
                                     format_func=lambda c: label("category", c), key="queue_categories")
    severities = row1[1].multiselect(t("filter.severity"), list(SEVERITIES), placeholder=t("filter.any"),
                                     format_func=lambda s: label("severity", s), key="queue_severities")
    verdicts = row1[2].multiselect(t("filter.verdict"), list(VERDICTS), format_func=lambda v: label("verdict", v),
                                   placeholder=t("filter.any"), key="queue_verdicts")
    status = row1[3].selectbox(t("filter.review_status"), list(REVIEW_STATUSES),
                               format_func=lambda s: t(f"status.{s}"), key="queue_status")
    row2 = st.columns([2, 2, 2, 1])
    agents = row2[0].multiselect(t("filter.agent"), [a["agent_id"] for a in options["agents"]],
                                 placeholder=t("filter.any"), format_func=common.agent_label(options),
                                 key="queue_agents")
    with row2[1]:
        teams = common.team_filter(account, options, "queue_teams")
    with row2[2]:
        since, until = common.date_range(options, "queue_dates")
    page_size = row2[3].selectbox(t("queue.page_size"), list(PAGE_SIZES), key="queue_page_size")
    sampled_only = st.checkbox(t("queue.sampled_only"), key="queue_sampled_only")

batch = st.session_state.get("queue_batch")  # set by 批量质检's 「去复核队列」: (batch name, its call ids)
if batch:
    st.info(t("queue.batch", batch=batch[0], n=len(batch[1])))
    if st.button(t("queue.all_calls"), key="queue_all_calls"):
        st.session_state.pop("queue_batch", None)
        st.rerun()
    since = until = None  # the batch is the selection: its calls whatever day they are filed under
filters = QueueFilters(tuple(categories), tuple(severities), tuple(agents), tuple(teams), tuple(verdicts),
                       since, until, status, tuple(batch[1]) if batch else (), sampled_only)
# a new filter starts again at page 1 (the page number of another selection means nothing here)
if st.session_state.get("queue_filters") != filters:
    st.session_state["queue_filters"] = filters
    st.session_state["queue_page"] = 1
page_number = int(st.session_state.get("queue_page", 1))
page = common.queue(location, filters, page_number, page_size)
st.session_state["queue_page"] = page.page  # past the last page (rows reviewed away meanwhile): show the last one

if not page.total:
    st.info(t("queue.none"))
    st.stop()
st.markdown(t("queue.count", total=f"{page.total:,}", page=page.page, pages=page.pages, first=page.first,
              last=page.first + len(page.rows) - 1))
st.number_input(t("queue.page"), min_value=1, max_value=page.pages, step=1, key="queue_page")

table = [{
    t("col.call_id"): row["call_id"],
    t("col.open"): f"call?call_id={row['call_id']}",
    t("col.worst"): label("severity", severity_of_rank(row["worst"])) or "–",
    t("col.score"): round(row["score"], 1),
    t("col.verdict"): label("verdict", row["verdict"]),
    t("col.categories"): "、".join(label("category", c) for c in row["categories"]),
    t("col.reviewed"): review_progress(row),
    t("col.sampled"): t("queue.sampled_mark") if row.get("sampled") else "",
    t("col.agent"): f"{row['agent_id'] or ''} {row['agent_name'] or ''}".strip(),
    t("col.team"): row["team"],
    t("col.started_at"): (row["started_at"] or "")[:16].replace("T", " "),
} for row in page.rows]
# on a phone the table keeps its key columns: which call, how bad, what to do
key_columns = [t("col.call_id"), t("col.worst"), t("col.verdict"), t("col.score"), t("col.open")]
st.dataframe(table, hide_index=True, key="queue_table", column_order=key_columns if narrow else None, column_config={
    t("col.open"): st.column_config.LinkColumn(t("col.open"), display_text=t("queue.open"))})

pick_left, pick_right = st.columns([3, 1], vertical_alignment="bottom")
chosen = pick_left.selectbox(t("queue.open_pick"), [row["call_id"] for row in page.rows], key="queue_open_pick")
if pick_right.button(t("queue.open"), key="queue_open", type="primary"):
    st.session_state["call_id"] = chosen
    st.switch_page("app_pages/call_detail.py", query_params={"call_id": chosen})
