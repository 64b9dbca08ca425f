"""Staff who badged in before a restart are still known after it.

The small site's guard Alex (p-1) works the day shift (07:00-19:00); the gallery closes to the
public at 18:00 (10 minutes' grace), so at 18:30 a person on the gallery camera is after
hours and Alex, badged into the hall next door, could be them. November in London is UTC.

The rule engine's own recovery replays only the last minutes before its checkpoint, so the
grants here are stored with a received time well before it: only the staff warm-up brings
them back.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import insert

from artguard.config import Settings
from artguard.events import AccessDecision, EventBase, Severity, utcnow
from artguard.runtime import Runtime
from artguard.site import Site
from artguard.store.events import event_row
from artguard.store.tables import events
from artguard.triage import repository as repo
from artguard.vision.rules import staff_nearby
from artguard.vision.rules.staff_nearby import STAFF_WINDOW, StaffOnSite
from tests.conftest import SMALL_SITE, reading

EVENING = datetime(2026, 11, 23, 18, 30, tzinfo=UTC)
"""Monday 18:30: the gallery closed to the public, Alex still on shift."""


def grant(
    at: datetime, received: datetime, room: str = "hall", door: str = "d-front", n: int = 0
) -> AccessDecision:
    return AccessDecision(
        id=f"grant-{n}-{at:%H%M%S}-{room}",
        device_id="r-front",
        site_time=at,
        received_time=received,
        credential_id="badge-1",
        outcome="grant",
        risk=0.1,
        reasons=["test"],
        person_id="p-1",
        door_id=door,
        room_id=room,
    )


def detection(at: datetime, track: int = 1) -> dict[str, object]:
    return {
        "kind": "detection",
        "device_id": "cam-1",
        "site_time": at.isoformat(),
        "objects": [
            {"track_id": track, "confidence": 0.8, "bbox": [600, 300, 680, 600]},
        ],
    }


async def run_before_restart(settings: Settings, site: Site, stored: list[EventBase]) -> None:
    """A first run: ``stored`` was written long ago; a sensor reading analysed just now sets
    the rule checkpoint, so recovery on the next start replays only the last minutes."""
    first = Runtime(settings, site, site_path=SMALL_SITE, live_clock=False)
    async with first:
        await first.writer.write(stored)
        await first.ingest.submit(
            [reading("t-vault", 20.0, (EVENING - timedelta(hours=2)).isoformat())],
            token=None,
            source="t",
            trusted=True,
        )
        await first.bus.drain()
    assert first.rules.analysed_until is not None


async def sighting_after_restart(settings: Settings, site: Site) -> list[tuple[str, Severity]]:
    """Restart on the same data dir; the gallery camera sees one person for 3 s at 18:30."""
    second = Runtime(settings, site, site_path=SMALL_SITE, live_clock=False)
    async with second:
        frames = [detection(EVENING + timedelta(seconds=0.5 * i)) for i in range(7)]
        await second.ingest.submit(frames, token=None, source="t", trusted=True)
        await second.bus.drain()
        with second.engine.connect() as conn:
            rows = repo.list_alert_rows(conn, limit=100)
    return [(a.rule, Severity(a.severity)) for a in rows if a.rule.startswith("after_hours")]


async def test_a_guard_badged_in_before_a_restart_is_low_after_it(
    settings: Settings, small_site: Site
) -> None:
    now = utcnow()
    badged = grant(EVENING - timedelta(minutes=25), received=now - timedelta(minutes=25))
    await run_before_restart(settings, small_site, [badged])
    alerts = await sighting_after_restart(settings, small_site)
    assert alerts == [("after_hours_presence_staff", Severity.low)]


async def test_a_grant_older_than_the_window_does_not_explain(
    settings: Settings, small_site: Site
) -> None:
    old = STAFF_WINDOW + timedelta(minutes=5)
    badged = grant(EVENING - old, received=utcnow() - old)
    await run_before_restart(settings, small_site, [badged])
    alerts = await sighting_after_restart(settings, small_site)
    assert alerts == [("after_hours_presence", Severity.high)]


# -- the read itself ---------------------------------------------------------------------------


def store(runtime: Runtime, batch: list[EventBase]) -> None:
    with runtime.engine.begin() as conn:
        conn.execute(insert(events), [event_row(e) for e in batch])


@pytest.fixture
def fresh(settings: Settings, small_site: Site) -> Iterator[Runtime]:
    """An unstarted runtime: its store, not its rules."""
    runtime = Runtime(settings, small_site, site_path=SMALL_SITE, live_clock=False)
    yield runtime
    runtime.engine.dispose()


def explains(staff: StaffOnSite, at: datetime) -> bool:
    return staff.explain("gallery", at, [at]) is not None


def test_restore_reads_only_the_window_by_received_time(fresh: Runtime, small_site: Site) -> None:
    now = datetime(2026, 11, 23, 18, 40, tzinfo=UTC)
    # Sent by a reader that was offline: the site time is recent, the arrival is not.
    late = grant(EVENING - timedelta(minutes=5), received=now - STAFF_WINDOW - timedelta(minutes=1))
    store(fresh, [late])
    staff = StaffOnSite(small_site)
    assert staff.restore(fresh.engine, now=now) == 0
    assert not explains(staff, EVENING)
    store(fresh, [grant(EVENING - timedelta(minutes=5), received=now - timedelta(minutes=30), n=1)])
    assert staff.restore(fresh.engine, now=now) == 1
    assert explains(staff, EVENING)


def test_restore_replays_in_arrival_order(
    fresh: Runtime, small_site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A badge out of the building after the badge in forgets the guard, as it did live."""
    monkeypatch.setattr(staff_nearby, "RESTORE_PAGE", 1)  # one page per decision
    now = EVENING
    into = grant(EVENING - timedelta(minutes=20), received=now - timedelta(minutes=20))
    out = grant(
        EVENING - timedelta(minutes=10), received=now - timedelta(minutes=10), room="outside"
    )
    store(fresh, [into, out])
    staff = StaffOnSite(small_site)
    assert staff.restore(fresh.engine, now=now) == 2
    assert not explains(staff, EVENING)


def test_a_stored_event_that_does_not_parse_is_skipped(
    fresh: Runtime, small_site: Site, caplog: pytest.LogCaptureFixture
) -> None:
    now = EVENING
    broken = grant(EVENING - timedelta(minutes=20), received=now - timedelta(minutes=20), n=1)
    good = grant(EVENING - timedelta(minutes=15), received=now - timedelta(minutes=15), n=2)
    store(fresh, [broken, good])
    with fresh.engine.begin() as conn:
        conn.execute(
            events.update().where(events.c.id == broken.id).values(payload='{"kind": "access')
        )
    staff = StaffOnSite(small_site)
    with caplog.at_level(logging.WARNING):
        assert staff.restore(fresh.engine, now=now) == 1
    assert broken.id in caplog.text
    assert explains(staff, EVENING)


def test_past_the_limit_the_oldest_are_left_out(
    fresh: Runtime, small_site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(staff_nearby, "RESTORE_PAGE", 1)
    now = EVENING
    into = grant(EVENING - timedelta(minutes=20), received=now - timedelta(minutes=20))
    out = grant(EVENING - timedelta(minutes=10), received=now - timedelta(minutes=10), n=1)
    back = grant(EVENING - timedelta(minutes=5), received=now - timedelta(minutes=5), n=2)
    store(fresh, [into, out, back])
    staff = StaffOnSite(small_site)
    assert staff.restore(fresh.engine, now=now, limit=2) == 2
    (found,) = staff.explain("gallery", EVENING, [EVENING]).staff  # type: ignore[union-attr]
    assert found.granted_at == back.site_time
