"""Guards' locations and incidents' tiers over HTTP."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from artguard.api.app import create_app
from artguard.config import Settings
from artguard.events import utcnow
from artguard.runtime import Runtime
from tests.conftest import NOON, at, door, signed_in
from tests.triage.escalation_helpers import escalation_site


@contextmanager
def make_client(settings: Settings, role: str = "operator") -> Iterator[TestClient]:
    """The one place these tests get a client: signed in as a user of ``role``, with a
    device token for ingestion."""
    runtime = Runtime(settings, escalation_site(), live_clock=False)
    with TestClient(create_app(runtime)) as client:
        client.token = runtime.tokens.create("all", ["*"])[1]  # type: ignore[attr-defined]
        signed_in(client, role, username="control")
        yield client


def wait_for_tier(client: TestClient) -> dict[str, Any]:
    """The one incident, once the escalator (a bus subscriber) has put it on a tier."""
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        incidents = client.get("/api/incidents").json()
        if incidents and incidents[0]["tier"] is not None:
            assert len(incidents) == 1
            return incidents[0]
        time.sleep(0.02)
    raise AssertionError("no incident got a tier within 5 s")


def test_reporting_and_listing_guard_locations(settings: Settings) -> None:
    with make_client(settings) as client:
        before = {g["person_id"]: g for g in client.get("/api/guards").json()}
        assert set(before) == {"p-1", "g-amelia", "g-ben"}
        assert before["g-amelia"]["location"] is None and before["g-amelia"]["on_duty"] is True

        ok = client.post("/api/guards/g-amelia/location", json={"room_id": "vault"})
        assert ok.status_code == 200
        body = ok.json()
        assert body["location"]["room_id"] == "vault" and body["location_current"] is True
        assert body["location"]["source"] == "reported by control"

        stale = (utcnow() - timedelta(hours=2)).isoformat()
        older = client.post(
            "/api/guards/g-amelia/location", json={"room_id": "hall", "time": stale}
        )
        assert older.status_code == 200 and older.json()["location"]["room_id"] == "vault"

        runtime: Runtime = client.app.state.runtime  # type: ignore[attr-defined]
        audit = runtime.audit.entries(limit=100, action="guard.location_reported")
        assert [e.actor for e in audit] == ["control", "control"]
        assert [e.details["kept"] for e in audit] == ["vault", "vault"]


@pytest.mark.parametrize("role", ["auditor", "curator"])
def test_only_people_who_dispatch_guards_see_or_move_them(settings: Settings, role: str) -> None:
    with make_client(settings, role) as client:
        assert client.get("/api/guards").status_code == 403
        moved = client.post("/api/guards/g-ben/location", json={"room_id": "hall"})
        assert moved.status_code == 403
        runtime: Runtime = client.app.state.runtime  # type: ignore[attr-defined]
        assert runtime.guards.location("g-ben") is None


@pytest.mark.parametrize("role", ["operator", "supervisor", "admin"])
def test_operators_supervisors_and_admins_may(settings: Settings, role: str) -> None:
    with make_client(settings, role) as client:
        assert client.post("/api/guards/g-ben/location", json={"room_id": "hall"}).is_success
        assert client.get("/api/guards").is_success


def test_bad_location_reports_say_what_is_wrong(settings: Settings) -> None:
    with make_client(settings) as client:
        nobody = client.post("/api/guards/nobody/location", json={"room_id": "hall"})
        assert nobody.status_code == 404 and "no person 'nobody'" in nobody.json()["detail"]
        supervisor = client.post("/api/guards/s-sam/location", json={"room_id": "hall"})
        assert supervisor.status_code == 422
        assert "not a guard role" in supervisor.json()["detail"]
        room = client.post("/api/guards/g-ben/location", json={"room_id": "attic"})
        assert room.status_code == 422 and "room_id: no room 'attic'" in room.json()["detail"]
        naive = client.post(
            "/api/guards/g-ben/location", json={"room_id": "hall", "time": "2026-01-01T10:00:00"}
        )
        assert naive.status_code == 422


def test_an_incident_shows_its_tier_deadlines_and_escalations(settings: Settings) -> None:
    with make_client(settings) as client:
        client.post("/api/guards/g-ben/location", json={"room_id": "hall"})
        sent = client.post(  # the vault door opened without a badge
            "/api/events",
            headers={"Authorization": f"Bearer {client.token}"},  # type: ignore[attr-defined]
            json=door("d-vault", "dc-vault", "open", at(NOON, 0)),
        )
        assert sent.status_code == 200
        incident = wait_for_tier(client)
        assert incident["tier"] in {"page_guard", "supervisor", "lockdown"}
        assert incident["ack_due"] and incident["resolve_due"]
        assert incident["resolve_overdue_time"] is None
        first = incident["escalations"][0]
        assert first["from"] is None and first["to"] == incident["tier"]
        guard = next(n for n in first["notified"] if n["audience"] == "guard")
        assert guard["recipients"] == ["g-ben"] and "nearest: Ben Cole, hall" in guard["reason"]
        assert "g-ben" in incident["assigned_to"]
