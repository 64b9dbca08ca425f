"""``artguard users ...`` and ``artguard tokens rotate`` as an administrator runs them."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from artguard.auth import AuthService
from artguard.cli import app
from artguard.config import Settings
from artguard.ingest.tokens import DeviceTokens
from artguard.store.audit import AuditLog
from artguard.store.db import open_database
from tests.conftest import TEST_PASSWORD

runner = CliRunner()


def _auth(data_dir: Path) -> AuthService:
    engine = open_database(Settings(data_dir=data_dir))
    return AuthService(engine, AuditLog(engine))


def test_first_admin_then_users_roles_and_passwords(tmp_path: Path) -> None:
    data = ["--data-dir", str(tmp_path / "var")]
    stdin = TEST_PASSWORD + "\n"
    first = runner.invoke(app, ["users", "create-admin", "--password-stdin", *data], input=stdin)
    assert first.exit_code == 0, first.output
    again = runner.invoke(app, ["users", "create-admin", "--password-stdin", *data], input=stdin)
    assert again.exit_code == 1 and "--force" in again.output
    forced = runner.invoke(
        app,
        ["users", "create-admin", "--username", "admin2", "--force", "--password-stdin", *data],
        input=stdin,
    )
    assert forced.exit_code == 0, forced.output

    weak = runner.invoke(
        app, ["users", "add", "sam", "--role", "operator", "--password-stdin", *data], input="sam\n"
    )
    assert weak.exit_code == 1 and "at least 12" in weak.output
    bad_role = runner.invoke(
        app, ["users", "add", "sam", "--role", "boss", "--password-stdin", *data], input=stdin
    )
    assert bad_role.exit_code == 2 and "unknown role" in bad_role.output
    added = runner.invoke(
        app, ["users", "add", "sam", "--role", "operator", "--password-stdin", *data], input=stdin
    )
    assert added.exit_code == 0, added.output
    assert runner.invoke(app, ["users", "set-role", "sam", "supervisor", *data]).exit_code == 0
    assert runner.invoke(app, ["users", "disable", "sam", *data]).exit_code == 0
    listed = runner.invoke(app, ["users", "list", *data]).output
    assert "sam" in listed and "supervisor" in listed and "disabled" in listed
    assert runner.invoke(app, ["users", "enable", "sam", *data]).exit_code == 0
    changed = runner.invoke(
        app,
        ["users", "passwd", "sam", "--password-stdin", *data],
        input="another fine passphrase\n",
    )
    assert changed.exit_code == 0, changed.output
    assert runner.invoke(app, ["users", "disable", "ghost", *data]).exit_code == 1

    auth = _auth(tmp_path / "var")
    assert auth.users.authenticate("sam", "another fine passphrase") is not None
    assert auth.users.authenticate("admin", TEST_PASSWORD) is not None
    actions = [(e.actor, e.action, e.subject) for e in auth.audit.entries(limit=100)]
    assert ("cli", "user.created", "admin") in actions
    assert ("cli", "user.role_changed", "sam") in actions
    assert ("cli", "auth.password_changed", "sam") in actions
    assert ("cli", "user.enabled", "sam") in actions


def test_unlock_clears_a_lock_out(tmp_path: Path) -> None:
    auth = _auth(tmp_path / "var")
    auth.create_user("cli", "tina", TEST_PASSWORD, "operator")
    for _ in range(5):
        auth.throttle.record_failure("tina", "10.0.0.1")
    assert auth.throttle.lock("tina", "10.0.0.2") is not None
    result = runner.invoke(app, ["users", "unlock", "tina", "--data-dir", str(tmp_path / "var")])
    assert result.exit_code == 0 and "5 failed" in result.output
    assert auth.throttle.lock("tina", "10.0.0.2") is None


def test_tokens_rotate_from_the_cli(tmp_path: Path) -> None:
    data = ["--data-dir", str(tmp_path / "var")]
    tokens = DeviceTokens(open_database(Settings(data_dir=tmp_path / "var")))
    old_id, old = tokens.create("panel", ["r-front"])
    result = runner.invoke(app, ["tokens", "rotate", old_id, "--grace", "3600", *data])
    assert result.exit_code == 0, result.output
    new = result.output.split("token:")[1].split()[0]
    assert tokens.verify(new) is not None and tokens.verify(old) is not None  # grace
    assert "retiring" in runner.invoke(app, ["tokens", "list", *data]).output
    assert runner.invoke(app, ["tokens", "rotate", "nope", *data]).exit_code == 1
