"""Which staff on shift could be the people a camera sees after hours.

Guards patrol closed galleries at night and cleaners work in them before opening; a camera
cannot tell them from an intruder, but access control knows where they badged. Each staff
member's *last known place* is their latest grant (room and time), moved on by every later
sighting they explained. A person seen in room R at time t is explained by staff member S when

* S's schedule covers t (someone off shift is not expected in a closed gallery);
* S may enter R (R is in their zones);
* S's last known place is recent: no older than ``window`` (default one hour, the interval of
  a guard tour: between rounds a guard sits in the security office without badging); and
* S could have walked from there to R since: R is that room or next to it, or the floor-plan
  walking time (at a brisk pace, halved: room centres overstate the distance from a doorway)
  is no more than the time elapsed.

Galleries joined by open doorways need no badge, so a patrol badges at a few doors and walks
through the rest; hence "last known place" follows the explained sightings, not only grants.

A frame with ``n`` people in R is explained only when ``n`` distinct staff explain it: a
guard on a round does not cover the stranger walking beside them. And a person on camera since
before a staff member badged (more than :data:`BADGE_IN_VIEW` before) is not that staff
member: they were in view while the staff member was at the door. This tells a visitor hiding
in a gallery at closing from the late guard who has just badged into the office.

What this cannot tell: a lone stranger who appears on camera after a guard on shift badged, in
a room that guard could be in (the guard sitting in the office after a round). The rules
therefore still raise such a sighting, at low severity and naming the staff member, so the
control room can check with the guard on the radio.

The whereabouts live in memory. At start the runtime gives :meth:`StaffOnSite.restore` the
stored access decisions of the last ``window``, so a guard who badged in before a restart is
still known after it.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from sqlalchemy import Engine, select

from artguard.events import AccessDecision, parse_event_json, utcnow
from artguard.site import ALL_ROOMS, OUTSIDE, Person, Site
from artguard.store.tables import events
from artguard.triage.walking import WalkingTimes
from artguard.vision.rules.common import local_clock

STAFF_QUIET = timedelta(minutes=15)
"""Staff explained in a room are reported there at most once in this time (per rule): a guard's
round is worth one line in the log, not one per camera track."""
STAFF_WINDOW = timedelta(minutes=60)
"""How long a place where a staff member badged (or was last seen) stays believable."""
BADGE_IN_VIEW = timedelta(minutes=2)
"""How long before their badge a staff member's track may start: a camera that sees the door
they badge at sees them walk up to it."""
TRACK_FORGET = timedelta(seconds=10)
"""A track unseen this long has ended (its first-seen time is forgotten)."""
BRISK_M_PER_S = 2.5
"""Walking pace for the "could have got there" test: faster than anyone walks, so a guard in a
hurry is not taken for a stranger."""
RESTORE_LIMIT = 20_000
"""At most this many stored decisions (the newest) are read at start: an hour of badging at a
busy site is a few hundred; the bound keeps a flood of events from stalling the start."""
RESTORE_PAGE = 1000

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Whereabouts:
    """A staff member's last known place, and how it is known."""

    person: Person
    room_id: str
    at: datetime
    badge: str | None
    """The door of their latest grant (None if they never badged on this run)."""
    granted_room: str
    granted_at: datetime
    first_seen: datetime | None = None
    """Their first explained sighting since that grant (None: not seen since)."""


@dataclass(frozen=True)
class Explanation:
    """Staff who explain the people seen in a room, the most recently known first."""

    staff: tuple[Whereabouts, ...]

    def reason(self, site: Site, room_id: str, at: datetime) -> str:
        """One sentence naming each staff member, their shift and their latest badge."""
        return "; ".join(_describe(site, w, room_id, at) for w in self.staff)

    def evidence(self) -> dict[str, str]:
        """Flat evidence (alert evidence holds scalars): who, and their latest badge."""
        return {
            "explained_by": ",".join(w.person.id for w in self.staff),
            "explained_badges": ",".join(
                f"{w.person.id}@{w.badge or '?'}->{w.granted_room}@{w.granted_at.isoformat()}"
                for w in self.staff
            ),
        }


class StaffOnSite:
    """Staff whereabouts from access decisions; explains after-hours sightings.

    One instance is shared by the vision rules that need it, so a guard explained by one
    camera is known to be there for the next. Feeding it the same decision twice changes
    nothing.
    """

    def __init__(self, site: Site, window: timedelta = STAFF_WINDOW) -> None:
        if window <= timedelta(0):
            raise ValueError(f"staff window must be positive, got {window}")
        self._site = site
        self._window = window
        self._walking = WalkingTimes(site, pace_m_per_s=BRISK_M_PER_S)
        self._where: dict[str, Whereabouts] = {}
        self._tracks: dict[tuple[str, int], tuple[datetime, datetime]] = {}  # first, last seen
        self._pruned: datetime | None = None
        self._told: dict[tuple[str, str, str], datetime] = {}

    @property
    def window(self) -> timedelta:
        return self._window

    def news(self, rule: str, room_id: str, explanation: Explanation, at: datetime) -> bool:
        """Whether an explained sighting is worth an alert: not when ``rule`` already reported
        the same staff in the same room within :data:`STAFF_QUIET`."""
        key = (rule, room_id, explanation.evidence()["explained_by"])
        last = self._told.get(key)
        if last is not None and timedelta(0) <= at - last < STAFF_QUIET:
            return False
        self._told[key] = at
        if len(self._told) > 1000:  # forget reports older than the quiet period
            self._told = {k: t for k, t in self._told.items() if at - t < STAFF_QUIET}
        return True

    def record(self, decision: AccessDecision) -> None:
        """Take a grant as the person's place from its time on (a refusal moves nobody)."""
        if decision.outcome != "grant" or decision.person_id is None:
            return
        try:
            person = self._site.person(decision.person_id)
        except KeyError:
            return  # a credential of someone no longer in the site model
        known = self._where.get(person.id)
        if known is not None and known.at > decision.site_time:
            return  # an older decision arriving late says nothing new
        room = decision.room_id
        if room is None or room == OUTSIDE:
            self._where.pop(person.id, None)  # badged out of the building
            return
        self._where[person.id] = Whereabouts(
            person, room, decision.site_time, decision.door_id, room, decision.site_time
        )  # a badge restarts the trail

    def restore(
        self, engine: Engine, now: datetime | None = None, limit: int = RESTORE_LIMIT
    ) -> int:
        """Feed :meth:`record` the ``access_decision`` events stored in the ``window`` before
        ``now`` (by received time; default: the wall clock), in arrival order as if it had been
        running; returns how many were fed. Synchronous: call at start-up, before events flow.

        Why ``window`` and no more: a grant explains sightings for ``window`` after it, or
        longer only through the sightings that carried the person's place on since, and those
        are not replayed (the rule engine's own recovery replays minutes of detections, not an
        hour). So an older grant could explain nothing after a restart, while a shorter read
        would forget a guard who badged into the office between rounds. A stored event that
        does not parse is logged and skipped; past ``limit`` the oldest are left out.
        """
        since = (now or utcnow()) - self._window
        fed = 0
        for decision in _stored_decisions(engine, since, limit):
            self.record(decision)
            fed += 1
        if fed:
            log.info("staff on site: %d access decisions since %s replayed", fed, since.isoformat())
        return fed

    def track(self, camera_id: str, track_id: int | None, at: datetime) -> datetime:
        """Record a person seen on ``camera_id`` at ``at``; when their track was first seen
        (``at`` for an untracked person: nothing says they were there before). Feed every
        person of every frame, opening hours too: a visitor hiding at closing is on camera
        from before."""
        if self._pruned is None or at - self._pruned > TRACK_FORGET:
            self._tracks = {k: v for k, v in self._tracks.items() if at - v[1] <= TRACK_FORGET}
            self._pruned = at
        if track_id is None:
            return at
        key = (camera_id, track_id)
        first, last = self._tracks.get(key, (at, at))
        if at - last > TRACK_FORGET:
            first = at  # the tracker reused the id for someone new
        self._tracks[key] = (min(first, at), max(last, at))
        return min(first, at)

    def explain(
        self, room_id: str, at: datetime, first_seen: Sequence[datetime]
    ) -> Explanation | None:
        """Staff explaining the persons seen in ``room_id`` at ``at`` (one entry each: when
        their track began, see :meth:`track`), one staff member each, or None when they
        cannot all be explained."""
        if not first_seen:
            return None
        found = [w for w in self._where.values() if self._could_be(w, room_id, at)]
        if len(found) < len(first_seen):
            return None
        found.sort(key=lambda w: (w.room_id != room_id, at - w.at, w.person.id))
        allowed = [
            [i for i, w in enumerate(found) if since >= w.granted_at - BADGE_IN_VIEW]
            for since in first_seen
        ]
        matched = _match(allowed)
        if matched is None:
            return None
        return Explanation(tuple(found[i] for i in matched))

    def seen(self, explanation: Explanation, room_id: str, at: datetime) -> None:
        """The explained staff are in ``room_id`` now: their last known place moves there."""
        for w in explanation.staff:
            current = self._where.get(w.person.id)
            if current is not None and current.at <= at:
                self._where[w.person.id] = replace(
                    current, room_id=room_id, at=at, first_seen=current.first_seen or at
                )

    def _could_be(self, w: Whereabouts, room_id: str, at: datetime) -> bool:
        person = w.person
        if person.schedule is None or not self._site.in_schedule(person.schedule, at):
            return False
        if ALL_ROOMS not in person.zones and room_id not in person.zones:
            return False
        elapsed = at - w.at
        if elapsed < timedelta(0) or elapsed > self._window:
            return False
        if room_id == w.room_id or room_id in self._site.adjacent(w.room_id):
            return True
        seconds = self._walking.seconds(w.room_id, room_id)
        return seconds is not None and seconds / 2 <= elapsed.total_seconds()


def _stored_decisions(engine: Engine, since: datetime, limit: int) -> list[AccessDecision]:
    """The newest ``limit`` access decisions received since ``since``, oldest first.

    Read newest first in pages (so a cut leaves out the oldest, which matter least), then
    parsed one by one: one bad row costs that row only.
    """
    rows: list[tuple[str, str]] = []  # (event id, payload), newest first
    before: int | None = None
    with engine.connect() as conn:
        while len(rows) < limit:
            stmt = select(events.c.seq, events.c.id, events.c.payload).where(
                events.c.kind == "access_decision", events.c.received_time >= since
            )
            if before is not None:
                stmt = stmt.where(events.c.seq < before)
            size = min(RESTORE_PAGE, limit - len(rows))
            page = conn.execute(stmt.order_by(events.c.seq.desc()).limit(size)).all()
            rows.extend((row.id, row.payload) for row in page)
            if len(page) < size:
                break
            before = page[-1].seq
    if len(rows) >= limit:
        log.warning("staff on site: restore read its limit of %d decisions", limit)
    decisions = []
    for event_id, payload in reversed(rows):
        try:
            event = parse_event_json(payload)
        except ValueError:  # pydantic's ValidationError and bad JSON both are
            log.warning("staff on site: stored event %s does not parse, skipped", event_id)
            continue
        if isinstance(event, AccessDecision):
            decisions.append(event)
    return decisions


def _match(allowed: list[list[int]]) -> list[int] | None:
    """A distinct choice from each list (bipartite matching by augmenting paths; the lists
    are a handful of people and staff), earlier entries preferred; None if there is none."""
    owner: dict[int, int] = {}  # staff index -> sighting index

    def assign(sighting: int, tried: set[int]) -> bool:
        free = next((i for i in allowed[sighting] if i not in owner), None)
        if free is not None:  # keep earlier choices where a free one will do
            owner[free] = sighting
            return True
        for staff in allowed[sighting]:
            if staff in tried:
                continue
            tried.add(staff)
            if staff not in owner or assign(owner[staff], tried):
                owner[staff] = sighting
                return True
        return False

    for sighting in range(len(allowed)):
        if not assign(sighting, set()):
            return None
    chosen = {sighting: staff for staff, sighting in owner.items()}
    return [chosen[i] for i in range(len(allowed))]


def _describe(site: Site, w: Whereabouts, room_id: str, at: datetime) -> str:
    person = w.person
    shift = site.schedule(person.schedule).name if person.schedule else "no shift"
    ago = _minutes(at - w.granted_at)
    text = (
        f"{person.name} ({person.role}, {shift}) badged into {site.room(w.granted_room).name} "
        f"{ago} ago"
    )
    if w.first_seen is not None and at - w.first_seen >= timedelta(minutes=1):
        text += f", first seen on camera after it at {local_clock(site, w.first_seen)}"
    if w.room_id != room_id:
        text += f", last seen in {site.room(w.room_id).name} {_minutes(at - w.at)} ago"
    return text


def _minutes(delta: timedelta) -> str:
    seconds = max(0.0, delta.total_seconds())
    return f"{seconds:.0f} s" if seconds < 60 else f"{seconds / 60:.0f} min"
