"""登录 Sign in: user name and password (argon2id, ``audit.accounts``), or single sign-on through Streamlit's
``st.login`` when ``.streamlit/secrets.toml`` has an ``[auth]`` section. A fresh database has no accounts: the page
then says how to create the first admin on the server; there is no web form an anonymous visitor could use to make
themselves one."""

import streamlit as st

from app_pages import common
from app_pages.i18n import t
from audit import accounts, settings
from audit.reviewapp.access import has_accounts
from audit.reviewapp.locations import database_location

st.title(t("auth.title"))
store = common.store()

if not has_accounts(store):
    # a visitor is no admin: the server's own path is named by its setting, never spelt out
    db = "" if settings.db_url() else (' --db "$AUDIT_DB"' if database_location() != settings.DEFAULT_DB
                                       else f" --db {settings.DEFAULT_DB}")
    st.info(f"**{t('auth.no_accounts_title')}**\n\n" + t("auth.no_accounts_body", db=db))
    st.stop()

# -- single sign-on ----------------------------------------------------------------------------------------------------
# Not covered by the tests: it needs an identity provider. The provider only proves who the person is; what they may
# do comes from an account an admin created with the e-mail address as its user name (`audit users add <email>
# --role ...`, any random password). Nobody without such an enabled account gets in.
if common.oidc_configured():
    if getattr(st.user, "is_logged_in", False):
        email = str(st.user.get("email") or "").strip()
        row = store.user(email) if email and st.user.get("email_verified", True) is not False else None
        if row is not None and not row.disabled:
            common.sign_in(accounts.Account(row.username, row.display_name, row.role, row.team))
            st.rerun()
        st.error(t("auth.sso_refused", email=email or "?"))
        if st.button(t("auth.sign_out"), key="sso_sign_out"):
            st.logout()
        st.stop()
    st.button(t("auth.sso"), key="sso_sign_in", on_click=st.login, type="primary", icon=":material/key:")
    st.caption(t("auth.or_password"))

# -- user name and password ------------------------------------------------------------------------------------------
with st.form("sign_in_form", clear_on_submit=True):
    username = st.text_input(t("auth.username"), key="sign_in_username", autocomplete="username")
    password = st.text_input(t("auth.password"), key="sign_in_password", type="password",
                             autocomplete="current-password")
    submitted = st.form_submit_button(t("auth.sign_in"), key="sign_in_submit", type="primary")
if submitted:
    outcome = accounts.sign_in(store, username or "", password or "")
    if outcome.account is None:
        # the same words for an unknown user, a wrong password and a disabled account
        st.error(t("auth.failed") + (t("auth.wait", minutes=max(1, round(outcome.wait_s / 60)))
                                     if outcome.wait_s else ""))
    else:
        common.sign_in(outcome.account)
        st.rerun()
