"""The privacy routes through the real app: roles, export, erasure, ropa, decision logic."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from artguard.api.app import create_app
from artguard.api.routes_privacy import audit_view_router
from artguard.config import Settings
from artguard.runtime import Runtime
from artguard.site import Site
from artguard.store.tables import alerts, audit_log
from tests.conftest import signed_in
from tests.privacy.conftest import Populated, populate


@pytest.fixture
def app_client(key_settings: Settings, two_people_site: Site) -> Iterator[TestClient]:
    runtime = Runtime(key_settings, two_people_site, live_clock=False)
    with TestClient(create_app(runtime)) as client:
        populated = client.portal.call(populate, runtime)  # type: ignore[union-attr]
        client.populated = populated  # type: ignore[attr-defined]
        yield client


def as_role(client: TestClient, role: str) -> TestClient:
    """The one place API tests sign in (docs/security.md roles)."""
    signed_in(client, role)
    return client


def _populated(client: TestClient) -> Populated:
    return client.populated  # type: ignore[attr-defined]


def test_export_as_json_and_zip_is_audited_under_the_signed_in_user(
    app_client: TestClient,
) -> None:
    client = as_role(app_client, "admin")
    document = client.get("/api/privacy/subjects/p-1/export").json()
    assert [d["credential_id"] for d in document["access"]["decisions"]] == ["badge-1"]
    assert document["face_template"]["consent"]["text_version"] == "biometric-consent-v2"

    zipped = client.get("/api/privacy/subjects/p-1/export", params={"format": "zip"})
    assert zipped.headers["content-type"] == "application/zip"
    with zipfile.ZipFile(io.BytesIO(zipped.content)) as archive:
        assert "README.txt" in archive.namelist()
    runtime = _populated(client).runtime
    entries = runtime.audit.entries(action="privacy.export")
    assert [e.actor for e in entries] == ["test-admin", "test-admin"]


def test_erase_over_http(app_client: TestClient) -> None:
    client = as_role(app_client, "auditor")  # the data-protection officer's role
    missing = client.post("/api/privacy/subjects/p-2/erase", json={})
    assert missing.status_code == 422
    done = client.post("/api/privacy/subjects/p-2/erase", json={"reason": "DSR-7"})
    assert done.status_code == 200, done.text
    assert done.json()["template_erased"] is True and done.json()["alerts_pseudonymised"] == 1
    runtime = _populated(client).runtime
    (entry,) = runtime.audit.entries(action="privacy.erase")
    assert entry.actor == "test-auditor" and entry.details["reason"] == "DSR-7"


@pytest.mark.parametrize(
    ("role", "path", "allowed"),
    [
        ("operator", "/api/privacy/subjects/p-1/export", False),
        ("curator", "/api/privacy/ropa", True),
        ("curator", "/api/decisions/x/logic", False),
        ("operator", "/api/decisions/x/logic", True),
        ("auditor", "/api/decisions/x/logic", True),
    ],
)
def test_who_may_call_what(app_client: TestClient, role: str, path: str, allowed: bool) -> None:
    status = as_role(app_client, role).get(path).status_code
    assert (status != 403) is allowed, status


def test_ropa_in_three_formats(app_client: TestClient) -> None:
    client = as_role(app_client, "curator")
    record = client.get("/api/privacy/ropa").json()
    assert {r["key"] for r in record["retention"]} >= {"access", "biometric_templates"}
    markdown = client.get("/api/privacy/ropa", params={"format": "md"})
    assert markdown.text.startswith("# Record of processing")
    assert "<h2>Retention</h2>" in client.get("/api/privacy/ropa?format=html").text


def test_logic_of_an_access_decision_and_an_alert(app_client: TestClient) -> None:
    client = as_role(app_client, "operator")
    populated = _populated(client)
    decision = client.get(f"/api/decisions/{populated.grant_event_id}/logic").json()
    assert decision["inputs"]["credential_id"] == "badge-1" and decision["audit"]["seq"]
    with populated.runtime.engine.connect() as conn:
        alert_id = conn.execute(
            select(alerts.c.id).where(alerts.c.rule == "access_lockout")
        ).scalar_one()
    alert = client.get(f"/api/decisions/{alert_id}/logic").json()
    (lockout,) = alert["rule"]["settings"]
    assert lockout["value"]["after_failures"] == 5
    assert client.get("/api/decisions/nope/logic").status_code == 404


def test_audit_view_router_pages_and_verifies(app_client: TestClient) -> None:
    runtime = _populated(app_client).runtime
    app = FastAPI()
    app.include_router(audit_view_router(runtime.engine, runtime.audit))
    with TestClient(app) as client:
        page = client.get("/api/audit", params={"action": "access.*", "limit": 2}).json()
        assert [e["action"] for e in page["entries"]] == ["access.grant", "access.deny"]
        assert page["next_cursor"] == page["entries"][-1]["seq"]
        assert client.get("/api/audit", params={"since": "2026-01-01T00:00"}).status_code == 422
        assert client.get("/api/audit/verify").json()["status"] == "ok"
        with runtime.engine.begin() as conn:
            conn.execute(update(audit_log).where(audit_log.c.seq == 3).values(actor="mallory"))
        broken = client.get("/api/audit/verify").json()
        assert broken["status"] == "broken" and broken["first_bad_seq"] == 3
