"""Device tokens: rotation with a grace period, and their management over the API."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from artguard.config import Settings
from artguard.ingest.tokens import DeviceTokens
from artguard.store.db import open_database
from tests.conftest import NIGHT, at, reading, signed_in


def test_rotation_keeps_the_old_token_for_the_grace_period_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = open_database(Settings(data_dir=tmp_path / "var"))
    tokens = DeviceTokens(engine, cache_seconds=3600)
    old_id, old = tokens.create("panel-east", ["r-front", "dc-front"])
    new_id, new, ends = tokens.rotate(old_id, timedelta(hours=1))
    assert new_id != old_id and new != old
    assert tokens.verify(new).devices == frozenset({"r-front", "dc-front"})  # type: ignore[union-attr]
    assert tokens.verify(old).expires == ends  # type: ignore[union-attr]
    later = ends + timedelta(seconds=1)
    monkeypatch.setattr("artguard.ingest.tokens.utcnow", lambda: later)
    assert tokens.verify(old) is None  # even from the cache: the grant carries its end
    assert tokens.verify(new) is not None
    assert DeviceTokens(engine).verify(old) is None  # and from the database
    with pytest.raises(LookupError, match=old_id):
        tokens.rotate(old_id)


def test_rotation_without_grace_and_revoking_a_retiring_token(tmp_path: Path) -> None:
    tokens = DeviceTokens(open_database(Settings(data_dir=tmp_path / "var")))
    first_id, first = tokens.create("a", ["*"])
    _, second, _ = tokens.rotate(first_id)
    assert tokens.verify(first) is None and tokens.verify(second) is not None
    third_id, third = tokens.create("b", ["*"])
    tokens.rotate(third_id, timedelta(days=1))
    assert tokens.revoke(third_id)  # revoked now, not in a day
    assert tokens.verify(third) is None
    with pytest.raises(ValueError, match="grace"):
        tokens.rotate(tokens.create("c", ["*"])[0], timedelta(seconds=-1))


def _send(client: TestClient, token: str, seconds: float) -> int:
    event = reading("rh-vault", 50, at(NIGHT, seconds))
    return client.post(
        "/api/events", json=event, headers={"Authorization": f"Bearer {token}"}
    ).status_code


def test_admins_manage_tokens_over_the_api_and_it_is_audited(client: TestClient) -> None:
    signed_in(client, "admin")
    unknown = client.post("/api/tokens", json={"name": "x", "devices": ["ghost"]})
    assert unknown.status_code == 422 and "ghost" in unknown.text
    created = client.post("/api/tokens", json={"name": "vault-sensors", "devices": ["rh-vault"]})
    assert created.status_code == 201
    token_id, token = created.json()["token_id"], created.json()["token"]
    assert _send(client, token, 0) == 200
    listed = client.get("/api/tokens").json()
    assert [t["token_id"] for t in listed] == [token_id]
    assert "token" not in listed[0] and listed[0]["active"]

    rotated = client.post(f"/api/tokens/{token_id}/rotate", json={"grace_s": 600})
    assert rotated.status_code == 200
    new_id, new_token = rotated.json()["token_id"], rotated.json()["token"]
    assert _send(client, token, 1) == 200 and _send(client, new_token, 2) == 200  # grace
    assert client.delete(f"/api/tokens/{token_id}").status_code == 204
    assert _send(client, token, 3) == 401 and _send(client, new_token, 4) == 200
    assert client.delete(f"/api/tokens/{token_id}").status_code == 404
    assert client.post(f"/api/tokens/{token_id}/rotate", json={}).status_code == 404
    bad_grace = client.post(f"/api/tokens/{new_id}/rotate", json={"grace_s": -1})
    assert bad_grace.status_code == 422

    audit = client.app.state.runtime.audit  # type: ignore[attr-defined]
    actions = [
        (e.action, e.actor, e.subject)
        for e in audit.entries(limit=1000)
        if e.action.startswith("device_token.")
    ]
    assert actions == [
        ("device_token.created", "test-admin", token_id),
        ("device_token.rotated", "test-admin", token_id),
        ("device_token.revoked", "test-admin", token_id),
    ]
    assert not any(token in str(e.details) for e in audit.entries(limit=1000))


def test_the_audit_log_is_readable_by_auditors(client: TestClient) -> None:
    signed_in(client, "auditor")
    entries = client.get("/api/audit?action=auth.signed_in").json()["entries"]
    assert entries[0]["actor"] == "test-auditor" and entries[0]["action"] == "auth.signed_in"
    assert client.get("/api/audit/verify").json()["status"] == "ok"
    assert client.get("/api/tokens").status_code == 403
