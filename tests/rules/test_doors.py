"""Door rules on hand-made events: forced open and held open."""

from __future__ import annotations

from datetime import timedelta

from artguard.events import AccessAttempt, DoorState, Severity
from artguard.rules.doors import DoorForcedRule, DoorHeldOpenRule
from artguard.site import Site
from tests.conftest import NIGHT, NOON


def opened(door: str, device: str, when, contact: str = "open", **kw) -> DoorState:
    return DoorState(device_id=device, door_id=door, contact=contact, site_time=when, **kw)


def granted(reader: str, when) -> AccessAttempt:
    return AccessAttempt(device_id=reader, credential_id="badge-1", granted=True, site_time=when)


def test_door_opened_without_grant_is_forced_with_reasons(small_site: Site) -> None:
    rule = DoorForcedRule(small_site)
    alerts = rule.on_event(opened("d-vault", "dc-vault", NIGHT))
    assert len(alerts) == 1
    alert = alerts[0]
    assert alert.rule == "door_forced"
    assert alert.severity == Severity.critical  # the vault is security level 4
    assert alert.room_id == "vault"
    assert "no badge was granted" in alert.reasons[0]
    assert alert.evidence["security_level"] == 4
    assert alert.dedup_key == "door_forced:d-vault"


def test_open_within_grant_window_is_not_forced(small_site: Site) -> None:
    rule = DoorForcedRule(small_site)
    assert rule.on_event(granted("r-vault", NIGHT)) == []
    assert rule.on_event(opened("d-vault", "dc-vault", NIGHT + timedelta(seconds=3))) == []


def test_open_after_grant_window_expired_is_forced(small_site: Site) -> None:
    rule = DoorForcedRule(small_site)
    rule.on_event(granted("r-vault", NIGHT))
    alerts = rule.on_event(opened("d-vault", "dc-vault", NIGHT + timedelta(seconds=45)))
    assert [a.rule for a in alerts] == ["door_forced"]
    assert "45 s before" in alerts[0].reasons[0]


def test_a_later_grant_analysed_first_does_not_hide_the_earlier_one(small_site: Site) -> None:
    # two badges 2 s apart; the second grant reaches the rule before the first opening
    rule = DoorForcedRule(small_site)
    rule.on_event(granted("r-vault", NIGHT))
    rule.on_event(granted("r-vault", NIGHT + timedelta(seconds=2)))
    assert rule.on_event(opened("d-vault", "dc-vault", NIGHT + timedelta(seconds=1))) == []
    # a grant after the opening alone does not explain it
    later = DoorForcedRule(small_site)
    later.on_event(granted("r-vault", NIGHT + timedelta(seconds=2)))
    alerts = later.on_event(opened("d-vault", "dc-vault", NIGHT + timedelta(seconds=1)))
    assert [a.rule for a in alerts] == ["door_forced"]


def test_repeated_open_reports_are_one_opening(small_site: Site) -> None:
    rule = DoorForcedRule(small_site)
    assert len(rule.on_event(opened("d-vault", "dc-vault", NIGHT))) == 1
    assert rule.on_event(opened("d-vault", "dc-vault", NIGHT + timedelta(seconds=1))) == []
    rule.on_event(opened("d-vault", "dc-vault", NIGHT + timedelta(seconds=2), contact="closed"))
    assert len(rule.on_event(opened("d-vault", "dc-vault", NIGHT + timedelta(seconds=60)))) == 1


def test_unlocked_door_is_not_forced(small_site: Site) -> None:
    rule = DoorForcedRule(small_site)
    rule.on_event(opened("d-vault", "lock-vault", NIGHT, contact="closed", locked=False))
    assert rule.on_event(opened("d-vault", "dc-vault", NIGHT + timedelta(minutes=5))) == []


def test_vault_door_needs_grant_even_in_opening_hours(small_site: Site) -> None:
    rule = DoorForcedRule(small_site)
    assert len(rule.on_event(opened("d-vault", "dc-vault", NOON))) == 1


def test_held_open_fires_once_after_the_doors_limit(small_site: Site) -> None:
    rule = DoorHeldOpenRule(small_site)
    assert rule.on_event(opened("d-vault", "dc-vault", NIGHT)) == []
    assert rule.on_tick(NIGHT + timedelta(seconds=19)) == []  # the vault door's limit is 20 s
    alerts = rule.on_tick(NIGHT + timedelta(seconds=21))
    assert [a.rule for a in alerts] == ["door_held_open"]
    assert alerts[0].evidence["limit_seconds"] == 20
    assert alerts[0].first_event_time == NIGHT
    assert rule.on_tick(NIGHT + timedelta(seconds=90)) == []


def test_closing_in_time_clears_held_open(small_site: Site) -> None:
    rule = DoorHeldOpenRule(small_site)
    rule.on_event(opened("d-front", "dc-front", NIGHT))
    rule.on_event(opened("d-front", "dc-front", NIGHT + timedelta(seconds=10), contact="closed"))
    assert rule.on_tick(NIGHT + timedelta(minutes=5)) == []


def test_site_default_limit_applies_without_door_override(small_site: Site) -> None:
    rule = DoorHeldOpenRule(small_site)
    rule.on_event(opened("d-front", "dc-front", NIGHT))
    assert rule.on_tick(NIGHT + timedelta(seconds=29)) == []
    assert len(rule.on_tick(NIGHT + timedelta(seconds=31))) == 1
