"""The dashboard's site routes: the site for display, device health, validation, door states."""

from __future__ import annotations

import re
import shutil
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from artguard.api.app import create_app
from artguard.config import Settings
from artguard.events import utcnow
from artguard.runtime import Runtime
from artguard.site import Site, load_site
from artguard.site.geometry import contains
from artguard.web.layout import exterior_walls, label_point, shared_walls
from tests.conftest import NIGHT, SMALL_SITE, at, door, reading, signed_in


def make_client(settings: Settings, site: Site, site_path: Path | None) -> TestClient:
    runtime = Runtime(settings, site, site_path=site_path, live_clock=False)
    client = TestClient(create_app(runtime))
    return client


@pytest.fixture
def site_file(tmp_path: Path) -> Path:
    path = tmp_path / "site.yaml"
    shutil.copy(SMALL_SITE, path)
    return path


@pytest.fixture
def client(settings: Settings, site_file: Path) -> Iterator[TestClient]:
    with make_client(settings, load_site(site_file), site_file) as test_client:
        runtime: Runtime = test_client.app.state.runtime  # type: ignore[attr-defined]
        test_client.token = runtime.tokens.create("all", ["*"])[1]  # type: ignore[attr-defined]
        yield test_client


def send(client: TestClient, *events: dict) -> None:
    token = client.token  # type: ignore[attr-defined]
    response = client.post(
        "/api/events", json=list(events), headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 200, response.text


def open_incidents(client: TestClient, count: int = 1) -> list[dict]:
    """The open incidents once there are ``count`` (triage runs after ingestion answers)."""
    for _ in range(200):
        found = client.get("/api/incidents", params={"status": "open"}).json()
        if len(found) >= count:
            return found
        time.sleep(0.02)
    raise AssertionError(f"expected {count} open incident(s), found {len(found)}")


def by_id(items: list[dict], key: str = "id") -> dict[str, dict]:
    return {item[key]: item for item in items}


# -- GET /api/site ---------------------------------------------------------------------------


def test_site_view_has_the_floor_plan_and_devices_placed_on_it(client: TestClient) -> None:
    signed_in(client, "operator")
    body = client.get("/api/site").json()
    assert body["site"] == {
        "id": "small-museum",
        "name": "Small Museum",
        "timezone": "Europe/London",
    }
    assert body["counts"]["rooms"] == 3 and body["counts"]["sensors"] == 7
    rooms = by_id(body["rooms"])
    assert rooms["vault"]["polygon"] == [[20, 0], [25, 0], [25, 10], [20, 10]]
    assert rooms["hall"]["label"] == [5.0, 5.0]
    assert not rooms["hall"]["occupancy_counted"]  # no camera counting line borders it
    doors = by_id(body["doors"])
    # the vault door sits on the wall the gallery and the vault share (x = 20)
    x, y = doors["d-vault"]["position"]
    assert x == pytest.approx(20) and 0 < y < 10
    # the front door sits on the hall's outside wall, not on the wall shared with the gallery
    fx, fy = doors["d-front"]["position"]
    assert fx != pytest.approx(10) and (fx == pytest.approx(0) or fy in (0, 10))
    sensors = by_id(body["sensors"])
    artwork = by_id(body["artworks"])["aw-1"]
    assert artwork["position"] == [15, 0.5] and artwork["value_tier"] == 4
    sx, sy = sensors["vib-aw-1"]["position"]
    assert abs(sx - 15) + abs(sy - 0.5) < 1.0  # drawn next to the artwork it is fitted to
    polygons = {r["id"]: r["polygon"] for r in body["rooms"]}
    for item in [*body["sensors"], *body["cameras"]]:
        room = item.get("room") or item["rooms"][0]
        assert contains([tuple(p) for p in polygons[room]], tuple(item["position"])), item["id"]


def test_site_view_leaves_out_credentials_people_and_camera_sources(client: TestClient) -> None:
    signed_in(client, "curator")
    response = client.get("/api/site")
    assert response.status_code == 200
    text = response.text
    for secret in ("badge-1", "Alex Guard", "p-1", "rtsp://", "127.0.0.1"):
        assert secret not in text, secret
    assert response.json()["roles"] == {"guard": 1}


def test_site_routes_need_a_session_and_the_right_permission(client: TestClient) -> None:
    assert client.get("/api/site").status_code == 401
    signed_in(client, "curator")  # site.read, no access.read
    assert client.get("/api/site/health").status_code == 200
    assert client.get("/api/doors").status_code == 403


# -- GET /api/doors --------------------------------------------------------------------------


def test_door_states_forced_locked_and_unknown(client: TestClient) -> None:
    signed_in(client, "operator")
    before = by_id(client.get("/api/doors").json(), "door_id")
    assert before["d-vault"]["state"] == "unknown" and before["d-vault"]["locked"] is None
    send(
        client,
        door("d-front", "d-front", "closed", at(NIGHT, 0), locked=True),
        door("d-vault", "dc-vault", "open", at(NIGHT, 5)),
    )
    incidents = open_incidents(client)
    doors = by_id(client.get("/api/doors").json(), "door_id")
    front, vault = doors["d-front"], doors["d-vault"]
    assert front["state"] == "locked" and front["contact"] == "closed" and front["locked"] is True
    assert front["lock_source"] == "door_state"
    assert vault["state"] == "forced" and vault["contact"] == "open"
    assert vault["forced_incident_id"] == incidents[0]["id"]
    # once the incident is closed the door is no longer shown as forced, just open
    closed = client.post(
        f"/api/incidents/{incidents[0]['id']}/resolve", json={"note": "checked on site"}
    )
    assert closed.status_code == 200
    vault = by_id(client.get("/api/doors").json(), "door_id")["d-vault"]
    assert vault["state"] == "open" and vault["forced_incident_id"] is None
    send(client, door("d-vault", "dc-vault", "closed", at(NIGHT, 60)))
    assert by_id(client.get("/api/doors").json(), "door_id")["d-vault"]["state"] == "closed"


# -- GET /api/site/health --------------------------------------------------------------------


def test_device_health_from_last_events_and_camera_reports(client: TestClient) -> None:
    signed_in(client, "operator")
    now = utcnow()
    send(
        client,
        reading("t-vault", 20, at(now, -30)),
        reading("rh-vault", 50, at(now - timedelta(hours=2), 0)),
        {
            "kind": "camera_health",
            "device_id": "cam-1",
            "status": "covered",
            "site_time": at(now, -10),
        },
    )
    open_incidents(client)  # the covered camera's sabotage alert
    body = client.get("/api/site/health", params={"stale_after_s": 600}).json()
    devices = by_id(body["devices"], "device_id")
    assert devices["t-vault"]["state"] == "online" and devices["t-vault"]["last_seen"]
    assert devices["rh-vault"]["state"] == "offline"  # a humidity sensor reports on a clock
    assert "silent for 120 min" in devices["rh-vault"]["detail"]
    assert devices["cam-1"]["state"] == "offline" and devices["cam-1"]["detail"] == "covered"
    assert devices["cam-1"]["problems"][0]["rule"] == "camera_sabotage"
    assert devices["r-vault"]["state"] == "unknown"  # a reader never used
    assert devices["r-vault"]["kind"] == "reader" and devices["r-vault"]["room_id"] == "vault"
    assert sum(body["counts"].values()) == len(devices)
    assert client.get("/api/site/health", params={"stale_after_s": 1}).status_code == 422


# -- GET /api/site/validation ----------------------------------------------------------------


def test_validation_rechecks_the_file_on_disk(client: TestClient, site_file: Path) -> None:
    signed_in(client, "operator")
    fine = client.get("/api/site/validation").json()
    assert fine["checked"] and fine["problems"] == [] and fine["changed_since_start"] is False
    text = site_file.read_text(encoding="utf-8").replace("to_room: vault", "to_room: vualt")
    site_file.write_text(text, encoding="utf-8")
    broken = client.get("/api/site/validation").json()
    assert broken["changed_since_start"] is True
    problem = broken["problems"][0]
    assert problem["field"] == "doors[d-vault].to_room" and problem["line"] > 1
    assert "unknown room 'vualt'" in problem["message"]
    assert "did you mean 'vault'" in problem["text"]


def test_validation_without_a_site_file_says_so(settings: Settings, small_site: Site) -> None:
    with make_client(settings, small_site, None) as client:
        signed_in(client, "auditor")
        body = client.get("/api/site/validation").json()
    assert body["checked"] is False and "without a site file" in body["reason"]


# -- floor-plan placement (artguard.web.layout) ----------------------------------------------


def test_walls_shared_and_exterior() -> None:
    hall = [(0, 0), (10, 0), (10, 10), (0, 10)]
    gallery = [(10, 2), (20, 2), (20, 8), (10, 8)]
    assert shared_walls(hall, gallery) == [((10, 8), (10, 2))] or shared_walls(hall, gallery) == [
        ((10, 2), (10, 8))
    ]
    outside = exterior_walls(hall, [gallery])
    lengths = sorted(round(abs(a[0] - b[0]) + abs(a[1] - b[1]), 3) for a, b in outside)
    assert lengths == [2, 2, 10, 10, 10]  # the east wall minus the gallery's doorway stretch


def test_label_point_of_an_l_shaped_room_is_inside_it() -> None:
    ell = [(0, 0), (10, 0), (10, 1), (1, 1), (1, 10), (0, 10)]
    point = label_point(ell)
    assert contains(ell, point)


# -- the dashboard's static files ------------------------------------------------------------

IMPORT = re.compile(
    r"""(?:^|\s)(?:import|export)\b[^"';]*?from\s*["']([^"']+)["']|import\(\s*["']([^"']+)["']"""
)
SVG_NAMESPACE = "http://www.w3.org/2000/svg"


def test_dashboard_modules_are_served_and_need_nothing_from_elsewhere(client: TestClient) -> None:
    page = client.get("/")
    assert page.status_code == 200
    html = page.text
    # CSP script-src 'self' / style-src 'self': no inline script, handler or style attribute
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), "inline script"
    assert not re.search(r"\son[a-z]+\s*=", html), "inline event handler"
    assert "style=" not in html
    referenced = set(re.findall(r'(?:src|href)="/static/([^"]+)"', html))
    assert "app.js" in referenced and "style.css" in referenced
    seen: set[str] = set()
    todo = sorted(referenced)
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        response = client.get(f"/static/{name}")
        assert response.status_code == 200, f"{name} is referenced but not served"
        text = response.text
        # offline: nothing fetched from another host (the SVG namespace is a name, not a fetch)
        assert not re.search(r"https?://", text.replace(SVG_NAMESPACE, "")), name
        if name.endswith(".js"):
            assert response.headers["content-type"].startswith("text/javascript")
            assert ".innerHTML" not in text and ".style." not in text, name
            for static, dynamic in IMPORT.findall(text):
                target = static or dynamic
                assert target.startswith("./"), f"{name} imports {target!r}: not a local module"
                todo.append(target[2:])
    assert {"floor.js", "incidents.js", "incident.js", "site.js", "live.js", "kpis.js"} <= seen
