"""The review app's accounts. Only a password hash is stored; hashing and checking passwords is audit.accounts'."""

from __future__ import annotations

from typing import Any, Callable

from sqlalchemy import select
from sqlalchemy.orm import Session

from audit.storage.schema import StorageError, UserRow, utc_timestamp


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
