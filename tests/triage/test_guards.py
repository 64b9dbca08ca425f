"""Guard locations from badges: used at once, stored in batches (one transaction for many
badges, each guard's latest), kept across a restart; a reported location is stored at once."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, select

from artguard.config import Settings
from artguard.events import AccessDecision, utcnow
from artguard.runtime import Runtime
from artguard.store.db import open_database
from artguard.store.tables import guard_locations
from artguard.triage import guards as guards_module
from artguard.triage.guards import GuardLocator
from tests.triage.escalation_helpers import escalation_site


def _badge(person: str, room: str, at: datetime, door: str = "d-vault") -> AccessDecision:
    return AccessDecision(
        device_id="r-vault",
        site_time=at,
        credential_id=f"badge-{person}",
        outcome="grant",
        risk=0.1,
        reasons=["test"],
        person_id=person,
        door_id=door,
        room_id=room,
    )


def _stored(engine: Engine) -> dict[str, str]:
    with engine.connect() as conn:
        return {r.person_id: r.room_id for r in conn.execute(select(guard_locations))}


@pytest.fixture
def transactions(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """One entry per write transaction the locator opens, with the rows it wrote."""
    opened: list[int] = []
    original = guards_module.writing

    @contextmanager
    def counting(engine: Engine) -> Iterator[Any]:
        with original(engine) as conn:
            calls = 0
            execute = conn.execute

            def counted(*args: Any, **kwargs: Any) -> Any:
                nonlocal calls
                calls += 1
                return execute(*args, **kwargs)

            conn.execute = counted  # type: ignore[method-assign]
            yield conn
        opened.append(calls)

    monkeypatch.setattr(guards_module, "writing", counting)
    return opened


async def test_badges_are_used_at_once_and_stored_in_one_transaction(
    settings: Settings, transactions: list[int]
) -> None:
    engine = open_database(settings)
    locator = GuardLocator(escalation_site(), engine, save_every_s=3600)
    now = utcnow()
    rooms = ["hall", "gallery", "vault"]
    for i in range(60):  # two guards walking round, 30 badges each
        await locator.handle(_badge("g-amelia", rooms[i % 3], now + timedelta(seconds=i)))
        await locator.handle(_badge("g-ben", rooms[(i + 1) % 3], now + timedelta(seconds=i)))
    await locator.handle(_badge("g-ben", "hall", now - timedelta(minutes=5)))  # older: ignored
    amelia, ben = locator.location("g-amelia"), locator.location("g-ben")
    assert amelia is not None and amelia.room_id == "vault"  # i = 59
    assert ben is not None and ben.room_id == "hall" and ben.time == now + timedelta(seconds=59)
    assert transactions == [] and _stored(engine) == {}  # not yet written

    await locator.stop()
    assert _stored(engine) == {"g-amelia": "vault", "g-ben": "hall"}
    assert len(transactions) == 1  # 120 badges, one transaction (an update per guard)


async def test_badge_locations_are_saved_soon_without_a_stop(settings: Settings) -> None:
    engine = open_database(settings)
    locator = GuardLocator(escalation_site(), engine, save_every_s=0.05)
    await locator.handle(_badge("g-amelia", "gallery", utcnow()))
    for _ in range(100):
        if _stored(engine):
            break
        await asyncio.sleep(0.02)
    assert _stored(engine) == {"g-amelia": "gallery"}
    await locator.stop()


async def test_a_report_is_stored_at_once_and_a_newer_badge_wins_later(
    settings: Settings,
) -> None:
    engine = open_database(settings)
    locator = GuardLocator(escalation_site(), engine, save_every_s=3600)
    now = utcnow()
    await locator.handle(_badge("g-ben", "gallery", now))
    kept = await locator.record("g-ben", "hall", now - timedelta(minutes=1), "radio")
    assert kept.room_id == "gallery" and _stored(engine) == {}  # older report: badge kept
    kept = await locator.record("g-ben", "vault", now + timedelta(seconds=5), "radio")
    assert kept.room_id == "vault" and _stored(engine) == {"g-ben": "vault"}
    await locator.stop()  # the older badge, superseded, is not written over it
    assert _stored(engine) == {"g-ben": "vault"}


async def test_badge_locations_survive_a_restart(settings: Settings) -> None:
    site = escalation_site()
    first = Runtime(settings, site, live_clock=False)
    await first.start()
    await first.bus.publish(_badge("g-amelia", "vault", utcnow()))
    await first.bus.drain()
    await first.stop()

    second = Runtime(settings, site, live_clock=False)
    await second.start()
    try:
        where = second.guards.location("g-amelia")
        assert where is not None and where.room_id == "vault"
        assert where.source == "badge at d-vault"
    finally:
        await second.stop()
