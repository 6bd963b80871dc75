"""The review app's accounts and their sign-in attempts. Only a password hash is stored; hashing and checking
passwords, and how long a try must wait after failures, is audit.accounts'."""

from __future__ import annotations

from typing import Any, Callable

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from audit.storage.schema import SignInAttemptRow, StorageError, UserRow, utc_timestamp


class UserAccounts:
    """The users' part of ``Store``; each method is one transaction of ``session``."""

    session: Callable[[], Session]

    def add_user(self, username: str, display_name: str, role: str, team: str | None, password_hash: str) -> UserRow:
        with self.session() as session, session.begin():
            if session.scalar(select(UserRow).where(UserRow.username == username)) is not None:
                raise StorageError(None, f"user '{username}' already exists")
            row = UserRow(username=username, display_name=display_name, role=role, team=team,
                          password_hash=password_hash, disabled=False, created_at=utc_timestamp())
            session.add(row)
        return row

    def user(self, username: str) -> UserRow | None:
        with self.session() as session:
            return session.scalar(select(UserRow).where(UserRow.username == username))

    def users(self) -> list[UserRow]:
        with self.session() as session:
            return list(session.scalars(select(UserRow).order_by(UserRow.username)))

    def update_user(self, username: str, **changes: Any) -> UserRow:
        """Change a user's password hash, role, team, name or disabled flag."""
        with self.session() as session, session.begin():
            row = session.scalar(select(UserRow).where(UserRow.username == username))
            if row is None:
                raise StorageError(None, f"there is no user '{username}'")
            for name, value in changes.items():
                setattr(row, name, value)
        return row

    def record_sign_in(self, username: str, succeeded: bool, at: str | None = None) -> None:
        """Note one try at the sign-in form (``at``: ISO 8601 UTC, default now)."""
        with self.session() as session, session.begin():
            session.add(SignInAttemptRow(username=username[:100], created_at=at or utc_timestamp(),
                                         succeeded=succeeded))

    def failures_since_success(self, username: str) -> tuple[int, str | None]:
        """How many tries for ``username`` failed since its last successful sign-in, and when the last one was."""
        with self.session() as session:
            last_success = session.scalar(select(func.max(SignInAttemptRow.id)).where(
                SignInAttemptRow.username == username, SignInAttemptRow.succeeded.is_(True))) or 0
            count, last = session.execute(select(func.count(), func.max(SignInAttemptRow.created_at)).where(
                SignInAttemptRow.username == username, SignInAttemptRow.succeeded.is_(False),
                SignInAttemptRow.id > last_success)).one()
            return count, last

    def failed_sign_ins(self, limit: int = 200) -> list[SignInAttemptRow]:
        """The latest failed tries, newest first."""
        with self.session() as session:
            return list(session.scalars(select(SignInAttemptRow).where(SignInAttemptRow.succeeded.is_(False))
                                        .order_by(SignInAttemptRow.id.desc()).limit(limit)))
