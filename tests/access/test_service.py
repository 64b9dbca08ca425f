"""The access service end to end: HTTP decisions, records and audit, restart, auto-lockdown,
readers deciding through ingestion, and the alerts decisions raise."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from artguard.access.request import AccessRequest
from artguard.api.app import create_app
from artguard.config import Settings
from artguard.events import AccessDecision, Alert, EventBase, IncidentChanged, Severity
from artguard.runtime import Runtime
from artguard.store.tables import events
from tests.conftest import signed_in

from .helpers import SITE_PATH, TUESDAY_10, access_site


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    runtime = Runtime(
        Settings(data_dir=tmp_path / "var"), access_site(), site_path=SITE_PATH, live_clock=False
    )
    with TestClient(create_app(runtime)) as test_client:
        test_client.reader_token = runtime.tokens.create("front", ["r-front", "r-front-out"])[1]  # type: ignore[attr-defined]
        yield test_client


def _auth(client: TestClient) -> dict[str, str]:
    return {"Authorization": f"Bearer {client.reader_token}"}  # type: ignore[attr-defined]


def _body(credential: str, reader: str, seconds: float, *factors: str) -> dict:
    at = TUESDAY_10 + timedelta(seconds=seconds)
    return {
        "credential_id": credential,
        "reader_id": reader,
        "at": at.isoformat(),
        "factors": list(factors or ["card"]),
    }


def test_decide_over_http_is_recorded_and_audited(client: TestClient) -> None:
    response = client.post(
        "/api/access/decide", json=_body("card-guard", "r-front", 0), headers=_auth(client)
    )
    assert response.status_code == 200
    body = response.json()
    assert body["outcome"] == "grant" and body["room_id"] == "hall"
    assert body["reasons"] == ["Gail Guard may enter Hall via Front door"]
    runtime: Runtime = client.app.state.runtime  # type: ignore[attr-defined]
    with runtime.engine.connect() as conn:
        kinds = [r.kind for r in conn.execute(select(events.c.kind))]
    assert kinds.count("access_decision") == 1
    audited = [e for e in runtime.audit.entries(limit=50) if e.action == "access.grant"]
    assert len(audited) == 1
    assert audited[0].subject == "card-guard" and audited[0].details["reader_id"] == "r-front"
    again = client.post(
        "/api/access/decide", json=_body("card-guard", "r-front", 5), headers=_auth(client)
    )
    assert again.json()["outcome"] == "deny"  # hard anti-passback remembered
    signed_in(client, "operator")
    health = client.get("/api/health").json()["access"]
    assert (health["decisions"], health["grants"], health["denials"]) == (2, 1, 1)
    assert health["threat_level"] == "normal"
    presence = client.get("/api/access/presence").json()
    assert presence == [
        {
            "person_id": "p-guard",
            "name": "Gail Guard",
            "room_id": "hall",
            "since": (TUESDAY_10).isoformat(),
            "door_id": "d-front",
        }
    ]


def test_decide_needs_a_token_for_that_reader_and_names_bad_fields(client: TestClient) -> None:
    body = _body("card-guard", "r-front", 0)
    assert client.post("/api/access/decide", json=body).status_code == 401
    other = client.post(
        "/api/access/decide", json=_body("card-guard", "r-gallery", 0), headers=_auth(client)
    )
    assert other.status_code == 403
    assert other.json()["detail"][0]["loc"] == ["body", "reader_id"]
    bad = client.post(
        "/api/access/decide",
        json={**body, "factors": ["card", "retina"]},
        headers=_auth(client),
    )
    assert bad.status_code == 422
    assert bad.json()["detail"][0]["loc"] == ["body", "factors"]
    assert "retina" in bad.json()["detail"][0]["msg"]
    missing = client.post(
        "/api/access/decide", json={"reader_id": "r-front"}, headers=_auth(client)
    )
    assert missing.status_code == 422
    assert missing.json()["detail"][0]["loc"] == ["body", "credential_id"]
    naive = client.post(
        "/api/access/decide",
        json={**body, "at": "2026-11-24T10:00:00"},
        headers=_auth(client),
    )
    assert naive.status_code == 422 and naive.json()["detail"][0]["loc"][:2] == ["body", "at"]


def test_threat_level_is_set_audited_and_tightens_decisions(client: TestClient) -> None:
    signed_in(client, "operator")
    assert client.get("/api/access/threat-level").status_code == 200
    refused = client.put("/api/access/threat-level", json={"level": "lockdown", "reason": "x"})
    assert refused.status_code == 403  # operators see the threat level, supervisors set it
    signed_in(client, "supervisor", username="control-room")
    assert client.get("/api/access/threat-level").json()["level"] == "normal"
    bad = client.put("/api/access/threat-level", json={"level": "panic", "reason": "x"})
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"] == ["body", "level"]
    ok = client.put(
        "/api/access/threat-level",
        json={"level": "lockdown", "reason": "armed intruder reported", "actor": "control-room"},
    )
    assert ok.status_code == 200
    denied = client.post(
        "/api/access/decide", json=_body("card-guard", "r-front", 0), headers=_auth(client)
    ).json()
    assert denied["outcome"] == "deny" and denied["threat_level"] == "lockdown"
    assert "armed intruder reported" in denied["reasons"][0]
    runtime: Runtime = client.app.state.runtime  # type: ignore[attr-defined]
    changes = [e for e in runtime.audit.entries(limit=50) if e.action == "access.threat_level"]
    assert changes[-1].actor == "control-room" and changes[-1].details["to"] == "lockdown"


async def _collect(runtime: Runtime, kinds: set[str]) -> list[EventBase]:
    seen: list[EventBase] = []

    async def keep(event: EventBase) -> None:
        seen.append(event)

    runtime.bus.subscribe("test", keep, kinds=kinds)
    return seen


async def test_state_and_threat_level_survive_a_restart(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "var")
    now = datetime.now(TUESDAY_10.tzinfo).replace(microsecond=0)
    async with Runtime(settings, access_site(), live_clock=False) as first:
        first.access.pdp.state.threat_level = "normal"
        await first.access.decide(AccessRequest.make("card-super", "r-front", now))
        await first.access.set_threat_level("elevated", actor="test", reason="VIP visit")
    async with Runtime(settings, access_site(), live_clock=False) as second:
        assert second.access.threat_level == "elevated"
        again = second.access.explain(
            AccessRequest.make("card-super", "r-front", now + timedelta(seconds=5))
        )
        assert again.outcome == "deny"  # still recorded inside: hard anti-passback


async def test_a_critical_incident_locks_the_site_down(runtime_access: Runtime) -> None:
    runtime = runtime_access
    incident = IncidentChanged(
        device_id="triage",
        site_time=TUESDAY_10,
        incident_id="inc-1",
        status="open",
        severity=Severity.critical,
        title="Vault door forced",
        alert_count=1,
        change="opened",
    )
    await runtime.bus.publish(incident.received())
    await runtime.bus.drain()
    assert runtime.access.threat_level == "lockdown"
    decision = await runtime.access.decide(AccessRequest.make("card-guard", "r-front", TUESDAY_10))
    assert decision.outcome == "deny"
    assert "inc-1" in decision.reasons[0]
    audit = [e for e in runtime.audit.entries(limit=50) if e.action == "access.threat_level"]
    assert audit[-1].actor == "system:auto_lockdown"


async def test_a_high_incident_does_not_lock_down(runtime_access: Runtime) -> None:
    incident = IncidentChanged(
        device_id="triage",
        site_time=TUESDAY_10,
        incident_id="inc-2",
        status="open",
        severity=Severity.high,
        title="Door held open",
        alert_count=1,
        change="opened",
    )
    await runtime_access.bus.publish(incident.received())
    await runtime_access.bus.drain()
    assert runtime_access.access.threat_level == "normal"


async def test_a_reader_asking_through_ingestion_gets_a_decision_event(
    runtime_access: Runtime,
) -> None:
    seen = await _collect(runtime_access, {"access_decision"})
    attempt = {
        "kind": "access_attempt",
        "device_id": "r-corridor",
        "credential_id": "card-guard",
        "factors": ["card"],
        "granted": None,
        "site_time": TUESDAY_10.isoformat(),
    }
    result = await runtime_access.ingest.submit([attempt], token=None, source="t", trusted=True)
    assert result.accepted
    await runtime_access.bus.drain()
    decisions = [e for e in seen if isinstance(e, AccessDecision)]
    assert len(decisions) == 1
    assert decisions[0].outcome == "step_up" and decisions[0].required == ["pin"]
    assert decisions[0].device_id == "r-corridor" and decisions[0].room_id == "corridor"


async def test_pass_back_and_lockout_raise_alerts(runtime_access: Runtime) -> None:
    runtime = runtime_access
    runtime.access.pdp.policy = runtime.access.pdp.policy.model_copy(
        update={
            "anti_passback": runtime.access.pdp.policy.anti_passback.model_copy(
                update={"mode": "soft"}
            )
        }
    )
    alerts = await _collect(runtime, {"alert"})
    for i in range(2):
        await runtime.access.decide(
            AccessRequest.make("card-guard", "r-front", TUESDAY_10 + timedelta(seconds=i))
        )
    for i in range(3):
        await runtime.access.decide(
            AccessRequest.make(
                "card-guard2", "r-airlock", TUESDAY_10 + timedelta(seconds=10 + i), ["card", "pin"]
            )
        )
    await runtime.bus.drain()
    rules = sorted(a.rule for a in alerts if isinstance(a, Alert))
    assert rules == ["access_lockout", "access_passback"]
    lockout = next(a for a in alerts if isinstance(a, Alert) and a.rule == "access_lockout")
    assert "3 denied attempts within 10 min" in lockout.reasons[0]


async def test_people_overdue_for_reverification_raise_one_alert(
    runtime_access: Runtime,
) -> None:
    runtime = runtime_access
    for cred, seconds in (("card-curator", 0), ("card-curator2", 5)):
        await runtime.access.decide(
            AccessRequest.make(
                cred, "r-vault", TUESDAY_10 + timedelta(seconds=seconds), ["card", "pin", "face"]
            )
        )
    assert await runtime.access.tick(TUESDAY_10 + timedelta(minutes=20)) == []
    due = await runtime.access.tick(TUESDAY_10 + timedelta(minutes=31))
    assert sorted(a.evidence["person_id"] for a in due) == ["p-curator", "p-curator2"]
    assert all(a.rule == "access_reverify" and a.room_id == "vault" for a in due)
    assert await runtime.access.tick(TUESDAY_10 + timedelta(minutes=32)) == []


@pytest.fixture
async def runtime_access(tmp_path: Path):  # type: ignore[no-untyped-def]
    rt = Runtime(
        Settings(data_dir=tmp_path / "var"), access_site(), site_path=SITE_PATH, live_clock=False
    )
    await rt.start()
    try:
        yield rt
    finally:
        await rt.stop()
