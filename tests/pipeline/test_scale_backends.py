"""The same pipeline on the scale-out backends: PostgreSQL store and MQTT bus."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Iterator
from pathlib import Path

import aiomqtt
import pytest
from sqlalchemy import create_engine, text

from artguard.config import Settings
from artguard.runtime import Runtime
from artguard.site import Site
from artguard.triage import repository as repo
from tests.conftest import NIGHT, SMALL_SITE, at, badge, door, reading
from tests.services import require_mqtt, require_postgres

pytestmark = pytest.mark.services


@pytest.fixture
def postgres_url() -> Iterator[str]:
    base = require_postgres()
    schema = f"t_{uuid.uuid4().hex[:10]}"
    admin = create_engine(base)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield f"{base}?options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


async def test_forced_door_to_incident_on_postgres_and_mqtt(
    postgres_url: str, small_site: Site, tmp_path: Path
) -> None:
    host, port = require_mqtt()
    settings = Settings(
        data_dir=tmp_path, database_url=postgres_url, bus_url=f"mqtt://{host}:{port}"
    )
    runtime = Runtime(settings, small_site, site_path=SMALL_SITE, live_clock=False)
    assert runtime.engine.dialect.name == "postgresql"
    async with runtime:
        items = [
            badge("r-vault", "badge-1", at(NIGHT, 0), id=f"b-{uuid.uuid4().hex}"),
            door("d-vault", "dc-vault", "open", at(NIGHT, 2)),
            door("d-vault", "dc-vault", "closed", at(NIGHT, 6)),
            door("d-front", "dc-front", "open", at(NIGHT, 30)),
            reading("rh-vault", 75, at(NIGHT, 31)),
        ]
        result = await runtime.ingest.submit(items, token=None, source="test", trusted=True)
        assert len(result.accepted) == 5
        again = await runtime.ingest.submit(items, token=None, source="test", trusted=True)
        assert len(again.duplicates) == 5
        await asyncio.wait_for(runtime.bus.drain(), timeout=20)
        with runtime.engine.connect() as conn:
            alerts = repo.list_alert_rows(conn, limit=50)
            incidents = repo.list_incident_rows(conn, statuses=None, limit=50)
        assert sorted(a.rule for a in alerts) == ["door_forced", "sensor_threshold"]
        assert {i.room_id for i in incidents} == {"hall", "vault"}
        hall = next(i for i in incidents if i.room_id == "hall")
        row = await runtime.incidents.transition(hall.id, "acknowledge", "sam")
        assert row.status == "acknowledged"

        # A device publishing over MQTT reaches the same pipeline, and hears back.
        token = runtime.tokens.create("vault-glass", ["gb-gallery"])[1]
        site_id = small_site.id
        async with aiomqtt.Client(host, port, identifier=f"dev-{uuid.uuid4().hex[:8]}") as device:
            await device.subscribe(f"artguard/{site_id}/ingest-result/gb-gallery", qos=1)
            envelope = {
                "token": token,
                "request_id": "r1",
                "events": [reading("gb-gallery", 1, at(NIGHT, 40))],
            }
            await device.publish(
                f"artguard/{site_id}/ingest/gb-gallery", json.dumps(envelope), qos=1
            )
            answer = await asyncio.wait_for(anext(aiter(device.messages)), timeout=20)
        body = json.loads(answer.payload)
        assert body["status"] == "ok" and len(body["accepted"]) == 1, body
        await asyncio.wait_for(runtime.bus.drain(), timeout=20)
        with runtime.engine.connect() as conn:
            rules = {a.rule for a in repo.list_alert_rows(conn, limit=50)}
        assert "glass_break" in rules
        assert runtime.audit.verify().ok
