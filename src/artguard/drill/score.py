"""Scoring a drill: the twin's ground truth against the incidents artguard raised.

An attack is **detected** when an incident whose pattern is one the truth names holds an alert
from one of the truth's rules (any rule when none is named), about the truth's place (one of
its rooms, its artwork or its door), raised at a site time within ``[start, start + window]``.
Its time to detect is the first such alert's site time minus ``start``. A miss says why: the
closest alert seen around that time and what differed, or that nothing fired.

An incident is **explained** by a truth when one of its alerts is about the truth's place or a
room next to it (an intruder hiding walks past other sensors), in the attack's first half
hour or, for alerts of the kind the truth names, anywhere in its window;
incidents no attack explains are **false incidents**, with their escalation tier. Nuisances
(truths with ``attack=False``) explain nothing: an incident they cause is still a false alarm
to the guard it calls, and the result names the nuisance behind it.

A truth naming no pattern is one triage does not see: it is detected by a visitor watch flag
(:class:`Watched`) in one of its rooms within the window, whose reasons include
``details["watch_reason"]`` when the truth gives one (casing a work: ``circling``).

Everything here is pure except :func:`load_incidents`, which reads the store.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, select

from artguard.drill.gate import is_high_risk
from artguard.drill.result import DrillResult, FalseIncident, ScenarioOutcome
from artguard.site import Site
from artguard.store.tables import alerts, incidents
from artguard.triage.escalation import tier_for
from artguard.triage.repository import ACTIVE_STATUSES
from artguard.twin.truth import GroundTruth

NEAR = timedelta(minutes=30)
"""How far around an attack's window a miss looks for the closest alert."""
AFTERMATH = timedelta(minutes=30)
"""Anything near an attack's place this soon after its start is the attack's doing."""
EARLY = timedelta(seconds=5)
"""Alerts this much before a truth's start still count as explained by it (a device's clock
and the scenario's recorded start are not the same instant)."""


@dataclass(frozen=True)
class AlertSeen:
    """One stored alert, with every site time its cause was raised at (repeats included)."""

    id: str
    rule: str
    room_id: str | None
    artwork_id: str | None
    device_id: str
    times: tuple[datetime, ...]
    door_id: str | None = None


@dataclass(frozen=True)
class IncidentSeen:
    id: str
    pattern: str | None
    score: float
    tier: str
    title: str
    room_id: str | None
    alerts: tuple[AlertSeen, ...]

    @property
    def first_time(self) -> datetime:
        return min(t for a in self.alerts for t in a.times)


@dataclass(frozen=True)
class Watched:
    """A visitor watch flag raised or updated (the runner listens on the bus): how artguard
    names a visitor whose behaviour departs from the normal, e.g. casing a work. Flags are
    for guards to keep an eye, not incidents."""

    site_time: datetime
    room_id: str | None
    reasons: tuple[str, ...]
    """Every reason the visitor has been flagged for so far (``circling``, ...)."""


@dataclass(frozen=True)
class Raised:
    """An alert as the rules published it (the runner listens on the bus): repeats of one
    cause keep the first alert's row in the store, so only these keep their times."""

    id: str
    dedup_key: str
    site_time: datetime


# -- reading the store -----------------------------------------------------------------------


def load_incidents(engine: Engine, site: Site, raised: Sequence[Raised] = ()) -> list[IncidentSeen]:
    """Every incident with its alerts. ``raised`` adds the site times of repeats (a repeat
    goes to the latest stored alert of its cause raised before it)."""
    with engine.connect() as conn:
        incident_rows = list(conn.execute(select(incidents)))
        alert_rows = list(conn.execute(select(alerts)))
    return _assemble(incident_rows, alert_rows, _times_by_row(alert_rows, raised), site)


def _assemble(
    incident_rows: list[Any],
    alert_rows: list[Any],
    times: dict[str, tuple[datetime, ...]],
    site: Site,
) -> list[IncidentSeen]:
    by_incident: dict[str, list[AlertSeen]] = {}
    for row in alert_rows:
        if row.incident_id is None:
            continue
        evidence = row.evidence or {}
        door = evidence.get("door_id") or evidence.get("door")
        by_incident.setdefault(row.incident_id, []).append(
            AlertSeen(
                id=row.id,
                rule=row.rule,
                room_id=row.room_id,
                artwork_id=row.artwork_id,
                device_id=row.device_id,
                times=times[row.id],
                door_id=door if isinstance(door, str) else None,
            )
        )
    policy = site.policies.response
    out = []
    for row in incident_rows:
        seen = by_incident.get(row.id)
        if not seen:
            continue
        tier = row.tier or tier_for(row.score, row.pattern, policy).tier
        out.append(
            IncidentSeen(
                id=row.id,
                pattern=row.pattern,
                score=float(row.score or 0.0),
                tier=tier,
                title=row.title,
                room_id=row.room_id,
                alerts=tuple(seen),
            )
        )
    return out


def active_incidents(engine: Engine, site: Site, cutoff: datetime) -> list[IncidentSeen]:
    """Open or acknowledged incidents whose first evidence is at or before ``cutoff``, with
    their stored alerts (for a simulated operator's verdicts)."""
    with engine.connect() as conn:
        rows = list(
            conn.execute(
                select(incidents).where(
                    incidents.c.status.in_(ACTIVE_STATUSES),
                    incidents.c.first_event_time <= cutoff,
                )
            )
        )
        if not rows:
            return []
        alert_rows = list(
            conn.execute(select(alerts).where(alerts.c.incident_id.in_([r.id for r in rows])))
        )
    return _assemble(rows, alert_rows, _times_by_row(alert_rows, ()), site)


def _times_by_row(
    alert_rows: list[Any], raised: Sequence[Raised]
) -> dict[str, tuple[datetime, ...]]:
    """Site times each stored alert was raised at: its own (the last sighting of an
    unrepeated alert, or as heard on the bus) and those of its repeats."""
    own = {r.id: r.site_time for r in raised}
    times: dict[str, set[datetime]] = {row.id: {row.last_seen_time} for row in alert_rows}
    first: dict[str, datetime] = {}
    by_key: dict[str, list[Any]] = {}
    for row in alert_rows:
        first[row.id] = own.get(row.id, row.first_event_time)
        if row.id in own:
            times[row.id].add(own[row.id])
        by_key.setdefault(row.dedup_key, []).append(row)
    for rows in by_key.values():
        rows.sort(key=lambda r: first[r.id])
    for alert in raised:
        if alert.id in times:
            continue
        owners = [r for r in by_key.get(alert.dedup_key, ()) if first[r.id] <= alert.site_time]
        if owners:
            times[owners[-1].id].add(alert.site_time)
    return {row_id: tuple(sorted(found)) for row_id, found in times.items()}


# -- matching ---------------------------------------------------------------------------------


def place_matches(alert: AlertSeen, truth: GroundTruth, site: Site | None = None) -> bool:
    """The alert is about the truth's place: one of its rooms, its artwork or its door."""
    if alert.room_id is not None and alert.room_id in truth.rooms:
        return True
    if truth.artwork is not None and alert.artwork_id == truth.artwork:
        return True
    if truth.door is not None:
        if truth.door in (alert.door_id, alert.device_id):
            return True
        if site is not None and alert.device_id in _door_devices(site, truth.door):
            return True
    return False


def _door_devices(site: Site, door_id: str) -> set[str]:
    door = next((d for d in site.doors if d.id == door_id), None)
    if door is None:
        return set()
    return {
        door.id,
        *door.readers,
        *door.exit_readers,
        *(x for x in (door.lock, door.contact) if x),
    }


def _near_place(alert: AlertSeen, truth: GroundTruth, site: Site | None) -> bool:
    if place_matches(alert, truth, site):
        return True
    if site is None or alert.room_id is None:
        return False
    neighbours: set[str] = set()
    for room_id in truth.rooms:
        try:
            neighbours.update(site.room(room_id).adjacent)
        except KeyError:
            continue
    return alert.room_id in neighbours


def _in_window(truth: GroundTruth, at: datetime, early: timedelta = timedelta(0)) -> bool:
    return truth.start - early <= at <= truth.start + truth.window


def detection(
    truth: GroundTruth, found: Sequence[IncidentSeen], site: Site | None = None
) -> tuple[IncidentSeen, AlertSeen, datetime] | None:
    """The incident, alert and site time that detected ``truth`` first, if any."""
    best: tuple[IncidentSeen, AlertSeen, datetime] | None = None
    for incident in found:
        if incident.pattern not in truth.patterns:
            continue
        for alert in incident.alerts:
            if truth.rules and alert.rule not in truth.rules:
                continue
            if not place_matches(alert, truth, site):
                continue
            for at in alert.times:
                if _in_window(truth, at) and (best is None or at < best[2]):
                    best = (incident, alert, at)
    return best


def watched(truth: GroundTruth, flags: Sequence[Watched]) -> Watched | None:
    """The first watch flag that detected a truth naming no pattern, if any."""
    reason = truth.details.get("watch_reason")
    hits = [
        f
        for f in flags
        if f.room_id in truth.rooms
        and _in_window(truth, f.site_time)
        and (reason is None or reason in f.reasons)
    ]
    return min(hits, key=lambda f: f.site_time, default=None)


def why_missed(truth: GroundTruth, found: Sequence[IncidentSeen], site: Site | None = None) -> str:
    """The closest alert around the attack and what differed, or that nothing fired."""
    lo, hi = truth.start - NEAR, truth.start + truth.window + NEAR
    closest: tuple[int, float, IncidentSeen, AlertSeen, datetime, list[str]] | None = None
    for incident in found:
        for alert in incident.alerts:
            for at in alert.times:
                if not lo <= at <= hi:
                    continue
                differs = _differences(truth, incident, alert, at, site)
                distance = abs((at - truth.start).total_seconds())
                key = (len(differs), distance)
                if closest is None or key < closest[:2]:
                    closest = (len(differs), distance, incident, alert, at, differs)
    if closest is None:
        return f"nothing fired from {lo:%H:%M} to {hi:%H:%M}"
    _, _, incident, alert, at, differs = closest
    where = alert.room_id or alert.artwork_id or alert.device_id
    offset = (at - truth.start).total_seconds()
    return (
        f"closest: incident {incident.id} ({incident.pattern}, {incident.tier}) alert "
        f"{alert.rule} in {where} at {offset:+.0f} s; " + "; ".join(differs)
    )


def _differences(
    truth: GroundTruth, incident: IncidentSeen, alert: AlertSeen, at: datetime, site: Site | None
) -> list[str]:
    out = []
    if incident.pattern not in truth.patterns:
        out.append(f"pattern {incident.pattern}, expected {'/'.join(truth.patterns)}")
    if truth.rules and alert.rule not in truth.rules:
        out.append(f"rule {alert.rule}, expected {'/'.join(truth.rules)}")
    if not place_matches(alert, truth, site):
        wanted = [*truth.rooms, *(x for x in (truth.artwork, truth.door) if x)]
        out.append(f"place {alert.room_id or alert.artwork_id}, expected {'/'.join(wanted)}")
    if not _in_window(truth, at):
        out.append(f"outside the {truth.window.total_seconds():.0f} s window")
    return out


def explains(truth: GroundTruth, incident: IncidentSeen, site: Site | None = None) -> bool:
    """Whether ``truth`` accounts for ``incident``: an alert about its place (or next door)
    in its first :data:`AFTERMATH`, or later in its window when the incident or alert is the
    kind the truth names (a six-hour humidity drift does not explain a guard's round)."""
    named = incident.pattern in truth.patterns
    short = replace(truth, window=min(truth.window, AFTERMATH))
    for alert in incident.alerts:
        if not _near_place(alert, truth, site):
            continue
        kind = named or alert.rule in truth.rules
        for at in alert.times:
            if _in_window(short, at, EARLY) or (kind and _in_window(truth, at, EARLY)):
                return True
    return False


# -- the result -------------------------------------------------------------------------------


@dataclass
class Scored:
    scenarios: list[ScenarioOutcome]
    false_incidents: list[FalseIncident]
    nuisances: list[dict[str, Any]]
    """Each nuisance truth and the incidents it caused (with tier and whether high-risk)."""
    false_causes: dict[str, str]
    """False incident id -> the nuisance scenario behind it, where one explains it."""


def score(
    truths: Iterable[GroundTruth],
    found: Sequence[IncidentSeen],
    site: Site | None = None,
    flags: Sequence[Watched] = (),
) -> Scored:
    truths = sorted(truths, key=lambda t: (t.start, t.scenario))
    attacks = [t for t in truths if t.attack]
    nuisances = [t for t in truths if not t.attack]
    outcomes = [outcome(t, found, site, flags) for t in attacks]
    explained = {i.id for i in found if any(explains(t, i, site) for t in attacks)}
    false = [
        FalseIncident(
            incident_id=i.id,
            pattern=i.pattern or "",
            score=i.score,
            tier=i.tier,
            room=i.room_id,
            first_alert_time=i.first_time,
            title=i.title,
        )
        for i in sorted(found, key=lambda i: i.first_time)
        if i.id not in explained
    ]
    causes: dict[str, str] = {}
    nuisance_rows = []
    for truth in nuisances:
        caused = [i for i in found if i.id not in explained and explains(truth, i, site)]
        for incident in caused:
            causes.setdefault(incident.id, truth.scenario)
        nuisance_rows.append(
            {
                "scenario": truth.scenario,
                "start": truth.start.isoformat(),
                "rooms": list(truth.rooms),
                "description": truth.description,
                "incidents": [
                    {"id": i.id, "pattern": i.pattern, "tier": i.tier, "score": i.score}
                    for i in caused
                ],
                "high_risk": any(is_high_risk(i.tier) for i in caused),
            }
        )
    return Scored(outcomes, false, nuisance_rows, causes)


def outcome(
    truth: GroundTruth,
    found: Sequence[IncidentSeen],
    site: Site | None = None,
    flags: Sequence[Watched] = (),
) -> ScenarioOutcome:
    if not truth.patterns:
        return _watch_outcome(truth, flags)
    hit = detection(truth, found, site)
    if hit is None:
        return ScenarioOutcome(
            scenario=truth.scenario,
            start=truth.start,
            rooms=list(truth.rooms),
            detected=False,
            time_to_detect_s=None,
            incident_id=None,
            pattern=None,
            score=None,
            tier=None,
            why_missed=why_missed(truth, found, site),
        )
    incident, _, at = hit
    return ScenarioOutcome(
        scenario=truth.scenario,
        start=truth.start,
        rooms=list(truth.rooms),
        detected=True,
        time_to_detect_s=max(0.0, (at - truth.start).total_seconds()),
        incident_id=incident.id,
        pattern=incident.pattern,
        score=incident.score,
        tier=incident.tier,
        rules=sorted({a.rule for a in incident.alerts}),
    )


def _watch_outcome(truth: GroundTruth, flags: Sequence[Watched]) -> ScenarioOutcome:
    flag = watched(truth, flags)
    reason = truth.details.get("watch_reason")
    why = None
    if flag is None:
        lo, hi = truth.start - NEAR, truth.start + truth.window + NEAR
        near = sorted(
            {f"{f.room_id} {'/'.join(f.reasons)}" for f in flags if lo <= f.site_time <= hi}
        )
        why = f"no visitor watch flag{f' for {reason}' if reason else ''} in "
        why += f"{'/'.join(truth.rooms)} within the window"
        if near:
            why += f"; flags nearby: {', '.join(near)}"
    return ScenarioOutcome(
        scenario=truth.scenario,
        start=truth.start,
        rooms=list(truth.rooms),
        detected=flag is not None,
        time_to_detect_s=None if flag is None else (flag.site_time - truth.start).total_seconds(),
        incident_id=None,
        pattern=None if flag is None else f"watch:{reason or flag.reasons[0]}",
        score=None,
        tier=None,
        rules=[] if flag is None else ["visitor_watch"],
        why_missed=why,
    )


def to_result(
    scored: Scored,
    *,
    site_id: str,
    seed: int,
    days: float,
    start: datetime,
    end: datetime,
    events: int,
    wall_seconds: float,
    extra: Mapping[str, Any] | None = None,
) -> DrillResult:
    return DrillResult(
        site_id=site_id,
        seed=seed,
        days=days,
        start=start,
        end=end,
        scenarios=scored.scenarios,
        false_incidents=scored.false_incidents,
        events=events,
        wall_seconds=wall_seconds,
        extra={
            **(extra or {}),
            "nuisances": scored.nuisances,
            "false_causes": scored.false_causes,
        },
    )
