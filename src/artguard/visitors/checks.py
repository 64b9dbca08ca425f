"""The four ways a visitor can depart from normal, each judged against the learned model.

Each check returns a :class:`Reason` (plain words, evidence, whether the threshold was learned)
or None. Until a place has seen ``policies.visitors.min_learned_visitors`` visitors, the
conservative defaults below apply and the reason says so.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from artguard.site import Site
from artguard.site.visitor_policy import VisitorPolicy
from artguard.vision.rules.common import TIER_NAMES, local_clock
from artguard.visitors.behaviour import MIN_WALK_MPS, STEP_S, VisitorState
from artguard.visitors.model import BehaviourModel
from artguard.visitors.observe import Observer

DEFAULT_CIRCLING_VISITS = 4
"""Unlearned: the fourth separate visit to one high-value artwork is circling."""
MIN_CIRCLING_VISITS = 3
"""Learned: never fewer than three visits, however rarely people come back."""
DEFAULT_LINGER_S = 90.0
"""Unlearned: 90 s by an exit or blind spot is lingering."""
MIN_LINGER_S = 30.0
"""Learned: never less than 30 s, however briskly people pass."""
FLOW_MIN_SAMPLES = 20
"""Walking samples a floor cell needs before its direction counts as the flow."""
FLOW_COHERENCE = 0.6
"""How single-minded the flow must be (mean unit direction length) for 'against' to mean much."""
AGAINST_COS = -0.5
"""Walking within 60 degrees of straight against the flow."""
AGAINST_SECONDS = 4.0
_FEWEST_CIRCLING_VISITS = min(MIN_CIRCLING_VISITS, DEFAULT_CIRCLING_VISITS)
"""No limit is lower: fewer visits are never circling (checked first, it is run every frame)."""
_SHORTEST_LINGER_S = min(MIN_LINGER_S, DEFAULT_LINGER_S)


@dataclass(frozen=True)
class Reason:
    kind: str
    text: str
    evidence: dict[str, str | int | float | bool | None]
    learned: bool


def circling(
    state: VisitorState, site: Site, model: BehaviourModel, policy: VisitorPolicy
) -> Reason | None:
    """Separate visits to one high-value artwork, more than nearly anyone makes."""
    for artwork_id, record in state.artworks.items():
        if record.visits < _FEWEST_CIRCLING_VISITS:
            continue
        artwork = site.artwork(artwork_id)
        if artwork.value_tier < policy.high_value_tier:
            continue
        learned_counts = model.visits.get(artwork_id)
        learned = learned_counts is not None and learned_counts.total >= policy.min_learned_visitors
        if learned and learned_counts is not None:
            p99 = learned_counts.quantile(0.99)
            limit = max(p99 + 1, MIN_CIRCLING_VISITS)
            basis = f"the learned 99th percentile is {p99} visits"
        else:
            p99 = None
            limit = DEFAULT_CIRCLING_VISITS
            basis = f"not enough history yet: default limit {DEFAULT_CIRCLING_VISITS} visits"
        if record.visits >= limit:
            return Reason(
                "circling",
                f"came back to '{artwork.title}' ({TIER_NAMES[artwork.value_tier]}) "
                f"{record.visits} separate times; {basis}",
                {"artwork_id": artwork_id, "visits": record.visits, "visits_p99": p99},
                learned,
            )
    return None


def lingering(
    state: VisitorState,
    observer: Observer,
    model: BehaviourModel,
    policy: VisitorPolicy,
) -> Reason | None:
    """Staying by an exit or at a blind spot far longer than people normally do."""
    for zone_id, stay in state.zones.items():
        if state.last_seen is None or state.last_seen - stay.last > timedelta(seconds=1):
            continue  # not there now
        entry = observer.zones[zone_id]
        if entry.zone.loiter_seconds is None and stay.seconds < _SHORTEST_LINGER_S:
            continue  # below every limit the zone could have
        dwell = model.dwell.get(zone_id)
        learned = dwell is not None and dwell.total >= policy.min_learned_visitors
        if entry.zone.loiter_seconds is not None:
            limit, basis = entry.zone.loiter_seconds, "the zone's set limit"
        elif learned and dwell is not None:
            p99 = dwell.quantile(0.99)
            limit = max(p99, MIN_LINGER_S)
            basis = f"the learned 99th percentile is {_seconds(p99)}"
        else:
            limit = DEFAULT_LINGER_S
            basis = f"not enough history yet: default limit {DEFAULT_LINGER_S:g} s"
        if stay.seconds >= limit:
            where = "an exit" if entry.zone.kind == "exit" else "a camera blind spot"
            return Reason(
                "lingering",
                f"has stayed {stay.seconds:.0f} s at '{entry.zone.name}' ({where}); {basis}",
                {
                    "zone_id": zone_id,
                    "linger_seconds": round(stay.seconds, 1),
                    "limit_seconds": limit if math.isfinite(limit) else None,
                },
                learned or entry.zone.loiter_seconds is not None,
            )
    return None


def against_flow(state: VisitorState, site: Site, model: BehaviourModel) -> Reason | None:
    """Walking against a clear, learned direction of flow for several seconds.

    The visitor's latest walking steps are read backwards until they stop or walk with a
    learned flow; steps where no clear flow is learned count neither way. Never raised without
    learned flow: where nobody knows the usual direction, no direction is wrong.
    """
    steps = state.steps
    need = math.ceil(AGAINST_SECONDS / STEP_S)
    if len(steps) < need or any(steps[-i].speed < MIN_WALK_MPS for i in range(1, need + 1)):
        return None  # the read stops within the last few steps: too few to be against
    against: list[float] = []
    for step in reversed(state.steps):
        if step.speed < MIN_WALK_MPS:
            break
        flow = model.dominant_flow(
            step.room_id,
            step.band,
            step.xy,
            min_samples=FLOW_MIN_SAMPLES,
            coherence=FLOW_COHERENCE,
            cell=step.cell,
        )
        if flow is None:
            continue
        (fx, fy), _ = flow
        cos = step.direction[0] * fx + step.direction[1] * fy
        if cos > AGAINST_COS:
            break
        against.append(cos)
    seconds = len(against) * STEP_S
    if seconds < AGAINST_SECONDS:
        return None
    angle = math.degrees(math.acos(max(-1.0, min(1.0, sum(against) / len(against)))))
    return Reason(
        "against_flow",
        f"walked against the usual flow for {seconds:.0f} s (on average {angle:.0f} degrees "
        f"off the direction most visitors take there)",
        {"against_seconds": round(seconds, 1), "angle_degrees": round(angle)},
        True,
    )


class ClosingClock:
    """Minutes since the closing announcement of a public room (None: not in a closing).

    The announcement is ``closing_announcement_minutes`` before the room's opening hours end.
    Evaluated per room and minute, and cached; so is whether a room is open at a minute, since
    the searches of neighbouring minutes (up to ``SEARCH_BACK`` at night) look at the same ones.
    """

    SEARCH_BACK = timedelta(hours=6)

    def __init__(self, site: Site, policy: VisitorPolicy) -> None:
        self._site = site
        self._lead = timedelta(minutes=policy.closing_announcement_minutes)
        self._cache: dict[tuple[str, int, int, int, int, int], float | None] = {}
        """(room, year, month, day, hour, minute) of ``at`` as given -> minutes at its start."""
        self._open: dict[tuple[str, datetime], bool] = {}

    def minutes_since_announcement(self, room_id: str, at: datetime) -> float | None:
        key = (room_id, at.year, at.month, at.day, at.hour, at.minute)
        if key in self._cache:
            found = self._cache[key]
        else:
            room = self._site.room(room_id)
            if len(self._cache) > 10_000:
                self._cache.clear()
            public = room.public and room.opening_hours is not None
            minute = at.replace(second=0, microsecond=0)
            found = self._cache[key] = self._compute(room_id, minute) if public else None
        if found is None:
            return None
        # (at - minute).total_seconds(), exactly as timedelta computes it, without building it
        return found + (at.second * 1_000_000 + at.microsecond) / 1_000_000 / 60

    def _compute(self, room_id: str, minute: datetime) -> float | None:
        step = timedelta(minutes=1)
        is_open = self._is_open
        if len(self._open) > 50_000:
            self._open.clear()
        if is_open(room_id, minute):
            # Open now: is closing within the lead time? Announcement = closing - lead.
            t = minute + step
            while t <= minute + self._lead:
                if not is_open(room_id, t):
                    return (minute - (t - self._lead)).total_seconds() / 60
                t += step
            return None
        t = minute - step
        while t >= minute - self.SEARCH_BACK:
            if is_open(room_id, t):
                closing = t + step
                return (minute - (closing - self._lead)).total_seconds() / 60
            t -= step
        return None  # closed for hours: an after-hours intruder, for the presence rules

    def _is_open(self, room_id: str, minute: datetime) -> bool:
        key = (room_id, minute)
        found = self._open.get(key)
        if found is None:
            found = self._open[key] = self._site.is_open_to_public(room_id, minute)
        return found


def after_closing(
    state: VisitorState, site: Site, clock: ClosingClock, policy: VisitorPolicy
) -> Reason | None:
    """Still in a public room well after the closing announcement."""
    if state.room_id is None or state.last_seen is None:
        return None
    minutes = clock.minutes_since_announcement(state.room_id, state.last_seen)
    if minutes is None or minutes < policy.after_announcement_minutes:
        return None
    room = site.room(state.room_id)
    return Reason(
        "after_closing",
        f"still in {room.name} at {local_clock(site, state.last_seen)}, {minutes:.0f} min after "
        f"the closing announcement (the site allows {policy.after_announcement_minutes} min)",
        {"minutes_after_announcement": round(minutes, 1), "room_id": room.id},
        True,
    )


def _seconds(value: float) -> str:
    return f"{value:g} s" if math.isfinite(value) else "over an hour"
