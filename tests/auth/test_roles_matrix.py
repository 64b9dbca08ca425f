"""Every role against every route in the table: allowed -> neither 401 nor 403 (nor 500),
denied -> 403; no session -> 401; a state change without the CSRF header -> 403."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient

from artguard.api.authz import DEVICE, PUBLIC, ROUTE_PERMISSIONS, SIGNED_IN
from artguard.api.guard import served_routes
from artguard.auth.roles import ROLE_PERMISSIONS, ROLES
from artguard.site import Site
from tests.auth.conftest import make_client
from tests.conftest import TEST_PASSWORD

STATE_CHANGING = {"POST", "PUT", "PATCH", "DELETE"}
HTTP_ROUTES = sorted(k for k in ROUTE_PERMISSIONS if k[0] != "WS")
PROTECTED = sorted(k for k, need in ROUTE_PERMISSIONS.items() if need not in {PUBLIC, DEVICE})
# Logging out ends the session the other cases share; it has its own tests.
SKIP = {("POST", "/api/auth/logout")}


@dataclass
class Session:
    cookie: str
    csrf: str


@dataclass
class World:
    client: TestClient
    sessions: dict[str, Session]
    served: set[tuple[str, str]]

    def call(self, method: str, path: str, role: str | None, csrf: bool = True) -> tuple[int, str]:
        self.client.cookies.clear()
        headers = {}
        if role is not None:
            session = self.sessions[role]
            self.client.cookies.set(self.client.app.state.auth.policy.cookie_name, session.cookie)
            if csrf:
                headers["X-CSRF-Token"] = session.csrf
        url = re.sub(r"\{[^}:]+(:[^}]+)?\}", "no-such-id", path)
        body = {} if method in STATE_CHANGING else None
        response = self.client.request(method, url, headers=headers, json=body)
        return response.status_code, response.text[:300]


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory, small_site: Site) -> Iterator[World]:
    with make_client(tmp_path_factory.mktemp("roles") / "var", small_site) as client:
        auth = client.app.state.auth  # type: ignore[attr-defined]
        sessions = {}
        for role in ROLES:
            auth.users.create(f"matrix-{role}", TEST_PASSWORD, role)
            answer = client.post(
                "/api/auth/login", json={"username": f"matrix-{role}", "password": TEST_PASSWORD}
            )
            assert answer.status_code == 200, answer.text
            cookie = answer.cookies[auth.policy.cookie_name]
            sessions[role] = Session(cookie, answer.json()["csrf_token"])
        served = {
            key
            for entry in served_routes(client.app.routes)  # type: ignore[attr-defined]
            for key in entry.table_keys()
        }
        yield World(client, sessions, served)


def _served(world: World, key: tuple[str, str]) -> None:
    if key not in world.served:
        pytest.skip(f"{key[0]} {key[1]} is in the table but not served by this app")


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("method", "path"), [k for k in PROTECTED if k[0] != "WS"])
def test_each_role_gets_exactly_its_permissions(
    world: World, role: str, method: str, path: str
) -> None:
    if (method, path) in SKIP:
        pytest.skip("ends the shared session")
    _served(world, (method, path))
    need = ROUTE_PERMISSIONS[(method, path)]
    status, text = world.call(method, path, role)
    if need == SIGNED_IN or need in ROLE_PERMISSIONS[role]:
        assert status not in {401, 403, 500}, f"{role} should be allowed: {status} {text}"
    else:
        assert status == 403, f"{role} should be denied: {status} {text}"
        assert repr(need) in text


@pytest.mark.parametrize(("method", "path"), [k for k in PROTECTED if k[0] != "WS"])
def test_no_session_means_401(world: World, method: str, path: str) -> None:
    _served(world, (method, path))
    status, text = world.call(method, path, None)
    assert status == 401, text


@pytest.mark.parametrize(
    ("method", "path"), [k for k in PROTECTED if k[0] in STATE_CHANGING and k not in SKIP]
)
def test_state_changes_without_the_csrf_header_are_refused(
    world: World, method: str, path: str
) -> None:
    _served(world, (method, path))
    status, text = world.call(method, path, "admin", csrf=False)
    assert status == 403 and "X-CSRF-Token" in text, text


@pytest.mark.parametrize(
    ("method", "path"),
    [k for k in HTTP_ROUTES if ROUTE_PERMISSIONS[k] == PUBLIC and k[0] == "GET"],
)
def test_public_routes_need_no_session(world: World, method: str, path: str) -> None:
    _served(world, (method, path))
    status, text = world.call(method, path, None)
    assert status not in {401, 403, 500}, text


DEVICE_BODIES = {
    "/api/events": {"kind": "sensor_reading", "device_id": "rh-vault", "value": 50.0},
    "/api/access/decide": {"credential_id": "card-1", "reader_id": "r-1"},
    "/api/access/face": {
        "credential_id": "card-1",
        "reader_id": "r-1",
        "nonce": "n",
        "frames": [{"t": 0.0, "jpeg": "AAAA"}, {"t": 0.1, "jpeg": "AAAA"}],
    },
}


@pytest.mark.parametrize(
    ("method", "path"), [k for k in HTTP_ROUTES if ROUTE_PERMISSIONS[k] == DEVICE]
)
def test_device_routes_want_a_device_token_not_a_session(
    world: World, method: str, path: str
) -> None:
    """A signed-in admin's session is no device token."""
    _served(world, (method, path))
    admin = world.sessions["admin"]
    world.client.cookies.clear()
    world.client.cookies.set(world.client.app.state.auth.policy.cookie_name, admin.cookie)
    response = world.client.request(
        method, path, json=DEVICE_BODIES[path], headers={"X-CSRF-Token": admin.csrf}
    )
    assert response.status_code == 401, response.text
    assert "token" in response.text
