"""用户 Users (admins only): the accounts (never their password hashes), a form to add one (role, team for a team
lead, an initial password of at least 8 characters, stored as an argon2id hash), and disabling or re-enabling an
account (its sessions stop at once; its reviews stay in the trail). The same as ``audit users add / list / disable``."""

import streamlit as st

from app_pages import common
from app_pages.i18n import label, t
from audit import accounts, display
from audit.errors import AuditError
from audit.reviewapp.access import user_table

account = common.signed_in("users")
st.title(t("users.title"))
store = common.store()

flash = st.session_state.pop("users_flash", None)
if flash:
    st.success(flash)

rows = user_table(store)
st.dataframe([{t("users.username"): r["username"], t("users.display_name"): r["display_name"],
               t("users.role"): label("role", r["role"]), t("col.team"): r["team"],
               t("users.enabled"): t("yes") if r["enabled"] else t("no"), t("users.created"): r["created_at"]}
              for r in rows],
             hide_index=True, key="users_table")

st.subheader(t("users.add"))
with st.form("users_add_form"):
    left, right = st.columns(2)
    username = left.text_input(t("users.username"), key="users_new_username", help=t("users.username_help"))
    display_name = right.text_input(t("users.display_name"), key="users_new_display_name")
    role = left.selectbox(t("users.role"), list(accounts.ROLES), format_func=lambda r: label("role", r),
                          key="users_new_role")
    team = right.text_input(t("users.team"), key="users_new_team",
                            help=t("users.team_help", teams="、".join(common.filter_options(common.db_location())
                                                                       .get("teams", [])) or "–"))
    password = left.text_input(t("auth.password"), type="password", key="users_new_password",
                               autocomplete="new-password")
    again = right.text_input(t("users.password_again"), type="password", key="users_new_password_again",
                             autocomplete="new-password")
    add = st.form_submit_button(t("users.add_button"), key="users_add", type="primary")
if add:
    if password != again:
        st.error(t("users.password_mismatch"))
    else:
        try:
            created = accounts.create_account(store, username, password, role,
                                              team.strip() if role == "team_lead" else None,
                                              display_name.strip() or None)
        except AuditError as error:
            st.error(str(error))
        else:
            st.session_state["users_flash"] = t("users.added", username=created.username,
                                                role=label("role", created.role))
            st.rerun()

st.subheader(t("users.disable"))
others = [r for r in rows if r["username"] != account.username]  # an admin cannot lock themselves out
if not others:
    st.info(t("users.no_others"))
else:
    pick_left, pick_right = st.columns([3, 1], vertical_alignment="bottom")
    picked = pick_left.selectbox(t("users.pick"), [r["username"] for r in others], key="users_pick",
                                 format_func=lambda u: next(f"{u} ({label('role', r['role'])}, "
                                                            f"{t('users.on') if r['enabled'] else t('users.off')})"
                                                            for r in others if r["username"] == u))
    enabled = next(r["enabled"] for r in others if r["username"] == picked)
    if pick_right.button(t("users.disable_button") if enabled else t("users.enable_button"), key="users_toggle"):
        who = common.signed_in("users")  # still an enabled admin when the button is pressed
        if picked != who.username:
            store.update_user(picked, disabled=enabled)
            st.session_state["users_flash"] = t("users.disabled" if enabled else "users.enabled_again",
                                                username=picked)
        st.rerun()

st.subheader(t("users.failures"))
failures = display.failed_sign_in_table(store)
if failures:
    st.dataframe([{t("users.username"): row["username"], t("users.failure_at"): row["at"]} for row in failures],
                 hide_index=True, key="users_failures")
else:
    st.info(t("users.no_failures"))
