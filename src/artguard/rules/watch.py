"""Casing an artwork: visitor watch flags worth a guard's look, turned into alerts.

The visitor watch (:mod:`artguard.visitors`) flags departures from normal behaviour; most are
for guards to keep an eye on and stay flags. Two of them, at a high-value work
(``policies.visitors.high_value_tier`` and above), are how a thief cases a gallery, and become
an alert triage scores and names (pattern ``casing``):

* ``circling``: the visitor came back to the work more separate times than nearly anyone does
  (the flag names the work);
* ``lingering``: the visitor stays at an exit or a camera blind spot far longer than people do,
  within ``LINGER_NEAR_M`` of such a work in the same room (where they stand now).

One alert per visitor and artwork: a flag updated with a further reason does not repeat it, and
the visitor's record is dropped when their flag clears (they left). Severity follows the work's
value tier; it is a behaviour, not an act, so never above ``high``. Against_flow and
after_closing flags stay flags (the presence rules handle people left after closing).
"""

from __future__ import annotations

import math
from datetime import datetime

from artguard.events import Alert, EventBase, Severity, WatchFlag
from artguard.site import Artwork, Site
from artguard.vision.rules.common import TIER_NAMES, local_clock

LINGER_NEAR_M = 5.0
"""Metres on the floor plan: lingering this close to a high-value work is watching it."""

SEVERITY_BY_TIER: dict[int, Severity] = {
    1: Severity.low,
    2: Severity.low,
    3: Severity.medium,
    4: Severity.high,
}
"""Casing a masterpiece calls a guard over (high); never a lockdown: nothing was done yet."""


class CasingRule:
    """Circling back to, or lingering near, a high-value artwork: one alert per visitor and
    artwork."""

    name = "visitor_casing"
    kinds = frozenset({"watch"})

    def __init__(self, site: Site) -> None:
        self._site = site
        self._tier = site.policies.visitors.high_value_tier
        self._alerted: dict[str, set[str]] = {}
        """Visitor id -> artworks already alerted for them."""

    def on_event(self, event: EventBase) -> list[Alert]:
        if not isinstance(event, WatchFlag):
            return []
        if event.status == "cleared":
            self._alerted.pop(event.visitor_id, None)
            return []
        done = self._alerted.setdefault(event.visitor_id, set())
        alerts = []
        for art, why in self._cased(event):
            if art.id in done:
                continue
            done.add(art.id)
            alerts.append(self._alert(event, art, why))
        if not done:
            del self._alerted[event.visitor_id]
        return alerts

    def on_tick(self, now: datetime) -> list[Alert]:
        return []

    def _cased(self, flag: WatchFlag) -> list[tuple[Artwork, str]]:
        """The high-value works the flag's reasons point at, each with the reason's kind."""
        found: list[tuple[Artwork, str]] = []
        if "circling" in flag.reason_kinds:
            art = self._artwork(flag.evidence.get("circling.artwork_id"))
            if art is not None and art.value_tier >= self._tier:
                found.append((art, "circling"))
        if "lingering" in flag.reason_kinds and flag.room_id and flag.floor_xy is not None:
            x, y = flag.floor_xy
            near = [
                (math.hypot(a.position[0] - x, a.position[1] - y), a)
                for a in self._site.artworks
                if a.room == flag.room_id and a.value_tier >= self._tier
            ]
            found.extend(
                (art, "lingering")
                for d, art in sorted(near, key=lambda pair: pair[0])
                if d <= LINGER_NEAR_M
            )
        return found

    def _artwork(self, artwork_id: object) -> Artwork | None:
        if not isinstance(artwork_id, str):
            return None
        try:
            return self._site.artwork(artwork_id)
        except KeyError:
            return None  # a flag from a site file that has since changed

    def _alert(self, flag: WatchFlag, art: Artwork, why: str) -> Alert:
        room = self._site.room(art.room)
        tier = art.value_tier
        if why == "circling":
            title = f"Casing: a visitor keeps coming back to '{art.title}'"
        else:
            title = f"Casing: a visitor lingers near '{art.title}'"
        reasons = [
            *flag.reasons,
            f"'{art.title}' by {art.artist}, value tier {tier} ({TIER_NAMES[tier]}), in "
            f"{room.name}",
            f"visitor {flag.visitor_id} followed since {local_clock(self._site, flag.first_seen)} "
            f"on {', '.join(flag.cameras) or 'no camera'}"
            + ("" if flag.learned else "; judged against conservative defaults (little history)"),
        ]
        evidence = {
            key: value
            for key, value in flag.evidence.items()
            if key.startswith(f"{why}.") or key == f"{why}_learned"
        }
        evidence.update(
            {
                "reason": why,
                "visitor_id": flag.visitor_id,
                "watch_flag_id": flag.id,
                "value_tier": tier,
                "cameras": ",".join(flag.cameras),
            }
        )
        if why == "lingering" and flag.floor_xy is not None:
            evidence["distance_m"] = round(
                math.hypot(art.position[0] - flag.floor_xy[0], art.position[1] - flag.floor_xy[1]),
                1,
            )
        return Alert(
            device_id=flag.device_id,
            site_time=flag.site_time,
            rule=self.name,
            severity=SEVERITY_BY_TIER.get(tier, Severity.medium),
            title=title[:200],
            reasons=reasons,
            evidence=evidence,
            source_event_ids=[flag.id],
            dedup_key=f"{self.name}:{flag.visitor_id}:{art.id}",
            room_id=room.id,
            artwork_id=art.id,
            first_event_time=flag.site_time,
        )
