"""Anomalies in access behaviour, scored into the decision and explained.

:class:`BehaviourRisk` is a :class:`~artguard.access.pdp.RiskSource`: for each request it
adds ``risk`` findings (rule ``anomaly.<kind>``) with a plain-language reason. The decision
point folds them into the risk score, so enough of them step the request up (or deny it), and
the access alert rule raises an alert for every decision that carries one.

Kinds:

* ``hour``: an hour this person (with enough history) almost never badges at;
* ``new_door``: a door this person (with enough history) has never used;
* ``travel``: the same credential at two doors faster than the floor plan allows;
* ``clone``: the credential used while its holder is recorded inside a room whose exits are
  badged (they would have had to badge out first);
* ``denial_burst``: many denials at one reader in a short time (someone trying cards);
* ``after_hours_storage``: entry to a staff-only room of security level 3+ while the whole
  site is closed to the public and outside the person's usual hours.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from datetime import datetime, timedelta

from artguard.access.baseline import AccessBaseline, hour_of_week
from artguard.access.context import Context
from artguard.access.floorplan import FloorPlan
from artguard.access.request import Decision, Finding
from artguard.site import Site
from artguard.site.entities import OUTSIDE


@dataclass(frozen=True)
class AnomalySettings:
    min_events: int = 20
    """Grants of history a person needs before their habits are judged."""
    rare_hour_share: float = 0.01
    """Hours holding less than this share of a person's grants (smoothed) are unusual..."""
    rare_hour_count: float = 1.5
    """... as are hours seen at most once before (smoothed count below this)."""
    presence_expiry: timedelta = timedelta(hours=12)
    """A recorded presence older than this no longer suggests a copied card."""
    burst_denials: int = 5
    burst_window: timedelta = timedelta(minutes=2)
    risk_hour: float = 0.35
    risk_new_door: float = 0.3
    risk_travel: float = 0.7
    risk_clone: float = 0.6
    risk_burst: float = 0.4
    risk_after_hours: float = 0.45


class BehaviourRisk:
    """Scores requests against learned habits and physical possibility."""

    def __init__(
        self,
        site: Site,
        baseline: AccessBaseline | None = None,
        settings: AnomalySettings | None = None,
    ) -> None:
        self.site = site
        self.baseline = baseline or AccessBaseline(site.tz)
        self.settings = settings or AnomalySettings()
        self.plan = FloorPlan(site)
        self._last_seen: dict[str, tuple[str, datetime]] = {}
        self._reader_denials: dict[str, deque[datetime]] = {}
        self._public_rooms = [r.id for r in site.rooms if r.public]

    def assess(self, ctx: Context) -> list[Finding]:
        found = self._burst(ctx)
        if ctx.person is None:
            return found
        found += [*self._travel(ctx), *self._clone(ctx)]
        if ctx.direction == "in":
            found += [*self._habits(ctx), *self._after_hours(ctx)]
        return found

    def observe(self, decision: Decision) -> None:
        """Learn from a decision that was acted on."""
        request = decision.request
        if decision.door_id is not None:  # the card was there, whatever the answer
            self._last_seen[request.credential_id] = (decision.door_id, request.at)
        if decision.outcome == "deny":
            times = self._reader_denials.setdefault(request.reader_id, deque(maxlen=64))
            times.append(request.at)
            return
        if decision.outcome != "grant" or decision.door_id is None:
            return
        if decision.person_id is not None and decision.direction == "in":
            self.baseline.observe(decision.person_id, decision.door_id, request.at)

    # -- the checks ------------------------------------------------------------------------

    def _habits(self, ctx: Context) -> list[Finding]:
        assert ctx.person is not None
        habits = self.baseline.habits(ctx.person.id)
        s = self.settings
        if habits is None or habits.grants < s.min_events:
            return []
        found = []
        how = hour_of_week(ctx.now, self.site.tz)
        weight, share = habits.hour_weight(how), habits.hour_share(how)
        if weight < s.rare_hour_count or share < s.rare_hour_share:
            found.append(
                Finding(
                    "anomaly.hour",
                    "risk",
                    f"unusual hour for {ctx.person.name}: {ctx.clock()} on a "
                    f"{ctx.now.astimezone(self.site.tz):%A} holds {share:.1%} of their "
                    f"{habits.grants} past entries",
                    risk=s.risk_hour,
                )
            )
        if habits.doors[ctx.door.id] == 0:
            usual = ", ".join(d for d, _ in habits.doors.most_common(3))
            found.append(
                Finding(
                    "anomaly.new_door",
                    "risk",
                    f"{ctx.person.name} has never used {ctx.door.name} in {habits.grants} "
                    f"entries (usually: {usual})",
                    risk=s.risk_new_door,
                )
            )
        return found

    def _travel(self, ctx: Context) -> list[Finding]:
        last = self._last_seen.get(ctx.request.credential_id)
        if last is None or last[0] == ctx.door.id:
            return []
        door_id, at = last
        elapsed = (ctx.now - at).total_seconds()
        needed = self.plan.minimum_seconds(door_id, ctx.door.id)
        if elapsed < 0 or elapsed >= needed:
            return []
        return [
            Finding(
                "anomaly.travel",
                "risk",
                f"impossible travel: credential {ctx.request.credential_id!r} was granted at "
                f"{self.site.door(door_id).name} {elapsed:.0f} s ago; walking here takes at "
                f"least {needed:.0f} s",
                risk=self.settings.risk_travel,
            )
        ]

    def _clone(self, ctx: Context) -> list[Finding]:
        assert ctx.person is not None
        presence = ctx.state.presence(ctx.person.id)
        if presence is None or presence.room_id == OUTSIDE:
            return []
        if ctx.now - presence.at > self.settings.presence_expiry:
            return []  # an exit missed long ago (tailgating out) is not evidence any more
        room = presence.room_id
        if room in (ctx.door.from_room, ctx.door.to_room):
            return []
        badged_exits = [d for d in self.site.doors if d.to_room == room and d.exit_readers]
        if not badged_exits:
            return []
        return [
            Finding(
                "anomaly.clone",
                "risk",
                f"{ctx.person.name} is recorded inside {ctx.room_name(room)} since "
                f"{ctx.clock(presence.at)} (exits are badged) yet their credential is used "
                f"at {ctx.door.name}: possibly a copied card",
                risk=self.settings.risk_clone,
            )
        ]

    def _burst(self, ctx: Context) -> list[Finding]:
        times = self._reader_denials.get(ctx.request.reader_id)
        s = self.settings
        recent = sum(1 for t in times if ctx.now - t <= s.burst_window) if times else 0
        if recent < s.burst_denials:
            return []
        return [
            Finding(
                "anomaly.denial_burst",
                "risk",
                f"{recent} denials at reader {ctx.request.reader_id} in the last "
                f"{s.burst_window.total_seconds() / 60:.0f} min",
                risk=s.risk_burst,
            )
        ]

    def _after_hours(self, ctx: Context) -> list[Finding]:
        assert ctx.person is not None
        room = ctx.target_room
        if room == OUTSIDE:
            return []
        target = self.site.room(room)
        if target.public or target.security_level < 3:
            return []
        if any(self.site.is_open_to_public(r, ctx.now) for r in self._public_rooms):
            return []
        habits = self.baseline.habits(ctx.person.id)
        usual = (
            habits is not None
            and habits.grants >= self.settings.min_events
            and habits.hour_share(hour_of_week(ctx.now, self.site.tz)) >= 0.05
        )
        if usual:
            return []  # a night guard's usual round
        return [
            Finding(
                "anomaly.after_hours_storage",
                "risk",
                f"after-hours entry into {target.name} (security level "
                f"{target.security_level}) at {ctx.clock()} while the museum is closed",
                risk=self.settings.risk_after_hours,
            )
        ]
