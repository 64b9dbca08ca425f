"""Tailgating: camera line crossings at a door compared with the grants there."""

from __future__ import annotations

from datetime import timedelta

from artguard.access.pdp import DecisionPoint
from artguard.access.request import AccessRequest
from artguard.access.service import decision_event
from artguard.events import Alert, Detection, EventBase, TrackedObject
from artguard.rules.tailgating import TailgatingRule
from artguard.vision.rules.lines import LineCrossingRule, OccupancyCounter
from tests.access.helpers import TUESDAY_10, access_site

SITE = access_site()


def walk_in(track: int, start_s: float) -> list[Detection]:
    """A person walking from the hall side (x=420) into the corridor (x=200) in 4 frames."""
    frames = []
    for i, x in enumerate((420, 380, 260, 200)):
        at = TUESDAY_10 + timedelta(seconds=start_s + 0.4 * i)
        obj = TrackedObject(track_id=track, confidence=0.9, bbox=(x - 20, 200, x + 20, 300))
        frames.append(
            Detection(id=f"det-{track}-{i}", device_id="cam-corridor", site_time=at, objects=[obj])
        )
    return frames


def grant(credential: str, seconds: float, *factors: str) -> EventBase:
    pdp = DecisionPoint(SITE)
    request = AccessRequest.make(
        credential,
        "r-corridor",
        TUESDAY_10 + timedelta(seconds=seconds),
        factors or ["card", "pin"],
    )
    decision = pdp.decide(request)
    assert decision.outcome == "grant", decision.reasons
    return decision_event(SITE, decision).received()


def run(events: list[EventBase], until_s: float = 40) -> list[Alert]:
    counter = OccupancyCounter(SITE)
    lines = LineCrossingRule(SITE, counter)
    tailgating = TailgatingRule(SITE, counter)
    alerts: list[Alert] = []
    for event in sorted(events, key=lambda e: e.site_time):
        lines.on_event(event)
        alerts += tailgating.on_event(event)
    alerts += tailgating.on_tick(TUESDAY_10 + timedelta(seconds=until_s))
    return alerts


def test_one_grant_one_person_is_fine() -> None:
    assert run([grant("card-guard", 0), *walk_in(1, 1)]) == []


def test_two_people_on_one_grant_is_tailgating() -> None:
    alerts = run([grant("card-guard", 0), *walk_in(1, 1), *walk_in(2, 4)])
    assert len(alerts) == 1
    alert = alerts[0]
    assert alert.rule == "tailgating" and alert.room_id == "corridor"
    assert alert.reasons[0].startswith("2 people crossed into Staff corridor through Corridor door")
    assert "but 1 was granted: tailgating or piggybacking" in alert.reasons[0]
    assert alert.evidence["entries"] == 2 and alert.evidence["granted"] == 1
    assert alert.severity.value == "high"  # the corridor is security level 3


def test_two_grants_two_people_is_fine_and_late_walkers_are_outside_the_window() -> None:
    assert (
        run([grant("card-guard", 0), grant("card-guard2", 2), *walk_in(1, 1), *walk_in(2, 4)]) == []
    )
    assert run([grant("card-guard", 0), *walk_in(1, 1), *walk_in(2, 30)], until_s=60) == []


def test_people_leaving_do_not_count() -> None:
    leaving = [
        d.model_copy(
            update={
                "objects": [
                    o.model_copy(update={"bbox": (620 - o.bbox[2], 200, 640 - o.bbox[0], 300)})
                    for o in d.objects
                ]
            }
        )
        for d in walk_in(2, 3)
    ]
    assert run([grant("card-guard", 0), *walk_in(1, 1), *leaving]) == []
