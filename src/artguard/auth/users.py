"""Platform users: create, look up, change role or password, disable; stored in ``users``.

Usernames are case-insensitive (stored lower-case). Passwords are kept only as argon2id hashes.
This module changes rows and nothing else; :class:`artguard.auth.service.AuthService` adds the
audit entries and ends sessions when a password changes or a user is disabled.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine, Row, func, select, update

from artguard.auth.passwords import Passwords, check_policy
from artguard.auth.roles import check_role
from artguard.events import new_id, utcnow
from artguard.store.db import writing
from artguard.store.tables import users

USERNAME = re.compile(r"^[a-z0-9][a-z0-9._@-]{1,63}$")


class UserError(ValueError):
    """A bad username, role or password; the message starts with the field's name."""


class UserNotFound(LookupError):
    def __init__(self, username: str) -> None:
        super().__init__(f"no user {username!r}")
        self.username = username


@dataclass(frozen=True)
class User:
    id: str
    username: str
    role: str
    disabled: bool
    created_time: datetime
    password_changed_time: datetime
    last_sign_in_time: datetime | None

    def as_dict(self) -> dict[str, object]:
        return {
            "username": self.username,
            "role": self.role,
            "disabled": self.disabled,
            "created_time": self.created_time.isoformat(),
            "password_changed_time": self.password_changed_time.isoformat(),
            "last_sign_in_time": (
                self.last_sign_in_time.isoformat() if self.last_sign_in_time else None
            ),
        }


def normalise_username(username: str) -> str:
    """The stored form (trimmed, lower-case); :class:`UserError` when it is not allowed."""
    name = username.strip().lower()
    if not USERNAME.match(name):
        raise UserError(
            f"username: {username!r} must be 2-64 characters: letters, digits, '.', '_', '@' "
            "or '-', starting with a letter or digit"
        )
    return name


def _user(row: Row) -> User:
    return User(
        id=row.id,
        username=row.username,
        role=row.role,
        disabled=bool(row.disabled),
        created_time=row.created_time,
        password_changed_time=row.password_changed_time,
        last_sign_in_time=row.last_sign_in_time,
    )


class Users:
    def __init__(self, engine: Engine, passwords: Passwords | None = None) -> None:
        self._engine = engine
        self.passwords = passwords or Passwords()

    def create(self, username: str, password: str, role: str) -> User:
        """A new enabled user; :class:`UserError` for a taken name, bad role or weak password."""
        name = normalise_username(username)
        _check_role(role)
        _check_password(password, name)
        if self.get(name) is not None:
            raise UserError(f"username: {name!r} is taken")
        now = utcnow()
        values = {
            "id": new_id()[:32],
            "username": name,
            "role": role,
            "password_hash": self.passwords.hash(password),
            "disabled": False,
            "created_time": now,
            "updated_time": now,
            "password_changed_time": now,
            "last_sign_in_time": None,
        }
        with writing(self._engine) as conn:
            conn.execute(users.insert().values(**values))
        return self._require(name)

    def get(self, username: str) -> User | None:
        with self._engine.connect() as conn:
            row = conn.execute(
                select(users).where(users.c.username == username.strip().lower())
            ).first()
        return _user(row) if row else None

    def list(self) -> list[User]:
        with self._engine.connect() as conn:
            return [_user(r) for r in conn.execute(select(users).order_by(users.c.username))]

    def count_enabled(self, role: str) -> int:
        with self._engine.connect() as conn:
            return conn.execute(
                select(func.count())
                .select_from(users)
                .where(users.c.role == role, users.c.disabled.is_(False))
            ).scalar_one()

    def authenticate(self, username: str, password: str) -> User | None:
        """The enabled user whose password this is; None otherwise (same cost either way)."""
        with self._engine.connect() as conn:
            row = conn.execute(
                select(users).where(users.c.username == username.strip().lower())
            ).first()
        stored = row.password_hash if row else None
        if not self.passwords.verify(stored, password) or row is None or row.disabled:
            return None
        if self.passwords.needs_rehash(row.password_hash):
            self._set_hash(row.id, self.passwords.hash(password), changed=False)
        return _user(row)

    def set_role(self, username: str, role: str) -> tuple[User, str]:
        """Give ``username`` ``role``; returns the user and the role it had."""
        _check_role(role)
        user = self._require(username)
        self._update(user.id, role=role)
        return self._require(username), user.role

    def set_disabled(self, username: str, disabled: bool) -> User:
        user = self._require(username)
        self._update(user.id, disabled=disabled)
        return self._require(username)

    def set_password(self, username: str, password: str) -> User:
        user = self._require(username)
        _check_password(password, user.username)
        self._set_hash(user.id, self.passwords.hash(password), changed=True)
        return self._require(username)

    def signed_in(self, user_id: str) -> None:
        self._update(user_id, last_sign_in_time=utcnow(), touch=False)

    def _require(self, username: str) -> User:
        user = self.get(username)
        if user is None:
            raise UserNotFound(username.strip().lower())
        return user

    def _set_hash(self, user_id: str, password_hash: str, *, changed: bool) -> None:
        values: dict[str, object] = {"password_hash": password_hash}
        if changed:
            values["password_changed_time"] = utcnow()
        self._update(user_id, **values)

    def _update(self, user_id: str, touch: bool = True, **values: object) -> None:
        if touch:
            values["updated_time"] = utcnow()
        with writing(self._engine) as conn:
            conn.execute(update(users).where(users.c.id == user_id).values(**values))


def _check_role(role: str) -> None:
    try:
        check_role(role)
    except ValueError as exc:
        raise UserError(f"role: {exc}") from None


def _check_password(password: str, username: str) -> None:
    try:
        check_policy(password, username)
    except ValueError as exc:
        raise UserError(str(exc)) from None
