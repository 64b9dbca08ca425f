"""Risk score of an incident, with every alert's contribution and the reason for its weight.

Each alert (one per cause: repeats of a cause add nothing) contributes a weight in [0, 0.95]:

    weight = base(signal) x room security level x artwork value tier x after hours x feedback

``base`` comes from :data:`SIGNALS`, looked up by the most specific key first (``rule:subtype``,
``rule``, ``*:subtype``); a rule missing from the table (a new or learned rule) gets a base by
its severity (:data:`BY_SEVERITY`), so it still counts, just not more than its own severity
says. The incident's score combines the weights by *noisy-OR*: ``1 - prod(1 - w)``, read as
"the chance that at least one of these indicators is real". It stays in [0, 1), never
decreases when an alert joins, and two medium indicators together outweigh either alone
without a pile of weak ones reaching certainty (ten 0.1s give 0.65, not 1.0).

An alert whose source cannot be trusted is *suppressed* (weight 0, kept and listed with the
reason): anything from a camera after that camera was reported covered, moved, frozen... in the
same incident, and readings of a sensor after its tamper contact opened.

The *feedback* factor comes from operators' verdicts on earlier incidents of the same rule,
device and time of day (:mod:`.adjustment`); it is 1 (and not shown) when there are none.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from artguard.events import Severity
from artguard.site import Site
from artguard.triage.adjustment import Adjustment, Adjustments, feedback_key
from artguard.triage.signals import (
    AlertFacts,
    Category,
    artwork_of,
    signal_keys,
    site_closed,
)


@dataclass(frozen=True)
class SignalScore:
    weight: float
    category: Category
    label: str


SIGNALS: dict[str, SignalScore] = {
    "door_forced": SignalScore(0.50, "entry", "door forced open"),
    "glass_break": SignalScore(0.50, "entry", "glass break"),
    "door_held_open": SignalScore(0.15, "access", "door held open"),
    "sensor_threshold:vibration": SignalScore(0.40, "artwork", "vibration"),
    "sensor_threshold:motion": SignalScore(0.30, "presence", "motion"),
    "sensor_threshold:temperature": SignalScore(0.15, "environment", "temperature out of range"),
    "sensor_threshold:humidity": SignalScore(0.15, "environment", "humidity out of range"),
    "sensor_threshold:door_contact": SignalScore(0.10, "other", "door contact reading"),
    "sensor_threshold": SignalScore(0.20, "other", "sensor out of range"),
    "sensor_tamper": SignalScore(0.35, "sabotage", "sensor tampered"),
    "camera_sabotage": SignalScore(0.35, "sabotage", "camera sabotaged"),
    "camera_sabotage:offline": SignalScore(0.20, "sabotage", "camera offline"),
    "camera_sabotage:defocused": SignalScore(0.25, "sabotage", "camera defocused"),
    "artwork_missing": SignalScore(0.60, "artwork", "artwork missing or moved"),
    "virtual_barrier": SignalScore(0.25, "artwork", "virtual barrier crossed"),
    "restricted_zone": SignalScore(0.35, "presence", "person in restricted zone"),
    "after_hours_presence": SignalScore(0.30, "presence", "person after hours"),
    # staff on shift who badged nearby explain the sighting: logged, not an intrusion
    "after_hours_presence_staff": SignalScore(0.02, "behaviour", "staff on duty after hours"),
    "loitering": SignalScore(0.10, "behaviour", "loitering"),
    "line_crossing": SignalScore(0.10, "behaviour", "line crossed"),
    "line_crossing_staff": SignalScore(0.02, "behaviour", "staff on duty crossed a line"),
    # a visitor casing a high-value work (a watch flag, artguard.rules.watch): a learned, rare
    # behaviour at the work, more telling than loitering; alone it shows on the dashboard, with
    # any artwork or entry signal it lifts the incident well above either
    "visitor_casing": SignalScore(0.25, "behaviour", "casing an artwork"),
    "tailgating": SignalScore(0.30, "tailgating", "tailgating"),
    "access_passback": SignalScore(0.15, "access", "anti-passback violation"),
    "access_lockout": SignalScore(0.20, "access", "credential locked out"),
    "access_anomaly": SignalScore(0.30, "access", "unusual access"),
    "access_reverify": SignalScore(0.20, "access", "identity re-check failed"),
    "access_face_failed": SignalScore(0.35, "access", "face did not pass the step-up check"),
    # learned sensor baselines and sensor health (artguard.sensors)
    "motion_unusual_time": SignalScore(0.25, "presence", "motion at an unusual time"),
    "vibration_unusual": SignalScore(0.30, "artwork", "unusual vibration"),
    "climate_drift": SignalScore(0.10, "environment", "climate drift"),
    "conservation": SignalScore(0.15, "environment", "conservation limit"),
    "sensor_silent": SignalScore(0.25, "sabotage", "sensor silent"),
    "sensor_stuck": SignalScore(0.15, "sabotage", "sensor stuck"),
    "sensor_impossible_value": SignalScore(0.15, "sabotage", "impossible sensor value"),
    # any other rule on these kinds of sensor (e.g. learned baselines)
    "*:vibration": SignalScore(0.0, "artwork", "vibration"),
    "*:motion": SignalScore(0.0, "presence", "motion"),
    "*:glass_break": SignalScore(0.0, "entry", "glass break"),
    "*:temperature": SignalScore(0.0, "environment", "temperature"),
    "*:humidity": SignalScore(0.0, "environment", "humidity"),
}
"""Base weight and category per signal. ``*:`` entries give only the category: the weight of
an unknown rule comes from its severity."""

BY_SEVERITY: dict[Severity, float] = {
    Severity.info: 0.05,
    Severity.low: 0.10,
    Severity.medium: 0.20,
    Severity.high: 0.35,
    Severity.critical: 0.50,
}
ROOM_LEVEL_FACTOR = {1: 0.8, 2: 1.0, 3: 1.15, 4: 1.3}
ARTWORK_TIER_FACTOR = {1: 1.0, 2: 1.1, 3: 1.2, 4: 1.3}
AFTER_HOURS_FACTOR = 1.25
"""Applied to every security signal while the site is closed (not to climate alerts)."""
MAX_WEIGHT = 0.95
HIGH_RISK = 0.7
MEDIUM_RISK = 0.4
SECURITY_CATEGORIES = frozenset(
    {"entry", "presence", "artwork", "sabotage", "access", "tailgating", "behaviour"}
)
UNTRUSTED_CAMERA_STATES = frozenset(
    {"covered", "blinded", "frozen", "moved", "defocused", "offline"}
)


@dataclass(frozen=True)
class Contribution:
    """What one alert adds to its incident's score, and why."""

    alert_id: str
    rule: str
    room: str | None
    artwork: str | None
    category: Category
    label: str
    weight: float
    why: str
    after_hours: bool
    suppressed: bool = False
    repeats: int = 1
    link: str | None = None
    feedback: dict[str, Any] | None = None  # key, factor, reason: operators' verdicts applied

    def as_dict(self) -> dict[str, Any]:
        return {
            "alert_id": self.alert_id,
            "rule": self.rule,
            "room": self.room,
            "artwork": self.artwork,
            "category": self.category,
            "label": self.label,
            "weight": round(self.weight, 3),
            "why": self.why,
            "after_hours": self.after_hours,
            "suppressed": self.suppressed,
            "repeats": self.repeats,
            "link": self.link,
            "feedback": self.feedback,
        }


def lookup(facts: AlertFacts, site: Site | None) -> tuple[SignalScore, str]:
    """The alert's base weight and category, and the table key that gave the weight."""
    keys = signal_keys(facts, site)
    category: Category | None = None
    label = facts.rule.replace("_", " ")
    for key in keys:
        entry = SIGNALS.get(key)
        if entry is None:
            continue
        if entry.weight > 0:
            return SignalScore(entry.weight, category or entry.category, entry.label), key
        category, label = category or entry.category, entry.label
    weight = BY_SEVERITY.get(facts.severity, 0.2)
    return SignalScore(weight, category or "other", label), f"severity {facts.severity.value}"


def after_hours(facts: AlertFacts, site: Site | None) -> bool:
    if facts.rule == "after_hours_presence":
        return True
    return bool(site_closed(site, facts.time))


def contribution(
    facts: AlertFacts, site: Site | None, adjustment: Adjustment | None = None
) -> Contribution:
    """The weight of one alert on its own, with the arithmetic spelled out; ``adjustment`` is
    the operators' feedback on its rule, device and time of day."""
    base, key = lookup(facts, site)
    category = base.category
    artwork = artwork_of(facts, site)
    if category == "artwork" and artwork is None and facts.rule != "artwork_missing":
        category = "other"  # a vibration sensor on a wall, not on an artwork
    weight = base.weight
    parts = [f"{base.label} {base.weight:.2f} ({key})"]
    level = _room_level(facts.room_id, site)
    if level is not None:
        factor = ROOM_LEVEL_FACTOR.get(level, 1.0)
        weight *= factor
        parts.append(f"x{factor:g} room security level {level}")
    tier = _artwork_tier(artwork, facts, site)
    if tier is not None:
        factor = ARTWORK_TIER_FACTOR.get(tier, 1.0)
        weight *= factor
        parts.append(f"x{factor:g} artwork value tier {tier}")
    late = after_hours(facts, site)
    if late and category in SECURITY_CATEGORIES:
        weight *= AFTER_HOURS_FACTOR
        parts.append(f"x{AFTER_HOURS_FACTOR:g} after hours")
    feedback = None
    if adjustment is not None and adjustment.verdicts:
        factor, _ = adjustment.applied(category)
        reason = adjustment.reason(base.label, category, site)
        weight *= factor
        parts.append(f"x{factor:.2f} operator feedback")
        feedback = {"key": adjustment.key, "factor": round(factor, 3), "reason": reason}
    weight = min(weight, MAX_WEIGHT)
    why = " ".join(parts) + f" = {weight:.2f}"
    if facts.repeats > 1:
        why += f" (repeated {facts.repeats} times, counted once)"
    if feedback is not None:
        why += f" [feedback {feedback['reason']}]"
    return Contribution(
        alert_id=facts.alert_id,
        rule=facts.rule,
        room=facts.room_id,
        artwork=artwork,
        category=category,
        label=base.label,
        weight=weight,
        why=why,
        after_hours=late,
        repeats=facts.repeats,
        link=facts.link,
        feedback=feedback,
    )


def contributions(
    alerts: list[AlertFacts], site: Site | None, adjustments: Adjustments | None = None
) -> list[Contribution]:
    """Every alert's contribution, in time order, with untrusted sources suppressed;
    ``adjustments`` (by :func:`.adjustment.feedback_key`) apply operators' feedback."""
    ordered = sorted(alerts, key=lambda a: (a.time, a.alert_id))
    blind: dict[str, tuple[str, datetime]] = {}  # camera -> (state, since)
    tampered: dict[str, datetime] = {}  # sensor -> since
    result = []
    for facts in ordered:
        adjustment = adjustments.get(feedback_key(facts, site)) if adjustments else None
        item = contribution(facts, site, adjustment)
        reason = _suppression(facts, blind, tampered, site)
        if reason is not None:
            item = replace(item, weight=0.0, suppressed=True, why=reason, feedback=None)
        result.append(item)
        if facts.camera_status in UNTRUSTED_CAMERA_STATES and facts.camera_id:
            blind.setdefault(facts.camera_id, (facts.camera_status or "", facts.time))
        if facts.rule == "sensor_tamper":
            tampered.setdefault(facts.device_id, facts.time)
    return result


def _suppression(
    facts: AlertFacts,
    blind: dict[str, tuple[str, datetime]],
    tampered: dict[str, datetime],
    site: Site | None,
) -> str | None:
    camera = facts.camera_id
    if camera and facts.rule != "camera_sabotage" and camera in blind:
        state, since = blind[camera]
        return (
            f"suppressed: camera {camera} was reported {state} at {_clock(since, site)}; "
            "what it sees since cannot be trusted (counted in the sabotage alert)"
        )
    if facts.rule != "sensor_tamper" and facts.device_id in tampered:
        since = tampered[facts.device_id]
        return (
            f"suppressed: sensor {facts.device_id} has been tampered with since "
            f"{_clock(since, site)}; its readings cannot be trusted (counted in the tamper alert)"
        )
    return None


def combine(weights: list[float]) -> float:
    """Noisy-OR of the weights: 1 - prod(1 - w)."""
    remaining = 1.0
    for weight in weights:
        remaining *= 1.0 - max(0.0, min(weight, MAX_WEIGHT))
    return 1.0 - remaining


def risk_band(score: float | None) -> str | None:
    if score is None:
        return None
    if score >= HIGH_RISK:
        return "high"
    return "medium" if score >= MEDIUM_RISK else "low"


def severity_for(score: float) -> Severity:
    """The severity a score alone warrants (the incident keeps its worst alert's if higher)."""
    if score >= 0.85:
        return Severity.critical
    if score >= HIGH_RISK:
        return Severity.high
    return Severity.medium if score >= MEDIUM_RISK else Severity.low


def _room_level(room_id: str | None, site: Site | None) -> int | None:
    if site is None or room_id is None:
        return None
    try:
        return site.room(room_id).security_level
    except KeyError:
        return None


def _artwork_tier(artwork: str | None, facts: AlertFacts, site: Site | None) -> int | None:
    if artwork is not None and site is not None:
        try:
            return site.artwork(artwork).value_tier
        except KeyError:
            pass
    tier = facts.evidence.get("max_value_tier")
    return int(tier) if isinstance(tier, int | float) and not isinstance(tier, bool) else None


def _clock(at: datetime, site: Site | None) -> str:
    local = at.astimezone(site.tz) if site is not None else at
    return local.strftime("%H:%M:%S")
