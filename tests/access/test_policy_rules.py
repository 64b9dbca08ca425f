"""Each policy rule decides as the site file says, with its reason in plain words."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from artguard.access.request import AccessRequest, RequestError
from artguard.site.access_policy import DEFAULT_FACTORS, AntiPassback

from .helpers import LONDON, TUESDAY_10, Door


def test_an_authorised_person_with_the_right_factors_is_granted() -> None:
    door = Door()
    decision = door.ask("card-guard", "r-front")
    assert decision.outcome == "grant"
    assert decision.reasons[0] == "Gail Guard may enter Hall via Front door"
    assert decision.room_id == "hall" and decision.person_id == "p-guard"
    assert 0.0 <= decision.risk < 0.6


def test_an_unknown_credential_and_an_unknown_reader_are_denied() -> None:
    door = Door()
    unknown = door.ask("card-nobody", "r-front")
    assert unknown.outcome == "deny"
    assert "not issued to anyone" in unknown.reasons[0]
    reader = door.ask("card-guard", "r-nowhere")
    assert reader.outcome == "deny"
    assert "reader 'r-nowhere' is not on any door" in reader.reasons[0]


def test_a_room_outside_the_persons_zones_is_denied() -> None:
    decision = Door().ask("card-guard", "r-airlock", "card", "pin")
    assert decision.outcome == "deny"
    assert "Gail Guard (guard) is not authorised for Airlock" in decision.reasons


def test_outside_the_shift_and_on_holidays_is_denied() -> None:
    door = Door()
    door.now = datetime(2026, 11, 24, 6, 0, tzinfo=LONDON)
    early = door.ask("card-guard", "r-front")
    assert early.outcome == "deny"
    assert "outside their schedule 'Day shift'" in early.reasons[0]
    door.now = datetime(2026, 12, 25, 10, 0, tzinfo=LONDON)  # a Friday, Christmas
    holiday = door.ask("card-curator", "r-front")
    assert holiday.outcome == "deny"
    assert "(a holiday)" in holiday.reasons[0]


def test_an_expired_credential_is_denied() -> None:
    door = Door()
    door.now = datetime(2026, 12, 2, 10, 0, tzinfo=LONDON)
    decision = door.ask("card-con", "r-front")
    assert decision.outcome == "deny"
    assert "is not valid now" in decision.reasons[0]


def test_security_level_sets_the_factors_and_a_missing_one_steps_up() -> None:
    door = Door()
    assert door.ask("card-guard", "r-front").outcome == "grant"
    step = door.ask("card-guard", "r-corridor")
    assert step.outcome == "step_up" and step.required == ["pin"]
    assert "Staff corridor (security level 3) needs card + pin: missing pin" in step.reasons
    assert door.ask("card-guard", "r-corridor", "card", "pin").outcome == "grant"


def test_lockout_after_repeated_denials_then_expires() -> None:
    door = Door()
    for _ in range(3):
        assert door.ask("card-guard", "r-airlock", "card", "pin").outcome == "deny"
    locked = door.ask("card-guard", "r-front")
    assert locked.outcome == "deny"
    assert any("locked out until" in r and "after 3 denied attempts" in r for r in locked.reasons)
    later = door.ask("card-guard", "r-front", after=16 * 60)
    assert later.outcome == "grant"


def test_a_grant_resets_the_denial_count() -> None:
    door = Door()
    door.ask("card-guard", "r-airlock", "card", "pin")
    door.ask("card-guard", "r-airlock", "card", "pin")
    assert door.ask("card-guard", "r-front").outcome == "grant"
    door.ask("card-guard", "r-airlock", "card", "pin")
    assert door.ask("card-guard", "r-gallery").outcome == "grant"


def test_hard_anti_passback_denies_reentry_without_exit_and_exit_clears_it() -> None:
    door = Door()
    assert door.ask("card-guard", "r-front").outcome == "grant"
    again = door.ask("card-guard", "r-front")
    assert again.outcome == "deny"
    assert "already recorded in Hall" in again.reasons[0]
    assert "passed back" in again.reasons[0]
    out = door.ask("card-guard", "r-front-out")
    assert out.outcome == "grant" and out.direction == "out" and out.room_id == "outside"
    assert door.ask("card-guard", "r-front").outcome == "grant"


def test_soft_and_timed_anti_passback() -> None:
    door = Door(anti_passback=AntiPassback(mode="soft"))
    door.ask("card-guard", "r-front")
    soft = door.ask("card-guard", "r-front")
    assert soft.outcome == "grant"
    assert [f.rule for f in soft.notes] == ["anti_passback.soft"]
    door.pdp.policy = door.pdp.policy.model_copy(
        update={"anti_passback": AntiPassback(mode="timed", seconds=120)}
    )
    timed = door.ask("card-guard", "r-front", after=30)
    assert timed.outcome == "deny" and "timed anti-passback: 120 s" in timed.reasons[0]
    assert door.ask("card-guard", "r-front", after=200).outcome == "grant"


def test_exits_are_never_refused_for_known_credentials() -> None:
    door = Door()
    door.pdp.state.threat_level = "lockdown"
    out = door.ask("card-guard", "r-front-out")
    assert out.outcome == "grant"


def test_two_person_rule_waits_for_a_second_authorised_person() -> None:
    door = Door()
    first = door.ask("card-curator", "r-vault", "card", "pin", "face")
    assert first.outcome == "step_up" and first.required == ["second_person"]
    same_again = door.ask("card-curator", "r-vault", "card", "pin", "face")
    assert same_again.outcome == "step_up"  # the same person twice is not two people
    second = door.ask("card-curator2", "r-vault", "card", "pin", "face", after=5)
    assert second.outcome == "grant"
    assert "second authorised person; Cara Curator badged" in " ".join(second.reasons)
    assert door.pdp.state.where["p-curator"].room_id == "vault"


def test_two_person_window_expires() -> None:
    door = Door()
    door.ask("card-curator", "r-vault", "card", "pin", "face")
    late = door.ask("card-curator2", "r-vault", "card", "pin", "face", after=31)
    assert late.outcome == "step_up" and late.required == ["second_person"]


def test_interlock_denies_while_the_other_door_is_open() -> None:
    door = Door()
    door.pdp.state.door_changed("d-vault", True)
    blocked = door.ask("card-curator", "r-airlock", "card", "pin")
    assert blocked.outcome == "deny"
    assert "interlock vault-airlock: Vault inner door is open" in blocked.reasons[0]
    door.pdp.state.door_changed("d-vault", False)
    assert door.ask("card-curator", "r-airlock", "card", "pin").outcome == "grant"


def test_first_person_in_keeps_the_room_locked_until_a_supervisor_badges() -> None:
    door = Door()
    early = door.ask("card-guard", "r-store", "card", "pin")
    assert early.outcome == "deny"
    assert "stays locked until a supervisor has badged in today" in early.reasons[0]
    assert door.ask("card-super", "r-store", "card", "pin").outcome == "grant"
    assert door.ask("card-guard", "r-store", "card", "pin").outcome == "grant"
    door.now = door.now + timedelta(days=1)
    assert door.ask("card-guard2", "r-store", "card", "pin").outcome == "deny"


def test_a_contractor_needs_an_escort_who_badged_just_before() -> None:
    door = Door()
    alone = door.ask("card-con", "r-front")
    assert alone.outcome == "step_up" and alone.required == ["escort"]
    assert "Con Tractor (contractor) must be escorted" in alone.reasons[0]
    door.ask("card-guard", "r-front")
    escorted = door.ask("card-con", "r-front", after=10)
    assert escorted.outcome == "grant"
    assert any("escorted by Gail Guard" in r for r in escorted.reasons)
    door.ask("card-guard2", "r-gallery")
    assert door.ask("card-con", "r-gallery", after=90).outcome == "deny"  # not in their zones


def test_reverification_asks_for_a_face_after_the_limit() -> None:
    door = Door(factors={**DEFAULT_FACTORS, 4: ["card", "pin"]})
    assert door.ask("card-curator2", "r-vault", "card", "pin").outcome == "step_up"
    assert door.ask("card-curator", "r-vault", "card", "pin", after=5).outcome == "grant"
    assert door.ask("card-curator", "r-vault-out", after=60).outcome == "grant"
    door.ask("card-curator2", "r-vault-out", after=5)
    soon = door.ask("card-curator", "r-vault", "card", "pin", after=60)
    assert soon.required == ["second_person"]  # within 30 min: no face asked
    late = door.ask("card-curator", "r-vault", "card", "pin", after=30 * 60)
    assert late.outcome == "step_up" and "face" in late.required
    assert any("last fully verified 32 min ago" in r for r in late.reasons)


def test_threat_levels_tighten_every_decision() -> None:
    door = Door()
    door.pdp.state.threat_level = "elevated"
    gallery = door.ask("card-guard", "r-gallery")
    assert gallery.outcome == "step_up" and gallery.required == ["pin"]
    assert door.ask("card-guard2", "r-gallery", "card", "pin").outcome == "grant"
    assert door.ask("card-con", "r-front").outcome == "deny"
    door.pdp.state.threat_level = "lockdown"
    locked = door.ask("card-guard", "r-front")
    assert locked.outcome == "deny"
    assert "threat level lockdown" in locked.reasons[0]
    assert door.ask("card-super", "r-front").outcome == "grant"


def test_high_risk_steps_up_and_the_score_is_explained() -> None:
    door = Door(step_up_risk=0.2)
    assert door.ask("card-guard", "r-airlock", "card", "pin").outcome == "deny"
    calm = door.ask("card-guard2", "r-gallery", after=5)
    assert calm.outcome == "grant" and calm.risk < 0.2
    assert door.ask("card-guard", "r-airlock", "card", "pin").outcome == "deny"
    risky = door.ask("card-guard", "r-gallery")
    assert risky.outcome == "step_up" and risky.required == ["pin"]
    assert any("risk 0.2" in r and "one more factor" in r for r in risky.reasons)
    assert door.ask("card-guard", "r-gallery", "card", "pin").outcome == "grant"


def test_explain_changes_nothing() -> None:
    door = Door()
    for _ in range(5):
        door.ask("card-guard", "r-airlock", "card", "pin", record=False)
    assert door.ask("card-guard", "r-front").outcome == "grant"


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"credential_id": ""}, "credential_id"),
        ({"reader_id": ""}, "reader_id"),
        ({"factors": ["card", "retina"]}, "factors"),
        ({"at": datetime(2026, 11, 24, 10, 0)}, "at"),
    ],
)
def test_a_malformed_request_names_the_field(kwargs: dict, field: str) -> None:
    base = {"credential_id": "c", "reader_id": "r", "at": TUESDAY_10, "factors": ["card"]}
    base.update(kwargs)
    with pytest.raises(RequestError) as caught:
        AccessRequest.make(**base)
    assert caught.value.field == field
