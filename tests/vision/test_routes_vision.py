"""``/api/vision/touches`` from alerts filed by triage, and ``/api/occupancy`` from the rules."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from artguard.api.routes_vision import vision_router
from artguard.bus import MemoryBus
from artguard.config import Settings
from artguard.events import Alert, Detection, Severity, TrackedObject
from artguard.site import Site, load_site
from artguard.store.audit import AuditLog
from artguard.store.db import open_database
from artguard.triage.incidents import IncidentManager
from artguard.vision.rules.lines import LineCrossingRule, OccupancyCounter
from tests.site.helpers import DEMO_SITE

T0 = datetime(2026, 11, 24, 11, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def site() -> Site:
    return load_site(DEMO_SITE)


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    engine = open_database(Settings(data_dir=tmp_path))
    yield engine
    engine.dispose()


def alert(artwork: str, room: str, minutes: float, rule: str = "virtual_barrier") -> Alert:
    when = T0 + timedelta(minutes=minutes)
    return Alert(
        device_id="cam-g2",
        site_time=when,
        received_time=when,
        rule=rule,
        severity=Severity.high,
        title=f"Too close to {artwork}",
        reasons=["a hand inside the barrier"],
        dedup_key=f"{rule}:{artwork}",
        artwork_id=artwork,
        room_id=room,
        first_event_time=when,
    )


async def file_alerts(engine: Engine) -> None:
    triage = IncidentManager(engine, MemoryBus(), AuditLog(engine))
    for a in [
        alert("aw-millais-ophelia", "gallery-2", 0),
        alert("aw-millais-ophelia", "gallery-2", 1),  # a repeat: folded into the first
        alert("aw-millais-ophelia", "gallery-2", 2),
        alert("aw-sargent-carnation", "gallery-2", 3),
        alert("aw-turner-norham", "gallery-1", 90),
        alert("aw-turner-norham", "gallery-1", 91, rule="artwork_missing"),  # not a touch
    ]:
        await triage.file(a)


def client_for(engine: Engine, occupancy: OccupancyCounter | None) -> TestClient:
    app = FastAPI()
    app.include_router(vision_router(engine, occupancy))
    return TestClient(app)


async def test_touches_are_counted_per_artwork_and_room(engine: Engine, site: Site) -> None:
    await file_alerts(engine)
    body = client_for(engine, None).get("/api/vision/touches").json()
    assert body["total"] == 5
    assert body["by_artwork"] == [
        {"artwork_id": "aw-millais-ophelia", "room_id": "gallery-2", "touches": 3},
        {"artwork_id": "aw-sargent-carnation", "room_id": "gallery-2", "touches": 1},
        {"artwork_id": "aw-turner-norham", "room_id": "gallery-1", "touches": 1},
    ]
    assert body["by_room"] == [
        {"room_id": "gallery-2", "touches": 4},
        {"room_id": "gallery-1", "touches": 1},
    ]


async def test_touches_since_a_time(engine: Engine) -> None:
    await file_alerts(engine)
    client = client_for(engine, None)
    since = (T0 + timedelta(minutes=30)).isoformat()
    body = client.get("/api/vision/touches", params={"since": since}).json()
    assert body["total"] == 1 and body["by_artwork"][0]["artwork_id"] == "aw-turner-norham"
    naive = client.get("/api/vision/touches", params={"since": "2026-11-24T11:30:00"})
    assert naive.status_code == 422


def test_occupancy_is_live_from_the_line_rule(engine: Engine, site: Site) -> None:
    counter = OccupancyCounter(site)
    client = client_for(engine, counter)
    assert client.get("/api/occupancy").json()["updated"] is None
    rule = LineCrossingRule(site, counter)
    for i, x in enumerate([1850, 1800, 1750, 1650, 1600]):  # into Gallery 1 through its door
        obj = TrackedObject(track_id=1, confidence=0.9, bbox=(x - 40, 400, x + 40, 700))
        rule.on_event(
            Detection(device_id="cam-g1", site_time=T0 + timedelta(seconds=i), objects=[obj])
        )
    body = client.get("/api/occupancy").json()
    assert body["rooms"]["gallery-1"] == 1 and body["rooms"]["entrance-hall"] == 0
    assert body["lines"]["ln-g1-hall"] == {"in": 1, "out": 0}
    assert body["updated"] == (T0 + timedelta(seconds=3)).isoformat()


def test_no_counter_means_no_counts(engine: Engine) -> None:
    assert client_for(engine, None).get("/api/occupancy").json() == {
        "rooms": {},
        "lines": {},
        "updated": None,
    }
