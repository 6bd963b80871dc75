"""What every page shares: the database, the models (loaded once per server process), short-lived cached reads, and
the sidebar. Reads are cached for a few seconds only: long enough that clicking through a page does not query the
database on every widget change, short enough that a batch finishing elsewhere shows up almost at once; every write
clears them so the writer sees the change immediately.

Who is signed in is never cached and never taken from the session state as such: ``current_account`` checks the
signed session token and reads the account (role, team, enabled) from the database on every run, and every page
asks it again (``signed_in``) rather than trusting that app.py let it run."""

from __future__ import annotations

from datetime import date, timedelta
from urllib.parse import unquote

import streamlit as st

from app_pages.i18n import LANGUAGES, label, lang, t
from audit import accounts, settings
from audit.reviewapp import engines
from audit.reviewapp.access import scope_options, scoped_teams
from audit.reviewapp.colours import CATEGORY_COLOURS, SEVERITY_COLOURS
from audit.reviewapp.locations import data_dir, database_location, max_upload_bytes
from audit.reviewapp.queue import QueueFilters, QueuePage, queue_page
from audit.storage import Store

READ_TTL_S = 15


def db_location() -> str:
    # AUDIT_DB_URL is part of the key: Store prefers it to the path, so the cached Store must change with it
    return f"{settings.db_url() or ''}|{database_location()}"


@st.cache_resource(show_spinner=False)
def _store(location: str) -> Store:
    return Store(location.split("|", 1)[1])


def store() -> Store:
    return _store(db_location())


def auditor():
    """The process's auditor: loaded in the background when the server started (``warm_up``), or now."""
    return engines.AUDITOR.get()


def warm_up() -> None:
    """Start loading the models in the background, once per server process (``AUDIT_PRELOAD_MODELS=0``: never)."""
    if settings.preload_models():
        engines.warm_up()


@st.cache_resource(show_spinner=False)
def rule_descriptions() -> dict[str, tuple[str, str]]:
    """Every rule id -> its description in Chinese and English, from the rule pack (the rules alone: no models)."""
    from audit.rulepack import load_rule_pack

    pack = load_rule_pack()
    # the learned reader files its findings as reader/<category>: the category says what it found
    return {**{f"reader/{c.id}": (c.description_zh or c.description, c.description) for c in pack.categories.values()},
            **pack.descriptions()}


def rule_text(rule_id: str, fallback: str = "") -> str:
    """A rule's description in the reader's language; the stored explanation for a rule the pack no longer has."""
    pair = rule_descriptions().get(rule_id)
    if pair is None:
        return fallback
    return pair[1] if lang() == "en" else pair[0]


@st.cache_resource(show_spinner=False)
def scorecard_limits(name: str) -> tuple:
    """The quality limits of the scorecard a call was scored with (none when it is no longer installed)."""
    from audit.errors import AuditError
    from audit.scorecard import load_scorecard

    try:
        return tuple(load_scorecard(name).quality)
    except AuditError:
        return ()


def transcriber():
    return engines.TRANSCRIBER.get()


def refresh() -> None:
    """After a write (a verdict, a batch, an export): drop cached reads so every page shows it now."""
    st.cache_data.clear()


# -- cached reads (keyed by the database location, so two databases never share a cache entry) --------------------

@st.cache_data(ttl=READ_TTL_S, show_spinner=False)
def filter_options(location: str) -> dict:
    return _store(location).filter_options()


@st.cache_data(ttl=READ_TTL_S, show_spinner=False)
def overview(location: str, since, until, teams: tuple, agent_ids: tuple) -> dict:
    return _store(location).overview(since=since, until=until, teams=teams, agent_ids=agent_ids)


@st.cache_data(ttl=READ_TTL_S, show_spinner=False)
def queue(location: str, filters: QueueFilters, page: int, page_size: int) -> QueuePage:
    return queue_page(_store(location), filters, page, page_size)


@st.cache_data(ttl=READ_TTL_S, show_spinner=False)
def call_detail(location: str, call_id: str) -> dict | None:
    return _store(location).call_detail(call_id)


@st.cache_data(ttl=READ_TTL_S, show_spinner=False)
def call_reviews(location: str, call_id: str) -> list:
    return _store(location).call_reviews(call_id)


@st.cache_data(ttl=READ_TTL_S, show_spinner=False)
def aggregate_rows(location: str, since, until, teams: tuple) -> dict:
    return _store(location).aggregate_rows(since=since, until=until, teams=teams)


@st.cache_data(ttl=READ_TTL_S, show_spinner=False)
def scorecard_totals(location: str, since, until, teams: tuple) -> dict:
    return _store(location).scorecard_totals(since=since, until=until, teams=teams)


@st.cache_data(ttl=READ_TTL_S, show_spinner=False)
def agent_scorecards(location: str, since, until, teams: tuple, raw_beside: bool = False):
    """The agents table (after reviews; ``raw_beside``: with the machine's figures beside) from the database's totals,
    computed once per selection rather than on every click on the page."""
    from audit.aggregate import agent_scorecards_from_totals, raw_and_reviewed_from_totals

    totals = scorecard_totals(location, since, until, teams)
    return raw_and_reviewed_from_totals(totals) if raw_beside else agent_scorecards_from_totals(totals)


@st.cache_data(ttl=READ_TTL_S, show_spinner=False)
def agent_findings(location: str, agent_id: str, since, until) -> list:
    return _store(location).agent_findings(agent_id, since=since, until=until)


# -- page furniture -------------------------------------------------------------------------------------------------

def narrow_client() -> bool:
    """A phone's browser: its user agent says "Mobi" (the check MDN recommends). The server cannot see the screen's
    width, and on a phone the queue's filters start folded and its table keeps its key columns."""
    return "Mobi" in (st.context.headers.get("User-Agent") or "")


def streamlit_words() -> None:
    """Streamlit's own words on the file uploader (「Upload」, 「200MB per file」, and 「Drag and drop files here」 on
    the layer it shows while a file is dragged over it), which it offers no setting for, in the reader's language:
    the originals hidden, ours drawn in their place. The limit is the app's own (AUDIT_MAX_UPLOAD_MB, checked again
    on the server), not Streamlit's."""
    browse = t("upload.browse").replace('"', "")
    drop = t("upload.drop").replace('"', "")
    limit = (drop + " · " + t("upload.limit", mb=max_upload_bytes() // (1024 * 1024))).replace('"', "")
    # the drag layer is the dropzone's only child <div> without a test id that holds nothing but a <span>
    dragging = '[data-testid="stFileUploaderDropzone"] > div:not([data-testid]):has(> span:only-child)'
    st.html(f"""<style>
[data-testid="stFileUploaderDropzone"] button [data-testid="stMarkdownContainer"] p {{ display: none; }}
[data-testid="stFileUploaderDropzone"] button [data-testid="stMarkdownContainer"]::after {{ content: "{browse}"; }}
[data-testid="stFileUploaderDropzoneInstructions"] span {{ display: none; }}
[data-testid="stFileUploaderDropzoneInstructions"] > div::after {{ content: "{limit}"; font-size: 0.85rem;
  opacity: 0.7; }}
{dragging} > span {{ display: none; }}
{dragging}::after {{ content: "{drop}"; font-size: 0.875rem; font-weight: 800; }}
</style>""")


def language_switch() -> None:
    st.radio(t("app.language"), list(LANGUAGES), format_func=LANGUAGES.get, key="lang", horizontal=True)


def sidebar(account: accounts.Account) -> None:
    with st.sidebar:
        language_switch()
        st.markdown(f"**{account.display_name}** · {label('role', account.role)}"
                    + (f" · {account.team}" if account.team else ""))
        st.caption(t("auth.signed_in_as", username=account.username))
        if st.button(t("auth.sign_out"), key="sign_out", icon=":material/logout:"):
            sign_out()
        if account.role == "admin":  # where the server keeps its data is an admin's business only
            where = settings.DB_URL if settings.db_url() else database_location()
            st.caption(f"{t('app.database')}: `{where}`")


# -- who is signed in -------------------------------------------------------------------------------------------------

def session_secret() -> bytes:
    return accounts.session_secret(data_dir())


SESSION_COOKIE = "audit_session"


def current_account() -> accounts.Account | None:
    """The signed-in account, read from the database through the session's signed token on every run; None when
    nobody is signed in, or the token is forged, expired or belongs to a disabled account.

    The token also lives in a cookie (set by ``sign_in``), so a reload or a link opened in a new tab -- a new
    Streamlit session -- is still signed in for the token's lifetime; the cookie carries nothing the server does not
    check again, exactly as it checks the session state's copy."""
    token = st.session_state.get("auth_token")
    if token is None and not st.session_state.get("signed_out"):
        cookie = st.context.cookies.get(SESSION_COOKIE)
        token = unquote(cookie) if cookie else None  # written URL-encoded by sync_cookie
    if token is None:
        return None
    account = accounts.account_from_token(store(), token, session_secret())
    if account is None:
        st.session_state.pop("auth_token", None)  # a dead token is dropped: the sign-in page asks again
        st.session_state["cookie_action"] = "clear"
    else:
        st.session_state["auth_token"] = token
    return account


def sync_cookie() -> None:
    """Write or clear the session cookie in the browser (a one-line script), when sign-in or sign-out asked for it.
    SameSite=Strict: no other site's page can send it; Max-Age: the token's own lifetime."""
    action = st.session_state.pop("cookie_action", None)
    if action is None:
        return
    if action == "clear":
        value, age = "", 0
    else:
        value, age = st.session_state.get("auth_token", ""), accounts.SESSION_TTL_S
    with st.sidebar:
        st.html(f"<script>document.cookie = '{SESSION_COOKIE}=' + encodeURIComponent({value!r}) + "
                f"'; Max-Age={age}; Path=/; SameSite=Strict' + (location.protocol === 'https:' ? '; Secure' : '');"
                "</script>", unsafe_allow_javascript=True, width="content")


def sign_in(account: accounts.Account) -> None:
    st.session_state["auth_token"] = accounts.issue_token(account, session_secret())
    st.session_state["cookie_action"] = "set"
    st.session_state.pop("signed_out", None)


def sign_out() -> None:
    st.session_state.pop("auth_token", None)
    for key in [k for k in st.session_state if k != "lang"]:  # nothing of this user's work stays in the session
        del st.session_state[key]
    # this connection still carries the cookie it was opened with: never read it again here; and clear it in the
    # browser, so a reload asks for the password too
    st.session_state["signed_out"] = True
    st.session_state["cookie_action"] = "clear"
    if oidc_configured() and getattr(st.user, "is_logged_in", False):
        st.logout()  # also forgets the identity provider's cookie, or the next run would sign in again
    st.rerun()


def oidc_configured() -> bool:
    """True when .streamlit/secrets.toml has an [auth] section (Streamlit's OIDC sign-in, ``st.login``)."""
    return st.secrets.load_if_toml_exists() and "auth" in st.secrets


def signed_in(action: str | None = None) -> accounts.Account:
    """The signed-in account, or the page stops here: with nobody signed in, or (``action``: a key of
    ``audit.accounts.PERMISSIONS``) when the account's role may not do it. Every page calls this first."""
    account = current_account()
    if account is None:
        st.error(t("auth.required"))
        st.stop()
    if action is not None and not accounts.allowed(account, action):
        st.error(t("auth.forbidden"))
        st.stop()
    return account


def team_filter(account: accounts.Account, options: dict, key: str) -> tuple[str, ...]:
    """The team filter of a page: any teams for most roles; a team lead's own team, fixed (shown, not changeable),
    and the reads are filtered to it whatever the widget's state says."""
    scope = accounts.team_scope(account)
    if scope is None:
        return tuple(st.multiselect(t("filter.team"), options["teams"], key=key, placeholder=t("filter.any")))
    st.multiselect(t("filter.team"), [scope], default=[scope], disabled=True, key=f"{key}_own",
                   help=t("auth.team_fixed"))
    return scoped_teams((), scope)


def scoped_filter_options(location: str, account: accounts.Account) -> dict:
    return scope_options(filter_options(location), accounts.team_scope(account))


def date_range(options: dict, key: str, recent_days: int | None = None) -> tuple[str | None, str | None]:
    """A from-to date picker spanning the database's calls, set to all of them or (``recent_days``) to the latest
    days that hold calls; returns ISO dates (None = open end)."""
    first, last = options.get("first_day"), options.get("last_day")
    if not first or not last:
        return None, None
    lo, hi = date.fromisoformat(first), date.fromisoformat(last)
    start = max(lo, hi - timedelta(days=recent_days - 1)) if recent_days else lo
    picked = st.date_input(t("filter.dates"), value=(start, hi), min_value=lo, max_value=hi, key=key)
    if isinstance(picked, (tuple, list)):
        since = picked[0] if len(picked) > 0 else None
        until = picked[1] if len(picked) > 1 else None
    else:
        since = until = picked
    return (since.isoformat() if since else None), (until.isoformat() if until else None)


def agent_label(options: dict):
    names = {a["agent_id"]: f"{a['agent_id']} {a['agent_name'] or ''}".strip() for a in options.get("agents", [])}
    return lambda agent_id: names.get(agent_id, agent_id)


def is_empty(options: dict) -> bool:
    return not options.get("agents") and not options.get("first_day") and not store().counts().get("calls")


def getting_started() -> None:
    """How to fill an empty database; where the database is only to an admin (server paths are theirs alone)."""
    account = current_account()
    where = "\n\n" + t("empty.db", db=database_location()) if account and account.role == "admin" else ""
    st.info(f"**{t('empty.title')}**\n\n" + t("empty.body") + where)
    st.page_link("app_pages/batch_audit.py", label=t("go.batch"), icon=":material/upload_file:")


def severity_colours() -> dict[str, str]:
    """Plotly's colour map keyed by what the chart shows: the severity's name in the reader's language."""
    return {label("severity", code): colour for code, colour in SEVERITY_COLOURS.items()}


def category_colours() -> dict[str, str]:
    return {label("category", code): colour for code, colour in CATEGORY_COLOURS.items()}


STYLE = """
<style>
.turn { border-radius: 0.6rem; padding: 0.45rem 0.75rem; margin: 0.25rem 0; max-width: 85%; line-height: 1.7; }
.turn .who { font-size: 0.78rem; opacity: 0.75; margin-right: 0.4rem; }
.turn-agent { background: #e8f1fb; border-left: 4px solid #1f6fb2; margin-right: auto; }
.turn-customer { background: #f3f3f1; border-right: 4px solid #8a8a80; margin-left: auto; text-align: left; }
.turn-unknown { background: #fff8e6; border-left: 4px dashed #c49000; margin-right: auto; }
mark.finding { padding: 0 0.15rem; border-radius: 0.2rem; cursor: help; }
mark.sev-critical { background: #ffc9c9; border-bottom: 2px solid #c92a2a; }
mark.sev-major { background: #ffe3bf; border-bottom: 2px solid #e8590c; }
mark.sev-minor { background: #fff3bf; border-bottom: 2px solid #f08c00; }
mark.sev-dismissed { background: #f1f3f5; border-bottom: 2px dotted #868e96; text-decoration: line-through; }
.fnum { font-size: 0.7rem; vertical-align: super; color: #c92a2a; font-weight: 600; }
@media (max-width: 640px) {
  .st-key-call_body [data-testid="stHorizontalBlock"] { flex-direction: column-reverse; }
  .turn { max-width: 100%; }
}
</style>
"""
