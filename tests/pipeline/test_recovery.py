"""After a crash, what was stored but not analysed is analysed on restart, exactly once."""

from __future__ import annotations

from datetime import timedelta

from artguard.config import Settings
from artguard.events import parse_event, utcnow
from artguard.rules.recovery import CHECKPOINT
from artguard.runtime import Runtime
from artguard.site import Site
from artguard.store.checkpoints import read_checkpoint
from artguard.triage import repository as repo
from tests.conftest import NIGHT, SMALL_SITE, at, door


def alert_rules(runtime: Runtime) -> list[str]:
    with runtime.engine.connect() as conn:
        return sorted(a.rule for a in repo.list_alert_rows(conn, limit=100))


async def test_stored_but_unanalysed_events_are_analysed_after_restart(
    settings: Settings, small_site: Site
) -> None:
    first = Runtime(settings, small_site, site_path=SMALL_SITE, live_clock=False)
    async with first:
        await first.ingest.submit(
            [
                door("d-front", "dc-front", "open", at(NIGHT, 0)),
                door("d-front", "dc-front", "closed", at(NIGHT, 5)),
            ],
            token=None,
            source="t",
            trusted=True,
        )
        await first.bus.drain()
        assert alert_rules(first) == ["door_forced"]
        # The crash: the vault door's events are committed, then the process dies before
        # any rule sees them (written straight to the store, never published).
        now = utcnow()
        crashed = [
            parse_event(
                {
                    **door("d-vault", "dc-vault", "open", at(NIGHT, 60)),
                    "id": "lost-1",
                    "received_time": now + timedelta(seconds=1),
                }
            ),
        ]
        await first.writer.write(crashed)
    assert read_checkpoint(first.engine, CHECKPOINT) is not None

    second = Runtime(settings, small_site, site_path=SMALL_SITE, live_clock=False)
    async with second:
        await second.bus.drain()
        assert second.recovered_events >= 1
        assert alert_rules(second) == ["door_forced", "door_forced"]
        with second.engine.connect() as conn:
            rooms = {i.room_id for i in repo.list_incident_rows(conn, statuses=None, limit=10)}
        assert rooms == {"hall", "vault"}

    third = Runtime(settings, small_site, site_path=SMALL_SITE, live_clock=False)
    async with third:  # replaying the same window again changes nothing
        await third.bus.drain()
        assert third.recovered_events >= 1
        assert alert_rules(third) == ["door_forced", "door_forced"]
