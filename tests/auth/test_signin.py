"""Signing in and out over HTTP: cookies, generic errors, throttling, lock-out, expiry,
logout, disabled users, CSRF, the live stream and what is audited."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import update
from starlette.websockets import WebSocketDisconnect

from artguard.site import Site
from artguard.store.tables import user_sessions
from tests.auth.conftest import make_client
from tests.conftest import TEST_PASSWORD, signed_in

LOGIN = "/api/auth/login"


def _login(client: TestClient, username: str, password: str = TEST_PASSWORD) -> Response:
    return client.post(LOGIN, json={"username": username, "password": password})


def _audit(client: TestClient, action: str) -> list:
    return client.app.state.runtime.audit.entries(action=action, limit=1000)  # type: ignore[attr-defined]


def test_login_sets_a_hardened_cookie_and_returns_the_csrf_token(client: TestClient) -> None:
    client.app.state.auth.users.create("alice", TEST_PASSWORD, "operator")  # type: ignore[attr-defined]
    response = _login(client, "Alice")  # usernames are case-insensitive
    assert response.status_code == 200
    body = response.json()
    assert body["user"] == "alice" and body["role"] == "operator"
    assert "incidents.act" in body["permissions"] and "users.manage" not in body["permissions"]
    cookie = response.headers["set-cookie"]
    assert cookie.startswith("__Host-artguard_session=")
    for attribute in ("HttpOnly", "Secure", "Path=/", "SameSite=strict"):
        assert attribute in cookie
    assert len(body["csrf_token"]) == 64
    assert response.headers["cache-control"] == "no-store"


def test_a_cross_site_form_cannot_sign_anyone_in(client: TestClient) -> None:
    """Login CSRF: a form on another site can only send form or text bodies, not JSON."""
    client.app.state.auth.users.create("zoe", TEST_PASSWORD, "operator")  # type: ignore[attr-defined]
    body = f'{{"username": "zoe", "password": "{TEST_PASSWORD}"}}'
    for content_type in ("text/plain", "application/x-www-form-urlencoded"):
        response = client.post(LOGIN, content=body, headers={"content-type": content_type})
        assert response.status_code == 422 and "set-cookie" not in response.headers


def test_plain_http_development_setting_drops_secure(tmp_path: Path, small_site: Site) -> None:
    with make_client(tmp_path / "var", small_site, {"ARTGUARD_COOKIE_SECURE": "false"}) as client:
        client.app.state.auth.users.create("bob", TEST_PASSWORD, "curator")  # type: ignore[attr-defined]
        cookie = _login(client, "bob").headers["set-cookie"]
        assert cookie.startswith("artguard_session=") and "Secure" not in cookie
        assert client.get("/api/auth/me").json()["user"] == "bob"  # the jar sends it back


def test_failed_login_is_generic_and_audited_without_the_password(client: TestClient) -> None:
    auth = client.app.state.auth  # type: ignore[attr-defined]
    auth.users.create("carol", TEST_PASSWORD, "operator")
    auth.users.create("dave", TEST_PASSWORD, "operator")
    auth.set_disabled("cli", "dave", True)
    answers = [
        _login(client, "carol", "wrong password here"),
        _login(client, "nobody-at-all", "wrong password here"),
        _login(client, "dave"),  # right password, disabled user
    ]
    assert {a.status_code for a in answers} == {401}
    assert len({a.text for a in answers}) == 1  # nothing tells the three apart
    failures = _audit(client, "auth.sign_in_failed")
    assert [f.details["reason"] for f in failures] == ["password", "no such user", "disabled"]
    assert all(f.details["address"] == "testclient" for f in failures)
    assert not any("wrong password" in str(f.details) for f in failures)
    assert not any(TEST_PASSWORD in str(e.details) for e in _audit(client, "auth.signed_in"))


def test_five_failures_lock_the_username_even_for_the_right_password(client: TestClient) -> None:
    client.app.state.auth.users.create("erin", TEST_PASSWORD, "operator")  # type: ignore[attr-defined]
    for _ in range(5):
        assert _login(client, "erin", "not the password!").status_code == 401
    locked = _login(client, "erin")
    assert locked.status_code == 429
    assert 0 < int(locked.headers["retry-after"]) <= 15 * 60
    assert len(_audit(client, "auth.locked_out")) == 1
    # other usernames from this address are not locked by erin's failures
    client.app.state.auth.users.create("frank", TEST_PASSWORD, "operator")  # type: ignore[attr-defined]
    assert _login(client, "frank").status_code == 200


def test_lock_out_survives_a_restart_and_an_admin_can_lift_it(
    tmp_path: Path, small_site: Site
) -> None:
    data = tmp_path / "var"
    with make_client(data, small_site) as client:
        client.app.state.auth.users.create("gina", TEST_PASSWORD, "operator")  # type: ignore[attr-defined]
        for _ in range(5):
            _login(client, "gina", "not the password!")
    with make_client(data, small_site) as client:
        assert _login(client, "gina").status_code == 429
        client.app.state.auth.unlock("cli", "gina")  # type: ignore[attr-defined]
        assert _login(client, "gina").status_code == 200
        assert _audit(client, "auth.unlocked")[0].details["failures"] == 5


def test_an_address_guessing_many_usernames_is_rate_limited(
    tmp_path: Path, small_site: Site
) -> None:
    env = {"ARTGUARD_LOGIN_ADDRESS_MAX_FAILURES": "4"}
    with make_client(tmp_path / "var", small_site, env) as client:
        client.app.state.auth.users.create("hank", TEST_PASSWORD, "operator")  # type: ignore[attr-defined]
        for i in range(4):
            assert _login(client, f"guess-{i}", "not the password!").status_code == 401
        assert _login(client, "hank").status_code == 429
        assert _audit(client, "auth.locked_out")[0].details["scope"] == "address"


def _age_sessions(client: TestClient, **delta: timedelta) -> None:
    engine = client.app.state.runtime.engine  # type: ignore[attr-defined]
    with engine.begin() as conn:
        for row in conn.execute(user_sessions.select()).all():
            values = {}
            if "idle" in delta:
                values["last_seen_time"] = row.last_seen_time - delta["idle"]
            if "lifetime" in delta:
                values["expires_time"] = row.expires_time - delta["lifetime"]
            conn.execute(update(user_sessions).where(user_sessions.c.id == row.id).values(**values))


def test_an_idle_session_expires(client: TestClient) -> None:
    signed_in(client, "operator")
    assert client.get("/api/incidents").status_code == 200
    _age_sessions(client, idle=timedelta(minutes=59))
    assert client.get("/api/incidents").status_code == 200  # and this use refreshes it
    _age_sessions(client, idle=timedelta(minutes=59))
    assert client.get("/api/incidents").status_code == 200
    _age_sessions(client, idle=timedelta(minutes=61))
    assert client.get("/api/incidents").status_code == 401


def test_a_busy_session_still_ends_at_its_absolute_limit(client: TestClient) -> None:
    signed_in(client, "operator")
    _age_sessions(client, lifetime=timedelta(hours=12))
    assert client.get("/api/incidents").status_code == 401


def test_logout_ends_the_session_for_good(client: TestClient) -> None:
    signed_in(client, "supervisor")
    cookie_name = client.app.state.auth.policy.cookie_name  # type: ignore[attr-defined]
    cookie = client.cookies[cookie_name]
    response = client.post("/api/auth/logout")
    assert response.status_code == 200
    assert "Max-Age=0" in response.headers["set-cookie"]
    client.cookies.set(cookie_name, cookie)  # a stolen copy of the cookie is worthless now
    assert client.get("/api/auth/me").status_code == 401
    assert [e.actor for e in _audit(client, "auth.signed_out")] == ["test-supervisor"]


def test_a_disabled_user_cannot_act_with_an_open_session(client: TestClient) -> None:
    signed_in(client, "operator", username="ivan")
    assert client.get("/api/incidents").status_code == 200
    client.app.state.auth.set_disabled("cli", "ivan", True)  # type: ignore[attr-defined]
    assert client.get("/api/incidents").status_code == 401
    assert client.post("/api/incidents/x/acknowledge", json={}).status_code == 401
    assert _login(client, "ivan").status_code == 401
    assert _audit(client, "user.disabled")[0].details["sessions_ended"] == 1


def test_changing_the_password_ends_the_other_sessions(client: TestClient) -> None:
    signed_in(client, "operator", username="judy")
    other = _login(client, "judy")  # a second device
    cookie_name = client.app.state.auth.policy.cookie_name  # type: ignore[attr-defined]
    other_cookie = other.cookies[cookie_name]
    signed_in(client, "operator", username="judy")
    weak = client.post(
        "/api/auth/password", json={"current_password": TEST_PASSWORD, "new_password": "judy"}
    )
    assert weak.status_code == 422 and weak.json()["detail"][0]["loc"] == ["body", "password"]
    wrong = client.post(
        "/api/auth/password",
        json={"current_password": "not it at all", "new_password": "a much better passphrase"},
    )
    assert wrong.status_code == 422
    assert wrong.json()["detail"][0]["loc"] == ["body", "current_password"]
    changed = client.post(
        "/api/auth/password",
        json={"current_password": TEST_PASSWORD, "new_password": "a much better passphrase"},
    )
    assert changed.status_code == 200
    assert client.get("/api/auth/me").status_code == 200  # this session stays
    client.cookies.set(cookie_name, other_cookie)
    assert client.get("/api/auth/me").status_code == 401  # the other one ended
    assert _login(client, "judy", "a much better passphrase").status_code == 200


def test_csrf_header_must_match_this_session(client: TestClient) -> None:
    signed_in(client, "supervisor")
    body = {"level": "elevated", "reason": "drill"}
    client.headers["X-CSRF-Token"] = "0" * 64
    assert client.put("/api/access/threat-level", json=body).status_code == 403
    del client.headers["X-CSRF-Token"]
    assert client.put("/api/access/threat-level", json=body).status_code == 403
    assert client.get("/api/access/threat-level").json()["level"] == "normal"  # GET needs none
    client.headers["X-CSRF-Token"] = client.get("/api/auth/me").json()["csrf_token"]
    response = client.put("/api/access/threat-level", json=body | {"actor": "someone-else"})
    assert response.status_code == 200
    entry = _audit(client, "access.threat_level")
    assert entry and entry[0].actor == "test-supervisor"  # the session's user, not the body's


def test_operator_actions_are_taken_by_the_session_user(client: TestClient) -> None:
    signed_in(client, "operator", username="kate")
    missing = client.post("/api/incidents/nope/acknowledge", json={"actor": "mallory"})
    assert missing.status_code == 404  # allowed through; the incident does not exist


def _refused(client: TestClient, url: str, **headers: str) -> WebSocketDisconnect:
    """The close a WebSocket gets, opening ``url`` and waiting for its first message."""
    with (
        pytest.raises(WebSocketDisconnect) as closed,
        client.websocket_connect(url, headers=headers) as ws,
    ):
        ws.receive_json()
    return closed.value


def test_the_live_stream_needs_a_session_and_the_kinds_permission(client: TestClient) -> None:
    assert _refused(client, "/api/stream").code == 1008
    signed_in(client, "operator")
    with client.websocket_connect("/api/stream") as ws:
        assert ws.receive_json()["kind"] == "hello"
    assert _refused(client, "/api/stream", Origin="https://evil.example").code == 1008
    signed_in(client, "auditor")
    barred = _refused(client, "/api/stream?kinds=alert,watch")
    assert barred.code == 1008 and "watch" in str(barred.reason)
    signed_in(client, "curator")
    assert _refused(client, "/api/stream").code == 1008


def test_health_is_public_but_brief_without_a_session(client: TestClient) -> None:
    public = client.get("/api/health")
    assert public.status_code == 200
    assert public.json() == {"status": "ok", "database": {"ok": True}}
    signed_in(client, "curator")
    assert client.get("/api/health").json()["site"]["id"] == "small-museum"


def test_every_sign_in_and_permission_change_is_audited(client: TestClient) -> None:
    signed_in(client, "admin", username="root-admin")
    created = client.post(
        "/api/users", json={"username": "Liam", "password": TEST_PASSWORD, "role": "operator"}
    )
    assert created.status_code == 201 and created.json()["username"] == "liam"
    assert client.patch("/api/users/liam", json={"role": "supervisor"}).status_code == 200
    assert client.patch("/api/users/liam", json={"disabled": True}).status_code == 200
    assert client.patch("/api/users/liam", json={"password": "short"}).status_code == 422
    assert client.patch("/api/users/ghost", json={"disabled": True}).status_code == 404
    bad_role = client.patch("/api/users/liam", json={"role": "root", "disabled": False})
    assert bad_role.status_code == 422 and bad_role.json()["detail"][0]["loc"] == ["body", "role"]
    users = {u["username"]: u for u in client.get("/api/users").json()}
    assert users["liam"]["role"] == "supervisor" and users["liam"]["disabled"] is True
    assert "password_hash" not in users["liam"]
    assert _audit(client, "auth.signed_in")[0].actor == "root-admin"
    assert _audit(client, "user.created")[-1].actor == "root-admin"
    role_change = _audit(client, "user.role_changed")[0]
    assert role_change.subject == "liam"
    assert role_change.details == {"from": "operator", "to": "supervisor"}
    assert _audit(client, "user.disabled")[0].subject == "liam"


def test_the_last_admin_cannot_be_demoted_or_disabled(client: TestClient) -> None:
    signed_in(client, "admin", username="only-admin")
    demote = client.patch("/api/users/only-admin", json={"role": "operator"})
    assert demote.status_code == 422 and "last enabled admin" in demote.text
    assert client.patch("/api/users/only-admin", json={"disabled": True}).status_code == 422
    assert client.get("/api/auth/me").json()["role"] == "admin"
