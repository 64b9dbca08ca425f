"""The auth building blocks without HTTP: passwords, users, sessions, throttling."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine

from artguard.auth import AuthPolicy, AuthService, SignInFailed, SignInThrottled, UserError
from artguard.auth.passwords import PasswordRejected, Passwords, check_policy
from artguard.config import ConfigError, Settings
from artguard.store.audit import AuditLog
from artguard.store.db import open_database
from tests.conftest import TEST_PASSWORD


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kwargs: float) -> None:
        self.now += timedelta(**kwargs)


@pytest.fixture
def engine(tmp_path: Path) -> Engine:
    return open_database(Settings(data_dir=tmp_path / "var"))


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def auth(engine: Engine, clock: Clock) -> AuthService:
    return AuthService(engine, AuditLog(engine), AuthPolicy(), clock=clock)


def test_passwords_are_argon2id_salted_and_verified() -> None:
    passwords = Passwords()
    first, second = passwords.hash(TEST_PASSWORD), passwords.hash(TEST_PASSWORD)
    assert first.startswith("$argon2id$") and first != second  # salted
    assert passwords.verify(first, TEST_PASSWORD)
    assert not passwords.verify(first, TEST_PASSWORD + "!")
    assert not passwords.verify(None, TEST_PASSWORD)  # unknown user: false, same work
    assert not passwords.verify("not a hash", TEST_PASSWORD)
    assert not passwords.verify(first, "x" * 5000)


@pytest.mark.parametrize(
    ("password", "username", "rule"),
    [
        ("short pass", "anna", "at least 12"),
        ("AnnaSmith2026", "annasmith2026", "username"),
        ("annasmith2026annasmith", "annasmith2026", "username"),
        ("x" * 1025, "anna", "at most"),
    ],
)
def test_the_password_policy_names_the_rule(password: str, username: str, rule: str) -> None:
    with pytest.raises(PasswordRejected, match=rule):
        check_policy(password, username)


def test_a_long_password_containing_the_username_is_fine() -> None:
    check_policy("anna likes the late turner paintings", "anna")


def test_users_are_validated_and_case_insensitive(auth: AuthService) -> None:
    user = auth.create_user("cli", " Anna.Smith ", TEST_PASSWORD, "curator")
    assert user.username == "anna.smith" and not user.disabled
    assert auth.users.get("ANNA.SMITH") == user
    for bad, field in [
        (("anna.smith", TEST_PASSWORD, "curator"), "username"),
        (("x", TEST_PASSWORD, "curator"), "username"),
        (("bob", TEST_PASSWORD, "root"), "role"),
        (("bob", "bob", "operator"), "password"),
    ]:
        with pytest.raises(UserError, match=f"^{field}: "):
            auth.create_user("cli", *bad)


def test_sign_in_and_sessions_follow_the_clock(auth: AuthService, clock: Clock) -> None:
    auth.create_user("cli", "olga", TEST_PASSWORD, "operator")
    done = auth.sign_in("olga", TEST_PASSWORD, "10.0.0.5")
    assert auth.resolve(done.token) == done.principal
    assert done.principal.can("incidents.act") and not done.principal.can("users.manage")
    clock.advance(minutes=59)
    assert auth.resolve(done.token) is not None  # touched: idle time starts again
    clock.advance(minutes=59)
    assert auth.resolve(done.token) is not None
    clock.advance(minutes=60)
    assert auth.resolve(done.token) is None  # idle for an hour
    busy = auth.sign_in("olga", TEST_PASSWORD, "10.0.0.5")
    for _ in range(24):
        clock.advance(minutes=30)
        alive = auth.resolve(busy.token)
    assert alive is None  # 12 h however busy
    assert auth.resolve("made-up") is None and auth.resolve(None) is None


def test_only_a_hash_of_the_session_token_is_stored(auth: AuthService, engine: Engine) -> None:
    auth.create_user("cli", "pete", TEST_PASSWORD, "operator")
    done = auth.sign_in("pete", TEST_PASSWORD, "10.0.0.5")
    with engine.connect() as conn:
        dump = str([tuple(r) for r in conn.exec_driver_sql("SELECT * FROM user_sessions")])
    assert done.token not in dump and done.principal.csrf_token not in dump


def test_lock_out_lasts_its_time_then_one_more_try(auth: AuthService, clock: Clock) -> None:
    auth.create_user("cli", "quinn", TEST_PASSWORD, "operator")
    for _ in range(5):
        with pytest.raises(SignInFailed):
            auth.sign_in("quinn", "not the password", "10.0.0.9")
    with pytest.raises(SignInThrottled) as throttled:
        auth.sign_in("quinn", TEST_PASSWORD, "10.0.0.9")
    assert throttled.value.retry_after_s == 15 * 60
    clock.advance(minutes=10)
    with pytest.raises(SignInThrottled) as throttled:
        auth.sign_in("quinn", TEST_PASSWORD, "10.0.0.9")
    assert throttled.value.retry_after_s == 5 * 60
    clock.advance(minutes=5)
    assert auth.sign_in("quinn", TEST_PASSWORD, "10.0.0.9").principal.username == "quinn"
    with pytest.raises(SignInFailed):  # the good sign-in cleared the count
        auth.sign_in("quinn", "not the password", "10.0.0.9")
    assert auth.sign_in("quinn", TEST_PASSWORD, "10.0.0.9")


def test_hammering_a_locked_account_cannot_flood_the_audit_log(auth: AuthService) -> None:
    auth.create_user("cli", "sara", TEST_PASSWORD, "operator")
    for _ in range(5):
        with pytest.raises(SignInFailed):
            auth.sign_in("sara", "not the password", "10.0.0.9")
    for _ in range(50):
        with pytest.raises(SignInThrottled):
            auth.sign_in("sara", TEST_PASSWORD, "10.0.0.9")
    refused = [
        e
        for e in auth.audit.entries(action="auth.sign_in_failed", limit=100)
        if e.details["reason"].startswith("locked")
    ]
    assert len(refused) == 1 and refused[0].details["attempts"] == 1  # then one a minute


def test_old_failures_fall_out_of_the_window(auth: AuthService, clock: Clock) -> None:
    auth.create_user("cli", "rita", TEST_PASSWORD, "operator")
    for _ in range(4):
        with pytest.raises(SignInFailed):
            auth.sign_in("rita", "not the password", "10.0.0.9")
    clock.advance(minutes=16)
    with pytest.raises(SignInFailed):  # only one failure within the last 15 minutes
        auth.sign_in("rita", "not the password", "10.0.0.9")
    assert auth.sign_in("rita", TEST_PASSWORD, "10.0.0.9")


def test_policy_from_the_environment_names_a_bad_variable() -> None:
    policy = AuthPolicy.from_environ(
        {"ARTGUARD_COOKIE_SECURE": "false", "ARTGUARD_SESSION_IDLE_MINUTES": "5"}
    )
    assert not policy.cookie_secure and policy.session_idle == timedelta(minutes=5)
    assert policy.cookie_name == "artguard_session"
    with pytest.raises(ConfigError, match="ARTGUARD_LOGIN_MAX_FAILURES"):
        AuthPolicy.from_environ({"ARTGUARD_LOGIN_MAX_FAILURES": "0"})
    with pytest.raises(ConfigError, match="ARTGUARD_COOKIE_SECURE"):
        AuthPolicy.from_environ({"ARTGUARD_COOKIE_SECURE": "maybe"})
