"""The HTTP API end to end through FastAPI's test client (real runtime, SQLite)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from artguard.api.app import create_app
from artguard.config import Settings
from artguard.runtime import Runtime
from artguard.site import Site
from tests.conftest import NIGHT, SMALL_SITE, at, door, reading, signed_in


@pytest.fixture
def client(settings: Settings, small_site: Site) -> Iterator[TestClient]:
    runtime = Runtime(settings, small_site, site_path=SMALL_SITE, live_clock=False)
    with TestClient(create_app(runtime)) as test_client:
        test_client.token = runtime.tokens.create("all", ["*"])[1]  # type: ignore[attr-defined]
        yield test_client


def auth(client: TestClient) -> dict[str, str]:
    return {"Authorization": f"Bearer {client.token}"}  # type: ignore[attr-defined]


def test_health_reports_site_database_and_security_headers(client: TestClient) -> None:
    signed_in(client, "supervisor")
    response = client.get("/api/health")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok" and body["site"]["id"] == "small-museum"
    assert body["database"]["backend"] == "sqlite"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert "default-src 'self'" in response.headers["content-security-policy"]


def test_ingestion_needs_a_valid_token_and_failures_are_audited(client: TestClient) -> None:
    event = reading("rh-vault", 50, at(NIGHT, 0))
    assert client.post("/api/events", json=event).status_code == 401
    bad = client.post("/api/events", json=event, headers={"Authorization": "Bearer agd_x"})
    assert bad.status_code == 401 and bad.headers["www-authenticate"] == "Bearer"
    runtime: Runtime = client.app.state.runtime  # type: ignore[attr-defined]
    assert any(e.action == "ingest.auth_failed" for e in runtime.audit.entries(limit=50))


def test_single_list_and_envelope_bodies(client: TestClient) -> None:
    one = client.post(
        "/api/events", json=reading("rh-vault", 50, at(NIGHT, 0), id="a"), headers=auth(client)
    )
    assert one.status_code == 200 and one.json()["accepted"] == ["a"]
    many = client.post(
        "/api/events",
        headers=auth(client),
        json=[reading("rh-vault", 51, at(NIGHT, 1), id="b"), reading("t-vault", 20, at(NIGHT, 1))],
    )
    assert many.status_code == 200 and len(many.json()["accepted"]) == 2
    envelope = client.post(
        "/api/events",
        headers=auth(client),
        json={"events": [reading("rh-vault", 50, at(NIGHT, 0), id="a")]},
    )
    assert envelope.json()["duplicates"] == ["a"]


def test_malformed_payloads_get_422_naming_the_problem_and_service_keeps_going(
    client: TestClient,
) -> None:
    broken = client.post(
        "/api/events",
        content=b'{"kind": "sensor_reading",',
        headers={**auth(client), "content-type": "application/json"},
    )
    assert broken.status_code == 422
    assert "malformed JSON at line 1" in broken.json()["detail"][0]["msg"]
    partial = client.post(
        "/api/events",
        headers=auth(client),
        json=[
            reading("rh-vault", 50, at(NIGHT, 0), id="kept"),
            {"kind": "sensor_reading", "device_id": "rh-vault", "site_time": at(NIGHT, 0)},
        ],
    )
    assert partial.status_code == 422
    body = partial.json()
    assert body["accepted"] == ["kept"]
    assert body["detail"][0]["loc"] == ["body", 1, "value"]
    signed_in(client, "admin")
    assert client.get("/api/health").json()["ingest"]["rejected"] == 2


def test_forced_door_becomes_an_incident_an_operator_can_work(client: TestClient) -> None:
    signed_in(client, "operator", username="sam")
    with client.websocket_connect("/api/stream?kinds=alert,incident") as ws:
        assert ws.receive_json()["kind"] == "hello"
        sent = client.post(
            "/api/events",
            headers=auth(client),
            json=door("d-vault", "dc-vault", "open", at(NIGHT, 0)),
        )
        assert sent.status_code == 200
        kinds = {ws.receive_json()["kind"], ws.receive_json()["kind"]}
        assert kinds == {"alert", "incident"}
    incidents = client.get("/api/incidents", params={"status": "open"}).json()
    assert len(incidents) == 1 and incidents[0]["severity"] == "critical"
    incident_id = incidents[0]["id"]
    detail = client.get(f"/api/incidents/{incident_id}").json()
    assert detail["alerts"][0]["rule"] == "door_forced"
    assert detail["alerts"][0]["reasons"]
    ack = client.post(f"/api/incidents/{incident_id}/acknowledge", json={"actor": "sam"})
    assert ack.status_code == 200 and ack.json()["status"] == "acknowledged"
    again = client.post(f"/api/incidents/{incident_id}/acknowledge", json={"actor": "sam"})
    assert again.status_code == 409
    no_reason = client.post(f"/api/incidents/{incident_id}/false-alarm", json={"actor": "sam"})
    assert no_reason.status_code == 422
    fa = client.post(
        f"/api/incidents/{incident_id}/false-alarm",
        json={"actor": "sam", "note": "test of the alarm"},
    )
    assert fa.json()["status"] == "false_alarm"
    assert client.get("/api/incidents/nope").status_code == 404
    assert client.get("/api/kpis").status_code == 403  # KPIs are for supervisors
    signed_in(client, "supervisor")
    kpis = client.get("/api/kpis").json()
    assert kpis["false_alarm_rate"] == 1.0
    alerts = client.get("/api/alerts", params={"rule": "door_forced"}).json()
    assert alerts[0]["incident_id"] == incident_id


def test_openapi_and_dashboard_page_are_served(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    assert "/api/events" in spec["paths"] and "/api/incidents/{incident_id}" in spec["paths"]
    page = client.get("/")
    assert page.status_code == 200 and "/static/live.js" in page.text
    assert client.get("/static/live.js").status_code == 200
    assert client.get("/static/../../runtime.py").status_code == 404
