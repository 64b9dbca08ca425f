"""The route table covers every route the app serves, and names only real permissions."""

from __future__ import annotations

from fastapi.testclient import TestClient

from artguard.api.authz import MARKERS, ROUTE_PERMISSIONS, required
from artguard.api.guard import served_routes
from artguard.api.live import KIND_PERMISSIONS, STREAMABLE_KINDS
from artguard.auth.roles import PERMISSIONS, ROLE_PERMISSIONS


def test_every_served_route_has_an_entry(client: TestClient) -> None:
    missing = [
        f"{method} {path}"
        for entry in served_routes(client.app.routes)  # type: ignore[attr-defined]
        for method, path in entry.table_keys()
        if required(method, path) is None
    ]
    assert not missing, "routes without an entry in api/authz.py (denied to all): " + ", ".join(
        missing
    )


def test_the_table_names_only_known_permissions() -> None:
    unknown = {
        f"{method} {path}: {need!r}"
        for (method, path), need in ROUTE_PERMISSIONS.items()
        if need not in PERMISSIONS and need not in MARKERS
    }
    assert not unknown


def test_roles_hold_only_known_permissions_and_admin_holds_all() -> None:
    for role, held in ROLE_PERMISSIONS.items():
        assert held <= set(PERMISSIONS), role
    assert ROLE_PERMISSIONS["admin"] == frozenset(PERMISSIONS)


def test_every_streamable_kind_has_a_permission() -> None:
    assert set(KIND_PERMISSIONS) == set(STREAMABLE_KINDS)
    assert set(KIND_PERMISSIONS.values()) <= set(PERMISSIONS)


def test_a_route_without_an_entry_is_denied_even_to_admin(client: TestClient) -> None:
    from tests.conftest import signed_in

    @client.app.get("/api/unlisted-for-test")  # type: ignore[attr-defined]
    async def unlisted() -> dict[str, str]:
        return {"secret": "yes"}

    signed_in(client, "admin")
    response = client.get("/api/unlisted-for-test")
    assert response.status_code == 403
    assert "no authorisation entry" in response.json()["detail"]


def test_a_route_added_to_an_included_router_after_start_is_still_checked(
    client: TestClient,
) -> None:
    from fastapi import APIRouter

    from tests.conftest import signed_in

    router = APIRouter(prefix="/api/late")
    client.app.include_router(router)  # type: ignore[attr-defined]
    signed_in(client, "admin")
    assert client.get("/api/late/x").status_code == 404  # the guard has cached the routes

    @router.get("/x")
    async def late() -> dict[str, str]:
        return {"secret": "yes"}

    assert client.get("/api/late/x").status_code == 403  # found on the retry, and unlisted
