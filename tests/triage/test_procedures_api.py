"""The procedure routes end to end through FastAPI (real runtime, SQLite, signed in)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from artguard.api.app import create_app
from artguard.config import Settings
from artguard.runtime import Runtime
from artguard.site import Site
from tests.conftest import SMALL_SITE, signed_in
from tests.triage.helpers import make_alert


def make_client(settings: Settings, site: Site, role: str = "operator") -> TestClient:
    """The one place these tests build their client: started, signed in as ``role``."""
    runtime = Runtime(settings, site, site_path=SMALL_SITE, live_clock=False)
    client = TestClient(create_app(runtime))
    client.__enter__()
    signed_in(client, role)
    return client


@pytest.fixture
def client(settings: Settings, small_site: Site) -> Iterator[TestClient]:
    test_client = make_client(settings, small_site)
    try:
        yield test_client
    finally:
        test_client.__exit__(None, None, None)


def open_theft(client: TestClient) -> str:
    runtime: Runtime = client.app.state.runtime  # type: ignore[attr-defined]

    async def file() -> str:
        alert = make_alert("artwork_missing", "gallery", 0, device="cam-1", artwork="aw-1")
        filing = await runtime.incidents.file(alert)
        await runtime.bus.drain()
        return filing.incident_id

    return client.portal.call(file)  # type: ignore[union-attr]


def test_effective_procedures_are_listed_per_pattern(client: TestClient) -> None:
    response = client.get("/api/procedures")
    assert response.status_code == 200
    body = response.json()
    assert len(body) == 8 and "theft_in_progress" in body and "casing" in body
    question = body["theft_in_progress"]["steps"][1]
    assert question["options"] == {"yes": "call-police", "no": "dispatch-guard"}


def test_step_round_trip(client: TestClient) -> None:
    incident = open_theft(client)
    view = client.get(f"/api/incidents/{incident}/procedure").json()
    assert view["current_step"] == "verify-camera"
    done = client.post(
        f"/api/incidents/{incident}/steps/verify-camera",
        json={"action": "done", "note": "two people on cam-1"},
    )
    assert done.status_code == 200, done.text
    answered = client.post(
        f"/api/incidents/{incident}/steps/confirmed",
        json={"action": "answer", "answer": "yes"},
    ).json()
    assert answered["current_step"] == "call-police"
    step = next(s for s in answered["steps"] if s["id"] == "verify-camera")
    assert (step["status"], step["actor"], step["note"]) == (
        "done",
        "test-operator",
        "two people on cam-1",
    )
    assert step["time"] is not None
    again = client.get(f"/api/incidents/{incident}/procedure").json()
    assert again["history"] == answered["history"] and len(again["history"]) == 2


def test_errors_say_what_is_wrong(client: TestClient) -> None:
    incident = open_theft(client)
    url = f"/api/incidents/{incident}/steps"
    cases = [
        ("/api/incidents/inc-nope/procedure", None, 404, "no incident 'inc-nope'"),
        (f"{url}/nope", {"action": "done"}, 404, "no step 'nope'"),
        (f"{url}/confirmed", {"action": "done"}, 422, "is a question"),
        (
            f"{url}/confirmed",
            {"action": "answer", "answer": "maybe"},
            422,
            "'maybe' is not an option of step 'confirmed' (options: yes, no)",
        ),
        (f"{url}/verify-camera", {"action": "skip"}, 422, "needs a reason"),
    ]
    for path, body, status, text in cases:
        response = client.get(path) if body is None else client.post(path, json=body)
        assert response.status_code == status, (path, response.text)
        assert text in response.json()["detail"], response.text
    invalid = client.post(f"{url}/verify-camera", json={"action": "tick"})
    assert invalid.status_code == 422 and invalid.json()["detail"][0]["loc"] == ["body", "action"]
    assert client.post(f"{url}/verify-camera", json={"action": "done"}).is_success
    conflict = client.post(f"{url}/verify-camera", json={"action": "done"})
    assert (
        conflict.status_code == 409 and "already done by test-operator" in conflict.json()["detail"]
    )


def test_only_roles_that_act_on_incidents_may_tick_steps(
    settings: Settings, small_site: Site
) -> None:
    client = make_client(settings, small_site, role="auditor")
    try:
        incident = open_theft(client)
        assert client.get(f"/api/incidents/{incident}/procedure").status_code == 200
        assert client.get("/api/procedures").status_code == 200
        response = client.post(
            f"/api/incidents/{incident}/steps/verify-camera",
            json={"action": "done"},
        )
        assert response.status_code == 403
    finally:
        client.__exit__(None, None, None)
