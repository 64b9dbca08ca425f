"""The bundled demo museum loads, is complete, and the lookup helpers answer from it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from artguard.site import OUTSIDE, Site, check_site, load_site

from .helpers import DEMO_SITE


@pytest.fixture(scope="module")
def site() -> Site:
    return load_site(DEMO_SITE)


def test_demo_site_has_no_problems() -> None:
    assert check_site(DEMO_SITE) == []


def test_demo_site_is_a_plausible_small_museum(site: Site) -> None:
    room_ids = {room.id for room in site.rooms}
    assert {
        "entrance-hall",
        "gallery-1",
        "gallery-2",
        "gallery-3",
        "sculpture-court",
        "staff-corridor",
        "storage-vault",
    } <= room_ids
    assert 12 <= len(site.artworks) <= 15
    assert len(site.cameras) >= 4
    assert len([d for d in site.doors if d.readers]) >= 5
    assert len(site.sensors) >= 15
    assert len(site.people) >= 10
    assert {s.type for s in site.sensors} == {
        "motion",
        "vibration",
        "door_contact",
        "glass_break",
        "temperature",
        "humidity",
        "passage_counter",
    }
    assert {p.schedule for p in site.people if p.role == "guard"} == {
        "shift-early",
        "shift-late",
        "shift-night",
    }
    vault = site.room("storage-vault")
    assert vault.security_level == 4
    assert site.policies.access.two_person.rooms == ["storage-vault"]
    vault_door = site.door("d-vault")
    assert (vault_door.readers, vault_door.exit_readers) == (["r-vault-out"], ["r-vault-in"])
    assert site.reader_leads_out("r-vault-in") and not site.reader_leads_out("r-vault-out")
    assert all(room.id in site.adjacent(other) for room in site.rooms for other in room.adjacent)


def test_demo_artworks_carry_collection_metadata(site: Site) -> None:
    ophelia = site.artwork("aw-millais-ophelia")
    assert (ophelia.title, ophelia.artist, ophelia.year, ophelia.accession_number) == (
        "Ophelia",
        "Sir John Everett Millais, Bt",
        "1851\u20132",  # Tate writes date ranges with an en dash
        "N01506",
    )
    assert all(a.accession_number and a.medium and a.year for a in site.artworks)


def test_identity_and_time_zone(site: Site) -> None:
    assert site.id == "demo-museum"
    assert site.name == "The Harbourside Gallery"
    assert site.tz.key == "Europe/London"
    assert site.retention.audit == timedelta(days=2555)
    assert site.retention.snapshots == timedelta(days=30)


def test_lookups_by_id_and_clear_key_errors(site: Site) -> None:
    assert site.room("gallery-1").name.startswith("Gallery 1")
    assert site.sensor("rh-vault").min == 45
    assert site.camera("cam-court").homography is not None
    assert site.person("p-007").zones == ["*"]
    with pytest.raises(KeyError, match="unknown door 'd-nowhere' in site 'demo-museum'"):
        site.door("d-nowhere")
    with pytest.raises(KeyError, match="unknown room"):
        site.adjacent("attic")


def test_devices_map_to_doors_and_rooms(site: Site) -> None:
    vault = site.door("d-vault")
    assert site.door_for_reader("r-vault-in") is vault
    assert site.door_for_reader("r-vault-out") is vault
    assert site.door_for_lock("lock-vault") is vault
    assert site.door_for_contact("dc-vault") is vault
    assert site.door_for_reader("pir-vault") is None
    assert site.device_kind("r-hall-g1") == "reader"
    assert site.device_kind("lock-hall-g1") == "lock"
    assert site.device_kind("d-hall-g1") == "door"
    assert site.device_kind("cam-hall") == "camera"
    assert site.device_kind("temp-g1") == "sensor"
    assert site.device_kind("gallery-1") is None
    assert site.device_room("r-hall-g1") == "gallery-1"
    assert site.device_room("pir-court") == "sculpture-court"
    assert site.device_room("cam-hall") == "entrance-hall"
    # an exterior door's devices belong to the room inside, never to "outside"
    assert site.door("d-main-entrance").from_room == OUTSIDE
    assert site.device_room("r-main-entrance") == "entrance-hall"
    expected = 9 + 9 + 9 + 7 + 37  # doors, readers, locks, cameras, sensors
    assert len(site.device_ids()) == expected
    assert {"r-vault-in", "lock-vault", "d-vault", "cam-vault", "dc-vault"} <= site.device_ids()


def test_credentials_and_holders(site: Site) -> None:
    assert site.credential_holder("face-1008").name == "Samuel Reid"
    assert site.credential_holder("card-0000") is None
    contractor = "card-9001"  # valid 2026-03-02 .. 2026-06-30 inclusive, London time
    assert not site.credential_valid(contractor, datetime(2026, 3, 1, 23, 59, tzinfo=UTC))
    assert site.credential_valid(contractor, datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
    # 22:30 UTC on 30 June is 23:30 in London (BST): still the last valid day
    assert site.credential_valid(contractor, datetime(2026, 6, 30, 22, 30, tzinfo=UTC))
    assert not site.credential_valid(contractor, datetime(2026, 6, 30, 23, 30, tzinfo=UTC))
    assert not site.credential_valid("card-0000", datetime(2026, 5, 1, tzinfo=UTC))


def test_opening_hours_in_site_time(site: Site) -> None:
    tuesday_11_bst = datetime(2026, 7, 7, 10, 0, tzinfo=UTC)
    assert site.is_open_to_public("gallery-1", tuesday_11_bst)
    assert not site.is_open_to_public("storage-vault", tuesday_11_bst)
    assert not site.is_open_to_public("gallery-1", datetime(2026, 7, 6, 10, 0, tzinfo=UTC))  # Mon
    friday_late = datetime(2026, 7, 10, 19, 30, tzinfo=UTC)  # 20:30 BST, late opening
    assert site.is_open_to_public("gallery-1", friday_late)
    christmas = datetime(2026, 12, 25, 12, 0, tzinfo=UTC)  # a Friday, but a holiday
    assert not site.is_open_to_public("gallery-1", christmas)
    assert site.in_schedule("shift-early", christmas)  # guards work holidays
    assert site.is_holiday(christmas.date())


def test_held_open_limit_uses_door_override_then_policy(site: Site) -> None:
    assert site.held_open_limit("d-vault") == timedelta(seconds=15)
    assert site.held_open_limit("d-hall-g1") == timedelta(seconds=30)
