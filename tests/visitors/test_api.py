"""``/api/visitors/watch`` and ``/api/visitors/model`` and the live stream, end to end: detection
events posted to the API become a stored, streamed watch flag (real runtime, SQLite)."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from artguard.api.app import create_app
from artguard.config import Settings
from artguard.events import event_to_json
from artguard.runtime import Runtime
from tests.conftest import signed_in
from tests.visitors.helpers import EXIT_BOX, VISITORS_SITE, events, stay, visitors_site


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    settings = Settings(data_dir=tmp_path / "var")
    runtime = Runtime(settings, visitors_site(), site_path=VISITORS_SITE, live_clock=False)
    with TestClient(create_app(runtime)) as test_client:
        test_client.token = runtime.tokens.create("cams", ["*"])[1]  # type: ignore[attr-defined]
        signed_in(test_client, "operator")  # guards watch visitors
        yield test_client


def post(client: TestClient, stream: list) -> None:
    body = [json.loads(event_to_json(e)) for e in stream]
    headers = {"Authorization": f"Bearer {client.token}"}  # type: ignore[attr-defined]
    response = client.post("/api/events", json=body, headers=headers)
    assert response.status_code == 200, response.text
    assert len(response.json()["accepted"]) == len(stream)


def wait_for_flags(client: TestClient) -> list[dict]:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        flags = client.get("/api/visitors/watch").json()["flags"]
        if flags:
            return flags
        time.sleep(0.05)
    raise AssertionError("no watch flag appeared within 10 s")


def test_a_lingering_visitor_is_listed_and_streamed(client: TestClient) -> None:
    with client.websocket_connect("/api/stream?kinds=watch") as ws:
        assert json.loads(ws.receive_text())["streams"] == ["watch"]
        post(client, events(stay(4, 0, 95, (-3.0, 2.0), EXIT_BOX)))
        streamed = json.loads(ws.receive_text())
    assert streamed["kind"] == "watch" and streamed["status"] == "raised"
    (flag,) = wait_for_flags(client)
    assert flag["visitor_id"] == streamed["visitor_id"]
    assert flag["reason_kinds"] == ["lingering"] and flag["room_id"] == "plaza"
    assert flag["cameras"] == ["cam-1"] and flag["floor_xy"] == [-3.0, 2.0]
    assert "By the west exit" in flag["reasons"][0]

    model = client.get("/api/visitors/model").json()
    assert model["site_id"] == "plaza-visitors" and model["visitors_in_view"] == 1
    assert model["min_learned_visitors"] == 50


def test_watch_query_validation(client: TestClient) -> None:
    assert client.get("/api/visitors/watch?since=2026-11-23T12:00:00").status_code == 422
    assert client.get("/api/visitors/watch?limit=0").status_code == 422
    body = client.get("/api/visitors/watch?include_cleared=true").json()
    assert body == {"flags": [], "count": 0}
