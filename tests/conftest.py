"""Shared fixtures: a small site, settings in a temp dir, a started runtime, event builders."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from artguard.config import Settings
from artguard.runtime import Runtime
from artguard.site import Site, load_site

FIXTURES = Path(__file__).parent / "fixtures"
SMALL_SITE = FIXTURES / "small-site.yaml"
NIGHT = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
"""A Monday 02:00 in London: everything closed to the public."""
NOON = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
"""A Monday noon in London: public rooms open."""


@pytest.fixture(scope="session")
def small_site() -> Site:
    return load_site(SMALL_SITE)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "var")


@pytest.fixture
async def runtime(settings: Settings, small_site: Site) -> AsyncIterator[Runtime]:
    rt = Runtime(settings, small_site, site_path=SMALL_SITE, live_clock=False)
    await rt.start()
    try:
        yield rt
    finally:
        await rt.stop()


def at(base: datetime, seconds: float) -> str:
    """ISO time ``seconds`` after ``base``, as a device would send it."""
    return (base + timedelta(seconds=seconds)).isoformat()


def door(door_id: str, device: str, contact: str, when: str, **extra: object) -> dict:
    return {
        "kind": "door_state",
        "device_id": device,
        "door_id": door_id,
        "contact": contact,
        "site_time": when,
        **extra,
    }


def badge(reader: str, credential: str, when: str, granted: bool = True, **extra: object) -> dict:
    return {
        "kind": "access_attempt",
        "device_id": reader,
        "credential_id": credential,
        "granted": granted,
        "site_time": when,
        **extra,
    }


def reading(sensor: str, value: float, when: str, **extra: object) -> dict:
    return {
        "kind": "sensor_reading",
        "device_id": sensor,
        "value": value,
        "site_time": when,
        **extra,
    }


TEST_PASSWORD = "correct horse battery staple"
"""The password of users made by :func:`signed_in`."""


def signed_in(client: object, role: str = "admin", username: str | None = None) -> None:
    """Sign ``client`` (a started ``TestClient`` on ``create_app``) in as a user of ``role``.

    Creates the user (``test-<role>`` unless named) in the app's database if missing, signs in
    through ``POST /api/auth/login``, keeps the session cookie on the client and sets its
    ``X-CSRF-Token`` header, so later calls (GET, POST, WebSocket) act as that user. Roles:
    operator, supervisor, admin (every permission), auditor, curator (docs/security.md).
    """
    auth = client.app.state.auth  # type: ignore[attr-defined]
    name = username or f"test-{role}"
    if auth.users.get(name) is None:
        auth.users.create(name, TEST_PASSWORD, role)
    response = client.post(  # type: ignore[attr-defined]
        "/api/auth/login", json={"username": name, "password": TEST_PASSWORD}
    )
    assert response.status_code == 200, response.text
    cookie = auth.policy.cookie_name
    client.cookies.clear()  # type: ignore[attr-defined]
    # Set again without the Secure flag, so httpx sends it to http://testserver too.
    client.cookies.set(cookie, response.cookies[cookie])  # type: ignore[attr-defined]
    client.headers["X-CSRF-Token"] = response.json()["csrf_token"]  # type: ignore[attr-defined]
