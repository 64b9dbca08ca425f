"""The visitor watch: detection events in, watch flags out (no bus, no database: testable with
hand-made events, and the same in a live runtime, a replay and the bench).

Each tracked person is joined to a visitor (:mod:`handoff`); the visitor's behaviour is
digested (:mod:`behaviour`) and, when learning, added to the model; the checks run after each
event for the reasons the visitor has not yet been flagged for. A flag is raised with the first
reason, updated with each new one (each reason once per visitor) and cleared when the visitor
has not been seen for ``leave_after`` seconds.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import datetime, timedelta

from artguard.events import Detection, WatchFlag
from artguard.site import Site
from artguard.visitors import checks
from artguard.visitors.behaviour import VisitorState
from artguard.visitors.checks import ClosingClock
from artguard.visitors.handoff import LINK_WINDOW, HandoffLinker
from artguard.visitors.model import BehaviourModel
from artguard.visitors.observe import Observer

DEVICE_ID = "visitors"
LEAVE_AFTER = 20.0
"""Seconds unseen after which a visitor has left (longer than the hand-off gap)."""


class VisitorWatch:
    """Follows visitors through detection events and flags departures from normal."""

    def __init__(
        self,
        site: Site,
        model: BehaviourModel | None = None,
        *,
        learn: bool = True,
        linker: HandoffLinker | None = None,
        leave_after: float = LEAVE_AFTER,
    ) -> None:
        self.site = site
        self.policy = site.policies.visitors
        self.model = model or BehaviourModel()
        self.learn = learn
        self.linker = linker or HandoffLinker()
        self.observer = Observer(site)
        self.clock = ClosingClock(site, self.policy)
        self.leave_after = timedelta(seconds=leave_after)
        self.states: dict[str, VisitorState] = {}
        self.flags_raised = 0
        self.visitors_seen = 0
        self._earliest: datetime | None = None
        """At or before every followed visitor's last sighting (they only grow): until
        ``leave_after`` past it nobody can have left, and :meth:`tick` has nothing to do."""

    def on_detection(self, event: Detection) -> list[WatchFlag]:
        touched: dict[str, VisitorState] = {}
        for obs in self.observer.observe(event):
            visitor = self.linker.assign(obs)
            for provisional, _ in self.linker.merged:  # a young track turned out to be someone
                self.states.pop(provisional, None)  # already followed: drop its own state
                touched.pop(provisional, None)
                self.visitors_seen -= 1
            self.linker.merged.clear()
            state = self.states.get(visitor.id)
            if state is None:
                state = self.states[visitor.id] = VisitorState(
                    visitor,
                    self.site,
                    self.policy.high_value_tier,
                    self.model if self.learn else None,
                )
                self.visitors_seen += 1
            state.observe(obs)
            if state.last_seen is not None and (
                self._earliest is None or state.last_seen < self._earliest
            ):
                self._earliest = state.last_seen
            touched[visitor.id] = state
        flags = [
            flag
            for state in touched.values()
            if not self._young(state, event.site_time) and (flag := self._judge(state, event))
        ]
        return flags + self.tick(event.site_time)

    def tick(self, now: datetime) -> list[WatchFlag]:
        """Visitors unseen for ``leave_after`` have left: learn them, clear their flags."""
        if self._earliest is not None and now - self._earliest < self.leave_after:
            return []
        flags = []
        for visitor_id, state in list(self.states.items()):
            if state.last_seen is None or now - state.last_seen < self.leave_after:
                continue
            state.finish()
            if state.raised:
                flags.append(self._flag(state, "cleared", now))
            del self.states[visitor_id]
            self.linker.forget(visitor_id)
        seen = [s.last_seen for s in self.states.values() if s.last_seen is not None]
        self._earliest = min(seen, default=None)
        return flags

    def finish_all(self, now: datetime) -> list[WatchFlag]:
        """Every visitor leaves (end of a replay): learn them all."""
        return self.tick(now + self.leave_after + timedelta(seconds=1))

    def active(self) -> Iterable[VisitorState]:
        return (state for state in self.states.values() if state.raised)

    @staticmethod
    def _young(state: VisitorState, now: datetime) -> bool:
        """A new single-track visitor may still turn out to be someone already followed
        (:data:`~artguard.visitors.handoff.LINK_WINDOW`): judged once that is settled."""
        visitor = state.visitor
        return (
            len(visitor.tracks) == 1 and (now - visitor.first_seen).total_seconds() <= LINK_WINDOW
        )

    def _judge(self, state: VisitorState, event: Detection) -> WatchFlag | None:
        raised, site, model, policy = state.raised, self.site, self.model, self.policy
        found = [
            reason
            for reason in (
                None
                if "circling" in raised or not state.artworks
                else checks.circling(state, site, model, policy),
                None
                if "lingering" in raised or not state.zones
                else checks.lingering(state, self.observer, model, policy),
                None if "against_flow" in raised else checks.against_flow(state, site, model),
                None
                if "after_closing" in raised
                else checks.after_closing(state, site, self.clock, policy),
            )
            if reason is not None
        ]
        if not found:
            return None
        status = "updated" if state.raised else "raised"
        for reason in found:
            state.raised[reason.kind] = reason.text
            state.evidence[f"{reason.kind}_learned"] = reason.learned
            for key, value in reason.evidence.items():
                state.evidence[f"{reason.kind}.{key}"] = value
        if status == "raised":
            self.flags_raised += 1
        return self._flag(state, status, event.site_time)

    def _flag(self, state: VisitorState, status: str, at: datetime) -> WatchFlag:
        visitor = state.visitor
        key = f"{visitor.id}|{status}|{len(state.raised)}|{at.isoformat()}"
        learned = all(state.evidence.get(f"{kind}_learned") for kind in state.raised)
        reasons = list(state.raised.values())
        return WatchFlag(
            id="wf-" + hashlib.sha256(key.encode()).hexdigest()[:32],
            device_id=DEVICE_ID,
            site_time=at,
            visitor_id=visitor.id,
            status=status,  # type: ignore[arg-type]
            reason_kinds=list(state.raised),  # type: ignore[arg-type]
            reasons=reasons,
            evidence=dict(state.evidence),
            room_id=state.room_id,
            floor_xy=state.xy,
            cameras=visitor.cameras,
            tracks=list(visitor.tracks),
            first_seen=visitor.first_seen,
            learned=learned,
        )
