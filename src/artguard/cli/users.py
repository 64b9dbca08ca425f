"""``artguard users ...``: platform users from the command line.

There is no default password: on a new installation ``artguard users create-admin`` makes the
first admin, who adds the others here or in the API. Every change is audited with actor
``cli``; passwords are read from a hidden prompt or, for scripts, one line of stdin
(``--password-stdin``), never from the command line where ``ps`` would show them.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

import typer

from artguard.auth import AuthPolicy, AuthService, UserError, UserNotFound
from artguard.auth.roles import ROLES
from artguard.cli.service import DatabaseUrl, DataDir, settings_from
from artguard.config import ConfigError

ACTOR = "cli"
ADMIN = "admin"

users_app = typer.Typer(help="Platform users: the first admin, roles, passwords.")

PasswordStdin = Annotated[
    bool, typer.Option("--password-stdin", help="Read the password from one line of stdin.")
]
Username = Annotated[str, typer.Argument(help="The user's name (case-insensitive).")]


@contextmanager
def _service(data_dir: DataDir, database_url: DatabaseUrl) -> Iterator[AuthService]:
    from artguard.store.audit import AuditLog
    from artguard.store.db import open_database

    settings = settings_from(data_dir, database_url)
    try:
        policy = AuthPolicy.from_environ(settings.environ)
    except ConfigError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    engine = open_database(settings)
    try:
        yield AuthService(engine, AuditLog(engine), policy)
    except (UserError, UserNotFound) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from exc
    finally:
        engine.dispose()


def _password(from_stdin: bool) -> str:
    if from_stdin:
        line = sys.stdin.readline()
        if not line:
            typer.echo("error: --password-stdin: no line on stdin", err=True)
            raise typer.Exit(2)
        return line.rstrip("\r\n")
    return typer.prompt("Password", hide_input=True, confirmation_prompt=True)


def _role(role: str) -> str:
    if role not in ROLES:
        typer.echo(
            f"error: --role: unknown role {role!r}; expected one of {', '.join(ROLES)}", err=True
        )
        raise typer.Exit(2)
    return role


@users_app.command("create-admin")
def create_admin(
    username: Annotated[str, typer.Option(help="The admin's username.")] = "admin",
    password_stdin: PasswordStdin = False,
    force: Annotated[
        bool, typer.Option("--force", help="Create it even if an enabled admin exists.")
    ] = False,
    data_dir: DataDir = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Create the first admin (refused when an enabled admin exists, unless --force)."""
    with _service(data_dir, database_url) as auth:
        if auth.users.count_enabled(ADMIN) and not force:
            typer.echo(
                "error: an enabled admin exists already; use --force to add another", err=True
            )
            raise typer.Exit(1)
        user = auth.create_user(ACTOR, username, _password(password_stdin), ADMIN)
        typer.echo(f"created admin {user.username!r}")


@users_app.command("add")
def add(
    username: Username,
    role: Annotated[str, typer.Option("--role", "-r", help=f"One of {', '.join(ROLES)}.")],
    password_stdin: PasswordStdin = False,
    data_dir: DataDir = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Add a user with a role."""
    with _service(data_dir, database_url) as auth:
        user = auth.create_user(ACTOR, username, _password(password_stdin), _role(role))
        typer.echo(f"created {user.role} {user.username!r}")


@users_app.command("list")
def list_users(data_dir: DataDir = None, database_url: DatabaseUrl = None) -> None:
    """Users, roles, state and last sign-in (never passwords)."""
    with _service(data_dir, database_url) as auth:
        for user in auth.users.list():
            state = "disabled" if user.disabled else "active"
            last = f"{user.last_sign_in_time:%Y-%m-%d %H:%M}" if user.last_sign_in_time else "never"
            typer.echo(f"{user.username:<24} {user.role:<11} {state:<9} last sign-in {last}")


@users_app.command("set-role")
def set_role(
    username: Username,
    role: Annotated[str, typer.Argument(help=f"One of {', '.join(ROLES)}.")],
    data_dir: DataDir = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Give a user another role (audited)."""
    with _service(data_dir, database_url) as auth:
        user = auth.set_role(ACTOR, username, _role(role))
        typer.echo(f"{user.username!r} is now {user.role}")


@users_app.command("disable")
def disable(username: Username, data_dir: DataDir = None, database_url: DatabaseUrl = None) -> None:
    """Disable a user: their sessions end and they can no longer sign in."""
    with _service(data_dir, database_url) as auth:
        user = auth.set_disabled(ACTOR, username, True)
        typer.echo(f"disabled {user.username!r}")


@users_app.command("enable")
def enable(username: Username, data_dir: DataDir = None, database_url: DatabaseUrl = None) -> None:
    """Enable a disabled user again."""
    with _service(data_dir, database_url) as auth:
        user = auth.set_disabled(ACTOR, username, False)
        typer.echo(f"enabled {user.username!r}")


@users_app.command("passwd")
def passwd(
    username: Username,
    password_stdin: PasswordStdin = False,
    data_dir: DataDir = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Set a user's password; their sessions end."""
    with _service(data_dir, database_url) as auth:
        user = auth.change_password(ACTOR, username, _password(password_stdin))
        typer.echo(f"password of {user.username!r} changed; their sessions ended")


@users_app.command("unlock")
def unlock(username: Username, data_dir: DataDir = None, database_url: DatabaseUrl = None) -> None:
    """Clear a username's failed sign-ins, ending its lock-out."""
    with _service(data_dir, database_url) as auth:
        if auth.users.get(username) is None:
            raise UserNotFound(username)
        cleared = auth.unlock(ACTOR, username)
        typer.echo(f"unlocked {username.strip().lower()!r} ({cleared} failed sign-ins cleared)")


def register(app: typer.Typer) -> None:
    app.add_typer(users_app, name="users")
