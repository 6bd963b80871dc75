"""催收质检 review app: ``streamlit run app.py``.

The entry only sets up the shell (page settings, language, the signed-in user in the sidebar) and the navigation;
each page is a script in ``app_pages/`` that lays out what ``audit/`` computes. The database is ``AUDIT_DB_URL``, else
the file ``AUDIT_DB``, else ``results/audit.db`` (what ``audit run samples --out results`` writes); uploads go under
``AUDIT_DATA_DIR`` (default ``~/.local/share/collection-call-auditor``, outside the checkout).

Until someone signs in, the sign-in page is the only script there is: every page's URL (a call's link included) runs
it and nothing else. Signing in reruns the same URL, so a link opens what it pointed to -- if the account's role
offers that page (``audit.accounts``, re-read from the database on every run); each page checks again on its own.
"""

import streamlit as st

from app_pages import common
from app_pages.i18n import t
from audit import accounts
from audit.reviewapp import engines

# (script, title, icon, URL path, what the role must be allowed; None: every role)
PAGES = [
    ("app_pages/overview.py", "nav.overview", ":material/dashboard:", "overview", None),
    ("app_pages/review_queue.py", "nav.queue", ":material/fact_check:", "queue", None),
    ("app_pages/call_detail.py", "nav.call", ":material/headphones:", "call", None),
    ("app_pages/agents.py", "nav.agents", ":material/groups:", "agents", None),
    ("app_pages/batch_audit.py", "nav.batch", ":material/upload_file:", "batch", "batch"),
    ("app_pages/rule_pack.py", "nav.rules", ":material/menu_book:", "rules", "rule_pack"),
    ("app_pages/accuracy.py", "nav.accuracy", ":material/target:", "accuracy", None),
    ("app_pages/export_package.py", "nav.export", ":material/archive:", "export", "export"),
    ("app_pages/users.py", "nav.users", ":material/manage_accounts:", "users", "users"),
]
DEFAULT = "overview"  # the default page is served at the root URL

st.set_page_config(page_title=t("app.title"), page_icon=":material/headphones:", layout="wide")
account = common.current_account()
common.sync_cookie()
common.streamlit_words()

try:
    with engines.page_running():  # the models load in the background between pages, not during them
        if account is None:
            with st.sidebar:
                common.language_switch()
            # the sign-in script under every page's URL: no "page not found" for a link, and no other script to reach
            st.navigation([st.Page("app_pages/sign_in.py", title=t("nav.sign_in"), icon=":material/login:",
                                   url_path=path, default=path == DEFAULT) for _, _, _, path, _ in PAGES],
                          position="hidden").run()
        else:
            common.sidebar(account)
            st.navigation([st.Page(script, title=t(title), icon=icon, url_path=path, default=path == DEFAULT)
                           for script, title, icon, path, action in PAGES
                           if action is None or accounts.allowed(account, action)]).run()
finally:
    common.warm_up()  # once per process, after the first page is drawn: sign-in never waits for the models
