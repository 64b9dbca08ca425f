"""Correlation by time and space, de-duplication and suppression: one cause, one incident."""

from __future__ import annotations

from artguard.events import Severity
from artguard.runtime import Runtime
from artguard.triage import repository as repo
from tests.conftest import NOON
from tests.triage.helpers import camera_alert, make_alert


def incident(runtime: Runtime, incident_id: str):  # type: ignore[no-untyped-def]
    with runtime.engine.connect() as conn:
        return repo.get_incident_row(conn, incident_id)


async def test_adjacent_room_joins_and_a_far_room_does_not(runtime: Runtime) -> None:
    vault = await runtime.incidents.file(make_alert("door_forced", "vault", 0))
    hall = await runtime.incidents.file(make_alert("after_hours_presence", "hall", 30))
    gallery = await runtime.incidents.file(make_alert("after_hours_presence", "gallery", 35))
    assert hall.incident_id != vault.incident_id  # the hall is two rooms from the vault
    assert gallery.incident_id in {vault.incident_id, hall.incident_id}  # next to both
    with runtime.engine.connect() as conn:
        joined = repo.get_alert_row(conn, gallery.alert_id)
    assert joined.correlation.startswith("room gallery is next to")


async def test_a_path_through_adjacent_rooms_is_one_incident(runtime: Runtime) -> None:
    vault = await runtime.incidents.file(make_alert("door_forced", "vault", 0))
    gallery = await runtime.incidents.file(make_alert("after_hours_presence", "gallery", 30))
    hall = await runtime.incidents.file(make_alert("after_hours_presence", "hall", 60))
    assert vault.incident_id == gallery.incident_id == hall.incident_id
    with runtime.engine.connect() as conn:
        joined = repo.get_alert_row(conn, gallery.alert_id)
    assert joined.correlation == "room gallery is next to vault (door_forced)"


async def test_same_artwork_joins_across_devices_and_the_window_closes(runtime: Runtime) -> None:
    first = await runtime.incidents.file(
        make_alert("virtual_barrier", "gallery", 0, artwork="aw-1", device="cam-1")
    )
    shaken = await runtime.incidents.file(
        make_alert("sensor_threshold", "gallery", 60, device="vib-aw-1")
    )
    assert shaken.incident_id == first.incident_id
    with runtime.engine.connect() as conn:
        assert "same artwork" in repo.get_alert_row(conn, shaken.alert_id).correlation
    # more than the 5-minute window after the incident's last alert: a new incident
    later = await runtime.incidents.file(
        make_alert("sensor_threshold", "gallery", 60 + 301, device="vib-aw-1", key="other")
    )
    assert later.incident_id != first.incident_id


async def test_climate_and_security_in_one_room_stay_separate(runtime: Runtime) -> None:
    humid = await runtime.incidents.file(
        make_alert("sensor_threshold", "vault", 0, device="rh-vault", severity=Severity.low)
    )
    forced = await runtime.incidents.file(make_alert("door_forced", "vault", 20))
    warm = await runtime.incidents.file(
        make_alert("sensor_threshold", "vault", 40, device="t-vault", severity=Severity.low)
    )
    assert forced.incident_id != humid.incident_id
    assert warm.incident_id == humid.incident_id
    climate = incident(runtime, humid.incident_id)
    assert climate.pattern == "environmental_risk" and climate.score < 0.4


async def test_repeats_of_one_cause_count_but_add_no_weight(runtime: Runtime) -> None:
    first = await runtime.incidents.file(make_alert("door_held_open", "vault", 0))
    score = incident(runtime, first.incident_id).score
    for i in range(1, 8):  # a flapping contact: the same cause again and again
        again = await runtime.incidents.file(make_alert("door_held_open", "vault", 10 * i))
        assert again.change == "alert_repeated" and again.alert_id == first.alert_id
    row = incident(runtime, first.incident_id)
    assert row.alert_count == 1 and row.score == score
    assert row.contributions[0]["repeats"] == 8
    assert "(repeated 8 times, counted once)" in row.contributions[0]["why"]
    with runtime.engine.connect() as conn:
        assert repo.get_alert_row(conn, first.alert_id).repeat_count == 8


async def test_a_covered_camera_suppresses_what_it_sees_afterwards(runtime: Runtime) -> None:
    covered = await runtime.incidents.file(camera_alert("cam-1", "gallery", "covered", 0))
    before = incident(runtime, covered.incident_id).score
    missing = await runtime.incidents.file(
        make_alert(
            "artwork_missing",
            "gallery",
            5,
            device="cam-1",
            artwork="aw-1",
            evidence={"camera_id": "cam-1", "status": "missing"},
        )
    )
    assert missing.incident_id == covered.incident_id
    row = incident(runtime, covered.incident_id)
    suppressed = [c for c in row.contributions if c["suppressed"]]
    assert [c["rule"] for c in suppressed] == ["artwork_missing"]
    assert suppressed[0]["weight"] == 0 and "cam-1 was reported covered" in suppressed[0]["why"]
    assert row.score == before and row.pattern == "sensor_or_camera_sabotage"


async def test_a_tampered_sensor_readings_are_suppressed(runtime: Runtime) -> None:
    tamper = await runtime.incidents.file(
        make_alert("sensor_tamper", "gallery", 0, device="vib-aw-1")
    )
    reading = await runtime.incidents.file(
        make_alert("sensor_threshold", "gallery", 3, device="vib-aw-1")
    )
    assert reading.incident_id == tamper.incident_id
    row = incident(runtime, tamper.incident_id)
    assert [c["suppressed"] for c in row.contributions] == [False, True]
    assert row.pattern == "sensor_or_camera_sabotage"


async def test_cameras_going_offline_together_are_one_fault(runtime: Runtime) -> None:
    one = await runtime.incidents.file(camera_alert("cam-a", "hall", "offline", 0))
    two = await runtime.incidents.file(camera_alert("cam-b", "vault", "offline", 4))
    assert two.incident_id == one.incident_id
    with runtime.engine.connect() as conn:
        assert "offline together" in repo.get_alert_row(conn, two.alert_id).correlation


async def test_a_closed_incident_takes_no_more_alerts(runtime: Runtime) -> None:
    first = await runtime.incidents.file(make_alert("door_forced", "vault", 0))
    await runtime.incidents.transition(first.incident_id, "resolve", "sam", "checked")
    again = await runtime.incidents.file(make_alert("door_forced", "vault", 10))
    assert again.change == "opened" and again.incident_id != first.incident_id


async def test_only_intrusion_like_signals_chain_through_adjacent_rooms(runtime: Runtime) -> None:
    loiter = await runtime.incidents.file(make_alert("loitering", "hall", 0, base=NOON))
    badge = await runtime.incidents.file(make_alert("access_anomaly", "gallery", 20, base=NOON))
    assert badge.incident_id != loiter.incident_id
