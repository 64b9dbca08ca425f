"""Operator verdicts adjust later scoring of the same rule, device and time of day; visibly,
reversibly, and never silencing a theft in progress."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from artguard.config import Settings
from artguard.events import Alert, EvidenceValue
from artguard.runtime import Runtime
from artguard.site import Site
from artguard.triage import repository as repo
from artguard.triage.adjustment import (
    TIER1_MIN_FACTOR,
    TIER1_MIN_SCORE,
    Adjustment,
    share_factor,
    split_key,
    time_band,
)
from artguard.triage.assess import assess
from artguard.triage.feedback import FeedbackError, FeedbackNotFound, NothingToChange
from artguard.triage.signals import AlertFacts
from tests.conftest import NIGHT, NOON
from tests.triage.helpers import make_alert

MOTION_NIGHT = "sensor_threshold,pir-gallery,night"
NIGHT_MOTION_WEIGHT = 0.3 * 1.0 * 1.25  # gallery level 2, after hours


def motion(day: int, *, base: datetime = NIGHT, device: str = "pir-gallery") -> Alert:
    """Motion in the gallery ``day`` days after ``base``; its own cause (dedup key) each time,
    so it opens a new incident even while an earlier one is still being worked."""
    evidence: dict[str, EvidenceValue] = {"sensor_type": "motion"}
    return make_alert(
        "sensor_threshold",
        "gallery",
        0,
        device=device,
        base=base + timedelta(days=day),
        evidence=evidence,
        key=f"motion:{device}:{day}:{base.hour}",
    )


async def close(runtime: Runtime, alert: Alert, action: str, note: str | None) -> float:
    """File ``alert`` (a new incident), close it; returns the score it was filed with."""
    filing = await runtime.incidents.file(alert)
    score = incident(runtime, filing.incident_id).score
    await runtime.incidents.transition(filing.incident_id, action, "sam", note)
    return float(score)


def incident(runtime: Runtime, incident_id: str):  # type: ignore[no-untyped-def]
    with runtime.engine.connect() as conn:
        return repo.get_incident_row(conn, incident_id)


async def score_of(runtime: Runtime, alert: Alert) -> tuple[float, dict]:  # type: ignore[type-arg]
    """Score of a fresh incident opened by ``alert`` (left open) and its only contribution."""
    filing = await runtime.incidents.file(alert)
    row = incident(runtime, filing.incident_id)
    assert row.alert_count == 1
    return float(row.score), row.contributions[0]


# -- the formula and the keys -----------------------------------------------------------------


def test_shrunk_factor_moves_a_little_per_verdict_and_stays_bounded() -> None:
    assert share_factor(0, 0) == 1.0
    assert share_factor(1, 0) == pytest.approx(0.8)  # one false alarm: a little
    assert share_factor(5, 0) == pytest.approx(4 / 9)
    assert share_factor(6, 1) == pytest.approx(6 / 11)  # x0.55
    assert share_factor(100, 0) == 0.25  # bounded below
    assert share_factor(0, 3) == pytest.approx(10 / 7)
    assert share_factor(0, 100) == 1.5  # bounded above
    assert share_factor(4, 4) == pytest.approx(1.0)
    with pytest.raises(ValueError, match="negative"):
        share_factor(-1, 0)


def test_bands_follow_opening_hours_and_the_night(small_site: Site) -> None:
    assert time_band(NOON, small_site) == "open"
    assert time_band(NIGHT, small_site) == "night"
    assert time_band(datetime(2026, 11, 23, 7, 30, tzinfo=UTC), small_site) == "closed"
    assert time_band(datetime(2026, 11, 23, 21, 30, tzinfo=UTC), small_site) == "closed"
    assert time_band(datetime(2026, 11, 23, 22, 0, tzinfo=UTC), small_site) == "night"
    assert time_band(datetime(2026, 12, 25, 12, 0, tzinfo=UTC), small_site) == "closed"  # holiday
    assert time_band(NOON, None) == "closed"  # no site: no opening hours


def test_keys_are_checked() -> None:
    assert split_key("sensor_threshold,pir-1,night") == ("sensor_threshold", "pir-1", "night")
    for bad in ("sensor_threshold,pir-1", "a,b,noon", ",pir,night", "rule,,open"):
        with pytest.raises(ValueError, match="malformed feedback key"):
            split_key(bad)


def test_reason_says_what_changed_and_why(small_site: Site) -> None:
    when = datetime(2026, 11, 20, 3, 0, tzinfo=UTC)
    adjustment = Adjustment("sensor_threshold,pir-g2,night", 6, 1, "cleaner", when)
    assert adjustment.reason("motion", "presence", small_site) == (
        "x0.55: 6 of 7 incidents with motion from pir-g2 at night were false alarms "
        "(last: 'cleaner', 2026-11-20)"
    )
    floored = Adjustment("door_forced,dc-front,night", 20, 0).reason("door forced", "entry")
    assert floored.startswith(f"x{TIER1_MIN_FACTOR:.2f}: 20 of 20") and "never muted" in floored
    praised = Adjustment("door_forced,dc-front,open", 0, 3, "real break-in").reason("door", "entry")
    assert praised.startswith("x1.43: 3 of 3 incidents with door from dc-front during opening")


def test_assess_stays_pure_and_applies_what_it_is_given(small_site: Site) -> None:
    facts = [AlertFacts.from_alert(motion(0))]
    plain = assess(facts, small_site)
    lowered = assess(facts, small_site, {MOTION_NIGHT: Adjustment(MOTION_NIGHT, 5, 0)})
    assert plain.score == pytest.approx(NIGHT_MOTION_WEIGHT, abs=1e-4)
    assert lowered.score == pytest.approx(NIGHT_MOTION_WEIGHT * 4 / 9, abs=1e-4)
    assert lowered.pattern == plain.pattern == "after_hours_intrusion"  # the name stays
    other = assess(
        facts, small_site, {"sensor_threshold,pir-x,night": Adjustment("x,y,night", 9, 0)}
    )
    assert other.score == plain.score
    assert plain.contributions[0].feedback is None


# -- learning from verdicts, end to end ------------------------------------------------------


async def test_false_alarms_lower_only_that_sensor_at_that_time(runtime: Runtime) -> None:
    first = await close(runtime, motion(0), "false_alarm", "cleaner")
    assert first == pytest.approx(NIGHT_MOTION_WEIGHT, abs=1e-4)
    scores = [first]
    for day in range(1, 5):
        scores.append(await close(runtime, motion(day), "false_alarm", "cleaner"))
    assert scores == sorted(scores, reverse=True) and scores[1] < scores[0]  # a little each

    lowered, item = await score_of(runtime, motion(5))
    assert lowered == pytest.approx(NIGHT_MOTION_WEIGHT * 4 / 9, abs=1e-4)  # 5 false alarms: x0.44
    assert item["feedback"]["key"] == MOTION_NIGHT
    assert item["feedback"]["factor"] == pytest.approx(0.444, abs=1e-3)
    assert (
        "5 of 5 incidents with motion from pir-gallery at night were false alarms" in (item["why"])
    )
    assert "last: 'cleaner', 2026-11-27" in item["feedback"]["reason"]
    assert "x0.44 operator feedback" in item["why"]

    by_day, day_item = await score_of(runtime, motion(6, base=NOON))
    assert by_day == pytest.approx(0.3, abs=1e-4) and day_item["feedback"] is None
    other, other_item = await score_of(runtime, motion(7, device="pir-hall"))
    assert other == pytest.approx(NIGHT_MOTION_WEIGHT, abs=1e-4) and other_item["feedback"] is None


async def test_confirmed_verdicts_raise_it_back(runtime: Runtime) -> None:
    for day in range(5):
        await close(runtime, motion(day), "false_alarm", "cleaner")
    low = await close(runtime, motion(5), "resolve", "intruder caught on camera")
    assert low < NIGHT_MOTION_WEIGHT
    for day in range(6, 10):
        await close(runtime, motion(day), "resolve", None)
    back, item = await score_of(runtime, motion(10))
    assert back > low
    assert back == pytest.approx(NIGHT_MOTION_WEIGHT, abs=1e-4)  # 5 false alarms, 5 confirmed: x1
    assert item["feedback"]["factor"] == pytest.approx(1.0)
    for day in range(11, 15):
        await close(runtime, motion(day), "resolve", None)
    higher, item = await score_of(runtime, motion(15))
    assert higher > NIGHT_MOTION_WEIGHT and "were confirmed" in item["feedback"]["reason"]


async def test_revert_restores_and_reapply_redoes_with_history(runtime: Runtime) -> None:
    for day in range(5):
        await close(runtime, motion(day), "false_alarm", "cleaner")
    feedback = runtime.incidents.feedback
    summary = feedback.get(MOTION_NIGHT)
    assert summary["false_alarms"] == 5 and summary["factor"] == pytest.approx(0.444, abs=1e-3)

    reverted = feedback.revert(MOTION_NIGHT, "chief", "cleaner rota changed; sensor re-aimed")
    assert reverted["factor"] == 1.0 and reverted["false_alarms"] == 0
    assert reverted["reverted"] == 5 and reverted["last_change"]["by"] == "chief"
    restored, item = await score_of(runtime, motion(5))
    assert restored == pytest.approx(NIGHT_MOTION_WEIGHT, abs=1e-4) and item["feedback"] is None
    with pytest.raises(NothingToChange, match="already reverted"):
        feedback.revert(MOTION_NIGHT, "chief", "again")

    again = feedback.reapply(MOTION_NIGHT, "chief", "rota back to nights")
    assert again["false_alarms"] == 5 and again["reverted"] == 0
    lowered, _ = await score_of(runtime, motion(6))
    assert lowered == pytest.approx(NIGHT_MOTION_WEIGHT * 4 / 9, abs=1e-4)

    actions = [e.action for e in runtime.audit.entries(limit=500) if e.subject == MOTION_NIGHT]
    assert actions == ["feedback.reverted", "feedback.reapplied"]
    entry = runtime.audit.entries(action="feedback.reverted")[0]
    assert entry.actor == "chief" and entry.details["factor_after"] == 1.0
    assert entry.details["reason"] == "cleaner rota changed; sensor re-aimed"
    assert entry.details["factor_before"] == pytest.approx(0.444, abs=1e-3)


async def test_one_incidents_verdict_can_be_reverted_alone(runtime: Runtime) -> None:
    ids = []
    for day in range(2):
        filing = await runtime.incidents.file(motion(day))
        await runtime.incidents.transition(filing.incident_id, "false_alarm", "sam", "cat")
        ids.append(filing.incident_id)
    feedback = runtime.incidents.feedback
    result = feedback.revert(MOTION_NIGHT, "chief", "that one was a real intruder", ids[0])
    assert result["false_alarms"] == 1 and result["reverted"] == 1
    assert result["factor"] == pytest.approx(0.8)
    with pytest.raises(FeedbackNotFound, match="inc-nope"):
        feedback.revert(MOTION_NIGHT, "chief", "why", "inc-nope")
    with pytest.raises(FeedbackNotFound):
        feedback.revert("door_forced,dc-front,night", "chief", "why")
    with pytest.raises(FeedbackError, match="malformed"):
        feedback.revert("nonsense", "chief", "why")
    with pytest.raises(FeedbackError, match="reason"):
        feedback.revert(MOTION_NIGHT, "chief", "  ")


async def test_verdicts_are_audited_with_factor_before_and_after(runtime: Runtime) -> None:
    filing = await runtime.incidents.file(motion(0))
    await runtime.incidents.transition(filing.incident_id, "false_alarm", "sam", "cleaner")
    entry = runtime.audit.entries(action="feedback.recorded", subject=filing.incident_id)[0]
    assert entry.actor == "sam" and entry.details["verdict"] == "false_alarm"
    assert entry.details["keys"] == [
        {"key": MOTION_NIGHT, "factor_before": 1.0, "factor_after": 0.8}
    ]
    acked = await runtime.incidents.file(motion(1))
    await runtime.incidents.transition(acked.incident_id, "acknowledge", "sam")  # no verdict
    assert not runtime.audit.entries(action="feedback.recorded", subject=acked.incident_id)


async def test_suppressed_alerts_leave_no_verdict(runtime: Runtime) -> None:
    tamper = make_alert("sensor_tamper", "gallery", 0, device="pir-gallery")
    later = make_alert("sensor_threshold", "gallery", 10, device="pir-gallery")
    filing = await runtime.incidents.file(tamper)
    await runtime.incidents.file(later)
    await runtime.incidents.transition(filing.incident_id, "false_alarm", "sam", "engineer")
    keys = [s["key"] for s in runtime.incidents.feedback.summaries()]
    assert keys == ["sensor_tamper,pir-gallery,night"]


async def test_theft_in_progress_still_pages_after_many_false_alarms(runtime: Runtime) -> None:
    def theft(day: int) -> list[Alert]:
        base = NIGHT + timedelta(days=day)
        return [
            make_alert("door_forced", "hall", 0, device="dc-front", base=base),
            make_alert("sensor_threshold", "gallery", 30, device="vib-aw-1", base=base),
        ]

    async def file_theft(day: int) -> str:
        alerts = theft(day)
        filing = await runtime.incidents.file(alerts[0])
        await runtime.incidents.file(alerts[1])
        return filing.incident_id

    first = incident(runtime, await file_theft(0))
    assert first.pattern == "theft_in_progress" and first.score >= TIER1_MIN_SCORE
    await runtime.incidents.transition(first.id, "false_alarm", "sam", "drill")
    for day in range(1, 21):
        await runtime.incidents.transition(await file_theft(day), "false_alarm", "sam", "drill")

    row = incident(runtime, await file_theft(21))
    assert row.pattern == "theft_in_progress"
    assert row.score == pytest.approx(TIER1_MIN_SCORE)
    assert row.score < first.score
    factors = {c["rule"]: c["feedback"]["factor"] for c in row.contributions}
    assert factors == {"door_forced": TIER1_MIN_FACTOR, "sensor_threshold": TIER1_MIN_FACTOR}
    assert any("score held at 0.70" in r for r in row.pattern_reasons)
    assert row.severity in {"high", "critical"}


@pytest.mark.services
async def test_feedback_on_postgresql(pg_settings: Settings, small_site: Site) -> None:
    runtime = Runtime(pg_settings, small_site, live_clock=False)
    assert runtime.engine.dialect.name == "postgresql"
    async with runtime:
        for day in range(5):
            await close(runtime, motion(day), "false_alarm", "cleaner")
        lowered, _ = await score_of(runtime, motion(5))
        assert lowered == pytest.approx(NIGHT_MOTION_WEIGHT * 4 / 9, abs=1e-4)
        reverted = runtime.incidents.feedback.revert(MOTION_NIGHT, "chief", "re-aimed")
        assert reverted["reverted"] == 5 and reverted["factor"] == 1.0
        restored, _ = await score_of(runtime, motion(6))
        assert restored == pytest.approx(NIGHT_MOTION_WEIGHT, abs=1e-4)
