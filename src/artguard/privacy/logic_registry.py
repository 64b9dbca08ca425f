"""What each automated decision rule checks, and where its thresholds and models come from.

This is documentation as data: each entry says in words what a rule checks and *names* the
settings and models it depends on; :mod:`.logic` reads their current values from the site
file, the code and ``models/MANIFEST.json`` when a decision is explained, so nothing here
repeats a number. Setting references:

* ``site:<path>``: a value of the site file, e.g. ``site:policies.access.deny_risk``;
* ``device:<field>``: a field of the device the alert came from (sensor, camera, door);
* ``room:<field>``, ``artwork:<field>``, ``person:<field>``: a field of the alert's or
  decision's room, artwork or person;
* ``code:<module>.<NAME>``: a constant of the code (a dataclass gives its defaults).

Model references name a model family resolved by :func:`artguard.privacy.logic.model_info`:
``detector`` (the configured person detector), ``pose``, ``face_detector``, ``face_verifier``.

``tests/privacy/test_logic.py`` checks that every rule the site runs has an entry and that
every reference resolves, so a new rule or a renamed setting fails a test instead of
explaining decisions wrongly.
"""

from __future__ import annotations

from dataclasses import dataclass
from fnmatch import fnmatchcase


@dataclass(frozen=True)
class RuleInfo:
    checks: str
    """In plain words, what the rule checks."""
    settings: tuple[str, ...] = ()
    models: tuple[str, ...] = ()


ACCESS = "site:policies.access"

ACCESS_RULES: dict[str, RuleInfo] = {
    "reader.unknown": RuleInfo("The reader is not fitted to any door in the site file: deny."),
    "credential.unknown": RuleInfo("The credential is not held by anyone in the site file: deny."),
    "credential.expired": RuleInfo(
        "The credential is outside its validity period (valid_from / valid_until): deny.",
        ("person:credentials",),
    ),
    "lockout": RuleInfo(
        "Too many recent denials for this credential: locked out for a while.",
        (f"{ACCESS}.lockout",),
    ),
    "threat.*.factors": RuleInfo(
        "The current threat level asks extra factors from a security level up.",
        (f"{ACCESS}.threat_levels",),
    ),
    "threat.*": RuleInfo(
        "The current threat level raises the risk and may deny roles or rooms.",
        (f"{ACCESS}.threat_levels",),
    ),
    "zone.not_allowed": RuleInfo(
        "The room is not among the person's allowed rooms (zones): deny.", ("person:zones",)
    ),
    "schedule.outside": RuleInfo(
        "The request falls outside the person's shift schedule (holidays close schedules "
        "marked closed_on_holidays): deny.",
        ("person:schedule",),
    ),
    "first_person_in": RuleInfo(
        "The room stays locked each day until someone with a supervisor role has entered.",
        (f"{ACCESS}.first_person_in",),
    ),
    "interlock": RuleInfo(
        "Another door of the same interlock is open: only one may be open at a time.",
        (f"{ACCESS}.interlocks",),
    ),
    "anti_passback.*": RuleInfo(
        "The credential is already inside (or out) by the presence record: re-use of a card "
        "(soft: note, hard: deny, timed: deny within the window).",
        (f"{ACCESS}.anti_passback",),
    ),
    "factors.level": RuleInfo(
        "The room's security level needs these factors (card, pin, face, mobile): step up "
        "when some are missing.",
        (f"{ACCESS}.factors", "room:security_level"),
    ),
    "reverify": RuleInfo(
        "Continuous authentication: entering a high-security room long after the last full "
        "verification asks for a face again.",
        (f"{ACCESS}.reverify",),
    ),
    "two_person.*": RuleInfo(
        "Two-person rule: a second authorised person must badge within the window.",
        (f"{ACCESS}.two_person",),
    ),
    "escort.*": RuleInfo(
        "People of some roles enter only after an escort badged at the same door shortly before.",
        (f"{ACCESS}.escort",),
    ),
    "anomaly.*": RuleInfo(
        "Learned habits and physical possibility: unusual hour, new door, impossible travel, "
        "card used in two places (clone), bursts of denials, after-hours storage; each adds "
        "risk.",
        ("code:artguard.access.anomaly.AnomalySettings",),
    ),
    "risk.*": RuleInfo(
        "The summed risk (room level, recent denials, threat level, anomalies) against the "
        "site's step-up and deny thresholds.",
        (
            f"{ACCESS}.step_up_risk",
            f"{ACCESS}.deny_risk",
            "code:artguard.access.pdp.LEVEL_RISK",
            "code:artguard.access.pdp.DENIAL_RISK",
        ),
    ),
    "face.*": RuleInfo(
        "Face step-up: the face at the door against the enrolled template (distance at most "
        "the threshold), with a liveness challenge.",
        ("code:artguard.biometrics.verify.DEFAULT_THRESHOLD",),
        ("face_verifier",),
    ),
}
"""Access-policy rule ids (``Decision.rules``) as glob patterns; the first match wins, so the
more specific patterns come first."""

_SENSORS = "artguard.sensors"

ALERT_RULES: dict[str, RuleInfo] = {
    "door_forced": RuleInfo(
        "A door opened without a grant at one of its readers shortly before.",
        ("site:policies.forced_open_grant_window_seconds",),
    ),
    "door_held_open": RuleInfo(
        "A door stayed open longer than allowed (the door's own limit, else the site's).",
        ("device:held_open_seconds", "site:policies.door_held_open_seconds"),
    ),
    "sensor_threshold": RuleInfo(
        "A reading left the sensor's acceptable range (alert on the crossing, with "
        "hysteresis so a reading hovering at the limit does not repeat it).",
        ("device:min", "device:max", "code:artguard.rules.sensors.HYSTERESIS_FRACTION"),
    ),
    "glass_break": RuleInfo("A glass-break sensor reported breaking glass."),
    "sensor_tamper": RuleInfo("A sensor reported that it was tampered with or opened."),
    "tailgating": RuleInfo(
        "More people passed through the door than grants were given around the opening, as "
        "counted by a camera's line crossings at the doorway or by a door passage counter "
        "(a passage_counter sensor fitted to the door).",
        (
            "code:artguard.rules.tailgating.WINDOW_BEFORE",
            "code:artguard.rules.tailgating.WINDOW_AFTER",
            "code:artguard.rules.passages.MAX_STEP",
        ),
        ("detector",),
    ),
    "access_passback": RuleInfo(
        "An access decision noted anti-passback (a credential used twice in a row).",
        (f"{ACCESS}.anti_passback",),
    ),
    "access_anomaly": RuleInfo(
        "An access decision found learned-behaviour anomalies.",
        ("code:artguard.access.anomaly.AnomalySettings",),
    ),
    "access_lockout": RuleInfo(
        "A credential reached the lock-out threshold of denials.", (f"{ACCESS}.lockout",)
    ),
    "access_face_failed": RuleInfo(
        "A face step-up failed: the face did not match the card holder's template, or failed "
        "the liveness challenge.",
        (
            "code:artguard.biometrics.verify.DEFAULT_THRESHOLD",
            "code:artguard.access.face.TIME_LIMIT_S",
        ),
    ),
    "access_reverify": RuleInfo(
        "A person stayed in a high-security room longer than the re-verification interval.",
        (f"{ACCESS}.reverify",),
    ),
    "camera_sabotage": RuleInfo(
        "A camera's image went dark, blurred, covered or moved (image statistics), or the "
        "camera stopped reporting."
    ),
    "line_crossing": RuleInfo(
        "A tracked person crossed a counting line (occupancy).",
        ("device:lines", "code:artguard.vision.rules.lines.BAND_PX"),
        ("detector",),
    ),
    "line_crossing_staff": RuleInfo(
        "A tracked person crossed a counting line into a closed room, and as many staff on "
        "shift, allowed in that room, had badged or been seen near it recently enough to be "
        "there.",
        (
            "device:lines",
            "code:artguard.vision.rules.staff_nearby.STAFF_WINDOW",
            "code:artguard.vision.rules.staff_nearby.BADGE_IN_VIEW",
        ),
        ("detector",),
    ),
    "virtual_barrier": RuleInfo(
        "A person's hand or body reached into an artwork's barrier polygon for long enough.",
        ("artwork:barrier_min_seconds", "artwork:barrier_cooldown_seconds", "artwork:value_tier"),
        ("detector", "pose"),
    ),
    "loitering": RuleInfo(
        "A person stayed in a zone longer than its loitering limit.",
        ("device:zones", "code:artguard.vision.rules.loitering.GAP"),
        ("detector",),
    ),
    "visitor_casing": RuleInfo(
        "A visitor watch flag at a high-value artwork: the visitor came back to the work more "
        "separate times than the learned normal (circling), or stays at an exit or blind spot "
        "near it far longer than people do (lingering). The visitor is an anonymous id joining "
        "camera tracks by position and clothing colours, never a face.",
        (
            "site:policies.visitors.high_value_tier",
            "site:policies.visitors.min_learned_visitors",
            "artwork:value_tier",
            "code:artguard.visitors.checks.DEFAULT_CIRCLING_VISITS",
            "code:artguard.visitors.checks.MIN_CIRCLING_VISITS",
            "code:artguard.visitors.checks.DEFAULT_LINGER_S",
            "code:artguard.rules.watch.LINGER_NEAR_M",
        ),
        ("detector",),
    ),
    "artwork_missing": RuleInfo(
        "An artwork's view no longer matches its reference (missing or moved).",
        ("artwork:value_tier",),
    ),
    "restricted_zone": RuleInfo(
        "A person entered a restricted zone (confirmed for a moment, tolerating gaps).",
        ("device:zones", "code:artguard.vision.rules.zones.CONFIRM_SECONDS"),
        ("detector",),
    ),
    "after_hours_presence": RuleInfo(
        "A person was seen in a room outside its opening hours (after a grace period).",
        ("room:opening_hours", "code:artguard.vision.rules.zones.AFTER_HOURS_GRACE"),
        ("detector",),
    ),
    "after_hours_presence_staff": RuleInfo(
        "A person was seen in a room outside its opening hours, and as many staff on shift, "
        "allowed in that room, had badged or been seen near it recently enough to be there.",
        (
            "room:opening_hours",
            "code:artguard.vision.rules.zones.AFTER_HOURS_GRACE",
            "code:artguard.vision.rules.staff_nearby.STAFF_WINDOW",
            "code:artguard.vision.rules.staff_nearby.BADGE_IN_VIEW",
        ),
        ("detector",),
    ),
    "motion_unusual_time": RuleInfo(
        "Motion at a time the learned baseline says is (almost) always still.",
        (
            f"code:{_SENSORS}.learned_rules.MOTION_SURPRISE",
            f"code:{_SENSORS}.learned_rules.MOTION_RATE_FLOOR",
        ),
    ),
    "vibration_unusual": RuleInfo(
        "Vibration beyond what the sensor's learned baseline makes likely.",
        (
            f"code:{_SENSORS}.learned_rules.VIBRATION_THRESHOLD",
            f"code:{_SENSORS}.learned_rules.VIBRATION_WARMUP",
        ),
    ),
    "climate_drift": RuleInfo(
        "Temperature or humidity drifting away from the learned level.",
        (
            f"code:{_SENSORS}.learned_rules.DRIFT_SIGMAS",
            f"code:{_SENSORS}.learned_rules.DRIFT_MIN_DELTA",
        ),
    ),
    "sensor_impossible_value": RuleInfo(
        "A reading outside what the sensor type can physically report (a faulty sensor).",
        (f"code:{_SENSORS}.health.PHYSICAL_RANGE",),
    ),
    "sensor_stuck": RuleInfo(
        "A sensor repeating the same value for too long (stuck).",
        (
            f"code:{_SENSORS}.health.STUCK_MIN_DURATION",
            f"code:{_SENSORS}.health.STUCK_MIN_READINGS",
        ),
    ),
    "sensor_silent": RuleInfo(
        "A sensor stopped reporting for several of its usual intervals.",
        (f"code:{_SENSORS}.health.SILENT_FACTOR", f"code:{_SENSORS}.health.SILENT_MIN"),
    ),
    "conservation": RuleInfo(
        "Room climate outside the conservation band or changing faster than allowed.",
        ("room:conservation",),
    ),
}
"""Alert rules by the ``rule`` name stored with each alert."""


def access_rule(rule_id: str) -> tuple[str, RuleInfo] | None:
    """The (pattern, entry) describing an access-policy rule id, or None."""
    for pattern, info in ACCESS_RULES.items():
        if fnmatchcase(rule_id, pattern):
            return pattern, info
    return None


def alert_rule(rule: str) -> RuleInfo | None:
    return ALERT_RULES.get(rule)
