"""The ingestion service: validation, device checks, tokens, idempotency, durability."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from artguard.ingest.service import AuthError
from artguard.runtime import Runtime
from artguard.store.tables import events
from tests.conftest import NIGHT, at, badge, door, reading


def stored_count(runtime: Runtime) -> int:
    with runtime.engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(events)).scalar_one()


async def test_valid_events_are_stored_then_published(runtime: Runtime) -> None:
    seen = []

    async def spy(event):
        seen.append(event.id)

    runtime.bus.subscribe("spy", spy)
    items = [
        reading("rh-vault", 50, at(NIGHT, 0), id="e1"),
        badge("r-front", "badge-1", at(NIGHT, 1), id="e2"),
    ]
    result = await runtime.ingest.submit(items, token=None, source="test", trusted=True)
    assert result.accepted == ["e1", "e2"] and not result.rejected
    assert stored_count(runtime) == 2
    await runtime.bus.drain()
    assert seen == ["e1", "e2"]


async def test_resent_event_is_acknowledged_but_stored_and_published_once(
    runtime: Runtime,
) -> None:
    published = []

    async def spy(event):
        published.append(event.id)

    runtime.bus.subscribe("spy", spy, kinds={"sensor_reading"})
    item = reading("rh-vault", 50, at(NIGHT, 0), id="same")
    first = await runtime.ingest.submit([item], token=None, source="t", trusted=True)
    again = await runtime.ingest.submit([item, item], token=None, source="t", trusted=True)
    assert first.accepted == ["same"]
    assert again.accepted == [] and again.duplicates == ["same", "same"]
    await runtime.bus.drain()
    assert published == ["same"] and stored_count(runtime) == 1


async def test_bad_items_are_rejected_with_their_field_and_the_rest_kept(
    runtime: Runtime,
) -> None:
    items = [
        reading("rh-vault", 50, at(NIGHT, 0), id="good"),
        {
            "kind": "sensor_reading",
            "device_id": "rh-vault",
            "value": "wet",
            "site_time": at(NIGHT, 1),
        },
        reading("nope-sensor", 1, at(NIGHT, 2)),
        reading("r-front", 1, at(NIGHT, 3)),
        {
            "kind": "sensor_reading",
            "device_id": "rh-vault",
            "value": 1,
            "site_time": "2026-11-23T02:00:00",
        },
        {"kind": "teleport", "device_id": "rh-vault"},
        "not an object",
        door("d-nowhere", "dc-front", "open", at(NIGHT, 4)),
        reading("rh-vault", 50, at(NIGHT, 5), id="also-good"),
    ]
    result = await runtime.ingest.submit(items, token=None, source="t", trusted=True)
    assert result.accepted == ["good", "also-good"]
    by_index = {r.index: r for r in result.rejected}
    assert by_index[1].field == "value"
    assert "unknown device 'nope-sensor'" in by_index[2].message
    assert "is a reader" in by_index[3].message
    assert by_index[4].field == "site_time"  # naive time: zone required
    assert by_index[5].field == "kind"
    assert by_index[6].field == "(event)"
    assert by_index[7].field == "door_id"
    assert stored_count(runtime) == 2


async def test_token_is_required_and_scoped_to_its_devices(runtime: Runtime) -> None:
    with pytest.raises(AuthError, match="missing"):
        await runtime.ingest.submit([], token=None, source="t")
    with pytest.raises(AuthError, match="unknown or revoked"):
        await runtime.ingest.submit([], token="agd_forged", source="t")
    token_id, token = runtime.tokens.create("vault-panel", ["rh-vault", "t-vault"])
    result = await runtime.ingest.submit(
        [reading("rh-vault", 50, at(NIGHT, 0)), reading("pir-gallery", 1, at(NIGHT, 0))],
        token=token,
        source="t",
    )
    assert len(result.accepted) == 1
    assert "may not send events for device 'pir-gallery'" in result.rejected[0].message
    assert runtime.tokens.revoke(token_id)
    with pytest.raises(AuthError):
        await runtime.ingest.submit([], token=token, source="t")
    assert runtime.ingest.counters.auth_failures == 3


async def test_auth_failures_are_audited_without_flooding(runtime: Runtime) -> None:
    for _ in range(5):
        with pytest.raises(AuthError):
            await runtime.ingest.submit([], token="agd_bad", source="http:10.1.2.3")
    entries = [e for e in runtime.audit.entries(limit=100) if e.action == "ingest.auth_failed"]
    assert len(entries) == 1
    assert entries[0].subject == "http:10.1.2.3"
