"""Alerts from door decisions: a failed face step-up raises one at once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from artguard.events import AccessDecision, Severity
from artguard.rules.access import QUIET_REPEATS, AccessDecisionRule
from artguard.site import load_site
from artguard.triage.scoring import SIGNALS

SITE = load_site("src/artguard/demo/site.yaml")
AT = datetime(2026, 6, 2, 14, 0, tzinfo=UTC)


def decision(rules: list[str], outcome: str = "deny") -> AccessDecision:
    return AccessDecision(
        device_id="r-vault-out",
        site_time=AT,
        credential_id="card-1008",
        outcome=outcome,
        risk=0.6,
        reasons=["face step-up failed: face does not match the card holder (distance 0.71)"],
        rules=rules,
        person_id="p-008",
        door_id="d-vault",
        room_id="storage-vault",
    )


def test_a_failed_face_check_raises_a_high_alert_naming_the_card_holder() -> None:
    (alert,) = AccessDecisionRule(SITE).on_event(decision(["face.failed"]))
    assert alert.rule == "access_face_failed" and alert.severity is Severity.high
    assert "Samuel Reid" in alert.title and alert.room_id == "storage-vault"
    assert "distance 0.71" in alert.reasons[0]
    assert SIGNALS["access_face_failed"].category == "access"


def test_a_denial_without_a_face_failure_raises_nothing_on_its_own() -> None:
    assert AccessDecisionRule(SITE).on_event(decision(["schedule"])) == []


def test_the_same_anomaly_repeating_is_alerted_once_per_quiet_period() -> None:
    rule = AccessDecisionRule(SITE)

    def at(seconds: float) -> AccessDecision:
        return decision(["anomaly.new_door"], "grant").model_copy(
            update={"site_time": AT + timedelta(seconds=seconds)}
        )

    raised = [len(rule.on_event(at(s))) for s in (0, 1, 30, 120)]
    assert raised == [1, 0, 0, 0]
    later = QUIET_REPEATS.total_seconds() + 1
    assert len(rule.on_event(at(later))) == 1  # a new period: alerted again
    other = decision(["anomaly.travel"], "grant").model_copy(update={"site_time": AT})
    assert len(rule.on_event(other)) == 1  # another anomaly is news at once
