"""Accounts and roles: argon2 hashes, signed sessions that survive no tampering, what each role may open."""

from __future__ import annotations

import sqlite3

import pytest
from typer.testing import CliRunner

from audit.accounts import (FIRST_WAIT_S, FREE_FAILURES, AccessError, Account, account_from_token, allowed,
                            authenticate, can_open_call, create_account, issue_token, require, session_secret, sign_in,
                            team_scope, wait_after)
from audit.cli import app
from audit.storage import Store

SECRET = b"test-secret"


@pytest.fixture
def store(tmp_path):
    store = Store(tmp_path / "audit.db")
    create_account(store, "li", "correct horse", "reviewer", display_name="质检-李")
    create_account(store, "zhao", "battery staple", "team_lead", team="一组")
    create_account(store, "root", "admin password", "admin")
    return store


def test_passwords_are_stored_only_as_argon2id_hashes(store, tmp_path):
    with sqlite3.connect(tmp_path / "audit.db") as raw:
        hashes = [row[0] for row in raw.execute("SELECT password_hash FROM users")]
    assert all(h.startswith("$argon2id$") for h in hashes)
    assert not any("correct horse" in h for h in hashes)


@pytest.mark.parametrize(
    ("username", "password", "expected"),
    [("li", "correct horse", "li"), ("li", "wrong", None), ("nobody", "correct horse", None), (" li ", "correct horse", "li")],
)
def test_sign_in_needs_the_right_password(store, username, password, expected):
    account = authenticate(store, username, password)
    assert (account.username if account else None) == expected


@pytest.mark.parametrize(("failures", "wait_s"), [(0, 0), (FREE_FAILURES - 1, 0), (FREE_FAILURES, 60),
                                                 (FREE_FAILURES + 1, 120), (FREE_FAILURES + 3, 480),
                                                 (FREE_FAILURES + 40, 24 * 3600)])
def test_the_wait_after_failures_starts_at_a_minute_and_doubles(failures, wait_s):
    assert wait_after(failures) == wait_s


def test_five_failures_make_the_next_try_wait_even_with_the_right_password(store):
    now = 1_800_000_000.0
    for attempt in range(FREE_FAILURES):
        outcome = sign_in(store, "li", "wrong guess", now=now + attempt)
        assert outcome.account is None
    assert outcome.wait_s == FIRST_WAIT_S
    blocked = sign_in(store, "li", "correct horse", now=now + 30)  # the right password, too early: not even checked
    assert blocked.account is None and blocked.wait_s == pytest.approx(FREE_FAILURES - 1 + FIRST_WAIT_S - 30)
    assert sign_in(store, "zhao", "battery staple", now=now + 30).account is not None  # other accounts are not held
    later = sign_in(store, "li", "still wrong", now=now + FREE_FAILURES + FIRST_WAIT_S)
    assert later.account is None and later.wait_s == 2 * FIRST_WAIT_S  # heard after the wait; the next wait doubles
    assert sign_in(store, "li", "correct horse", now=now + 150).account is None  # 65 + 120 s not yet passed
    assert sign_in(store, "li", "correct horse", now=now + 190).account.username == "li"
    assert sign_in(store, "li", "wrong guess", now=now + 401).wait_s == 0  # a success starts the count again


def test_failures_are_recorded_with_the_name_tried_and_the_time(store):
    sign_in(store, "li", "wrong guess", now=1_800_000_000.0)
    sign_in(store, "nobody", "whatever it is", now=1_800_000_060.0)
    sign_in(store, "li", "correct horse", now=1_800_000_120.0)
    assert [(row.username, row.created_at[:19]) for row in store.failed_sign_ins()] == [
        ("nobody", "2027-01-15T08:01:00"), ("li", "2027-01-15T08:00:00")]


def test_a_disabled_account_can_no_longer_sign_in_or_use_its_session(store):
    account = authenticate(store, "li", "correct horse")
    token = issue_token(account, SECRET)
    store.update_user("li", disabled=True)
    assert authenticate(store, "li", "correct horse") is None
    assert account_from_token(store, token, SECRET) is None


@pytest.mark.parametrize(
    "tamper",
    [
        lambda t: t.replace("zhao", "root", 1),  # another user's name with this user's signature
        lambda t: t[:-1] + ("0" if t[-1] != "0" else "1"),  # an edited signature
        lambda t: {"username": "root", "role": "admin"},  # a dict dropped into the session state
        lambda t: "root|0|",  # a hand-made token
        lambda t: None,
    ],
    ids=["other-user", "edited-signature", "dict", "hand-made", "none"],
)
def test_a_tampered_session_token_signs_in_nobody(store, tamper):
    token = issue_token(authenticate(store, "zhao", "battery staple"), SECRET)
    assert account_from_token(store, token, SECRET).username == "zhao"
    assert account_from_token(store, tamper(token), SECRET) is None


def test_a_session_expires_after_a_working_day(store):
    token = issue_token(authenticate(store, "li", "correct horse"), SECRET, now=1_000_000)
    assert account_from_token(store, token, SECRET, now=1_000_000 + 3600) is not None
    assert account_from_token(store, token, SECRET, now=1_000_000 + 13 * 3600) is None


def test_the_role_comes_from_the_database_not_the_token(store):
    token = issue_token(authenticate(store, "zhao", "battery staple"), SECRET)
    store.update_user("zhao", role="reviewer", team=None)
    assert account_from_token(store, token, SECRET).role == "reviewer"


LEAD = Account("zhao", "zhao", "team_lead", "一组")
REVIEWER = Account("li", "质检-李", "reviewer")
ADMIN = Account("root", "root", "admin")


@pytest.mark.parametrize(
    ("account", "action", "expected"),
    [(REVIEWER, "review", True), (LEAD, "review", False), (ADMIN, "review", True),
     (LEAD, "appeal", True), (REVIEWER, "export", False), (LEAD, "export", False), (ADMIN, "export", True),
     (REVIEWER, "users", False), (ADMIN, "users", True), (REVIEWER, "batch", True), (LEAD, "batch", False),
     (None, "rule_pack", False)],
)
def test_each_role_may_do_what_its_description_says(account, action, expected):
    assert allowed(account, action) is expected
    if not expected:
        with pytest.raises(AccessError):
            require(account, action)


@pytest.mark.parametrize(
    ("account", "call_team", "expected"),
    [(LEAD, "一组", True), (LEAD, "委外二组", False), (LEAD, None, False), (REVIEWER, "委外二组", True),
     (ADMIN, None, True), (None, "一组", False)],
)
def test_a_team_lead_opens_only_their_own_teams_calls(account, call_team, expected):
    assert can_open_call(account, call_team) is expected
    if account is not None:
        assert team_scope(account) == ("一组" if account is LEAD else None)


@pytest.mark.parametrize(
    ("username", "password", "role", "team", "message"),
    [("a b", "long enough", "reviewer", None, "no spaces"), ("x", "short", "reviewer", None, "at least 8"),
     ("x", "long enough", "boss", None, "not one of"), ("x", "long enough", "team_lead", None, "needs the team"),
     ("li", "long enough", "reviewer", None, "already exists")],
)
def test_bad_accounts_are_refused(store, username, password, role, team, message):
    with pytest.raises(AccessError if message != "already exists" else Exception, match=message):
        create_account(store, username, password, role, team)


def test_the_session_secret_is_created_once_and_private(tmp_path, monkeypatch):
    monkeypatch.delenv("AUDIT_SESSION_SECRET", raising=False)
    first = session_secret(tmp_path)
    assert first == session_secret(tmp_path) and len(first) == 64
    assert (tmp_path / ".session_secret").stat().st_mode & 0o077 == 0


def test_users_command_creates_lists_and_disables(tmp_path):
    db = str(tmp_path / "audit.db")
    runner = CliRunner()
    added = runner.invoke(app, ["users", "add", "wang", "--role", "team_lead", "--team", "委外二组", "--db", db],
                          input="a long password\na long password\n")
    assert added.exit_code == 0, added.output
    listed = CliRunner(env={"COLUMNS": "200"}).invoke(app, ["users", "list", "--db", db])
    assert "wang" in listed.output and "委外二组" in listed.output and "argon2" not in listed.output
    assert runner.invoke(app, ["users", "disable", "wang", "--db", db]).exit_code == 0
    assert authenticate(Store(db), "wang", "a long password") is None
    refused = runner.invoke(app, ["users", "add", "x", "--role", "boss", "--password", "long enough", "--db", db])
    assert refused.exit_code == 2 and "not one of" in refused.output
