"""Who may do what: review-app accounts, password hashing, signed sessions, and the rules of each role.

Roles:
- ``reviewer`` reviews any call (upholds, dismisses, changes severities) and runs batch audits;
- ``team_lead`` sees and coaches their own team's agents and calls only;
- ``admin`` does everything, and alone manages users, exports packages and sees the rule-pack administration.

Sign-in tries are counted per user name (``sign_in``): after ``FREE_FAILURES`` failures in a row the next try waits a
minute, and each further failure doubles the wait; a success starts the count again. Every try is recorded (user
name, time, outcome), so an admin sees the failures on the users page.

Passwords are hashed with argon2id (argon2-cffi's defaults, RFC 9106 low-memory profile). The app keeps only a
signed session token in Streamlit's session state; every page re-reads the account from the database through it, so
editing the session state (a role, a team, another user name) grants nothing: a forged token fails its signature and
a disabled account stops working at once.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from audit import settings
from audit.errors import AuditError

ROLES = ("reviewer", "team_lead", "admin")
SESSION_TTL_S = 12 * 3600  # a working day: a forgotten browser tab does not stay signed in forever
_HASHER = PasswordHasher()
# Verifying against this when the user does not exist costs the same time, so response time does not reveal names.
_DUMMY_HASH = _HASHER.hash("not a password")


class AccessError(AuditError):
    """The signed-in user may not do this (or nobody is signed in)."""


@dataclass(frozen=True)
class Account:
    username: str
    display_name: str
    role: str
    team: str | None = None

    @property
    def label(self) -> str:
        """How the account appears in the review trail and export log: the display name and the login."""
        return f"{self.display_name} ({self.username})"


def hash_password(password: str) -> str:
    if len(password) < 8:
        raise AccessError(None, "a password needs at least 8 characters")
    return _HASHER.hash(password)


def create_account(store, username: str, password: str, role: str, team: str | None = None,
                   display_name: str | None = None) -> Account:
    username = username.strip()
    if not username or any(ch.isspace() for ch in username):
        raise AccessError(None, "a user name must be non-empty and contain no spaces")
    if role not in ROLES:
        raise AccessError(None, f"role '{role}' is not one of {', '.join(ROLES)}")
    if role == "team_lead" and not team:
        raise AccessError(None, "a team lead needs the team they lead (--team)")
    row = store.add_user(username, (display_name or username).strip(), role, team or None, hash_password(password))
    return _account(row)


def authenticate(store, username: str, password: str) -> Account | None:
    """The account when the password is right and the account is enabled; None otherwise (no reason given)."""
    row = store.user(username.strip())
    try:
        _HASHER.verify(row.password_hash if row else _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        return None
    if row is None or row.disabled:
        return None
    if _HASHER.check_needs_rehash(row.password_hash):  # parameters raised since the hash was made
        store.update_user(row.username, password_hash=_HASHER.hash(password))
    return _account(row)


FREE_FAILURES = 5  # failures in a row before tries must wait: enough for typos, far too few for guessing
FIRST_WAIT_S = 60
LONGEST_WAIT_S = 24 * 3600  # the doubling stops at a day


@dataclass(frozen=True)
class SignIn:
    """What a try at the sign-in form came to: the account, or None and how many seconds until the next try is
    heard (0: the name or password was wrong, try again now)."""
    account: Account | None
    wait_s: float = 0.0


def wait_after(failures: int) -> float:
    """How long after the latest of ``failures`` failures in a row the next try must wait, in seconds."""
    if failures < FREE_FAILURES:
        return 0.0
    return float(min(FIRST_WAIT_S * 2 ** min(failures - FREE_FAILURES, 30), LONGEST_WAIT_S))


def sign_in(store, username: str, password: str, now: float | None = None) -> SignIn:
    """Check a try at the sign-in form, unless the user name must still wait after its failures: then the password
    is not even checked. Every checked try is recorded; the answer never says whether the name exists."""
    now = now if now is not None else time.time()
    username = username.strip()
    failures, last = store.failures_since_success(username)
    if failures >= FREE_FAILURES and last:
        remaining = datetime.fromisoformat(last).timestamp() + wait_after(failures) - now
        if remaining > 0:
            return SignIn(None, remaining)
    account = authenticate(store, username, password)
    store.record_sign_in(username, account is not None, _iso(now))
    if account is None:
        return SignIn(None, wait_after(failures + 1))
    return SignIn(account)


def _iso(epoch_s: float) -> str:
    """As every ``created_at`` column stores a moment (storage's ``utc_timestamp``), so they sort as text."""
    return datetime.fromtimestamp(epoch_s, timezone.utc).isoformat(timespec="microseconds")


def _account(row) -> Account:
    return Account(row.username, row.display_name, row.role, row.team)


# -- sessions -----------------------------------------------------------------------------------------------------------

def session_secret(data_dir: str | Path) -> bytes:
    """``AUDIT_SESSION_SECRET``, or a random key kept in the data directory (created once, readable by owner only)."""
    configured = settings.session_secret()
    if configured:
        return configured.encode("utf-8")
    path = Path(data_dir) / ".session_secret"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as handle:
            handle.write(secrets.token_hex(32))
    return path.read_text().strip().encode("utf-8")


def issue_token(account: Account, secret: bytes, now: float | None = None) -> str:
    issued = int(now if now is not None else time.time())
    payload = f"{account.username}|{issued}"
    return f"{payload}|{_sign(payload, secret)}"


def account_from_token(store, token: object, secret: bytes, now: float | None = None) -> Account | None:
    """The account a session token stands for, read fresh from the database; None for anything not genuine,
    expired, or of a user since disabled or deleted."""
    if not isinstance(token, str) or token.count("|") != 2:
        return None
    username, issued, signature = token.split("|")
    if not hmac.compare_digest(signature, _sign(f"{username}|{issued}", secret)):
        return None
    if not issued.isdigit() or (now if now is not None else time.time()) - int(issued) > SESSION_TTL_S:
        return None
    row = store.user(username)
    return None if row is None or row.disabled else _account(row)


def _sign(payload: str, secret: bytes) -> str:
    return hmac.new(secret, payload.encode("utf-8"), hashlib.sha256).hexdigest()


# -- what each role may do ------------------------------------------------------------------------------------------

PERMISSIONS = {
    "review": {"reviewer", "admin"},  # verdicts and severity changes on findings
    "appeal": {"reviewer", "team_lead", "admin"},  # a team lead files an agent's appeal (申诉)
    "batch": {"reviewer", "admin"},
    "export": {"admin"},
    "users": {"admin"},
    "rule_pack": {"reviewer", "team_lead", "admin"},  # browsing and trying rules; editing is done in git
    "qa_settings": {"admin"},  # the precision under which rules are listed for attention
}


def allowed(account: Account | None, action: str) -> bool:
    return account is not None and account.role in PERMISSIONS[action]


def require(account: Account | None, action: str) -> Account:
    if account is None:
        raise AccessError(None, "sign in first")
    if not allowed(account, action):
        raise AccessError(None, f"a {account.role} may not {action.replace('_', ' ')}")
    return account


def team_scope(account: Account) -> str | None:
    """The one team whose calls and agents this account may see, or None for all teams."""
    return account.team if account.role == "team_lead" else None


def can_open_call(account: Account | None, call_team: str | None) -> bool:
    if account is None:
        return False
    scope = team_scope(account)
    return scope is None or call_team == scope
