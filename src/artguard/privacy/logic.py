"""The logic behind one automated decision, assembled from what is stored.

For an access decision (a stored ``access_decision`` event): the inputs (credential, reader,
factors, direction, threat level, person, room), the outcome, risk and reasons, and for each
rule that spoke what it checks and the settings it used; the risk thresholds; the sealed audit
entry that recorded it. For an alert (a row of ``alerts``): the rule, what it checks, its
inputs (the measured evidence and the source events), the settings and thresholds it used,
the models (name and version from ``models/MANIFEST.json``) for model-based rules, and why it
joined its incident.

Settings are read from the site file as loaded now. ``site_file`` says whether that is the file
that was loaded when the decision was taken (by the sha256 the ``config.loaded`` audit entries
record), so an auditor knows when today's values may differ from the ones used then.
"""

from __future__ import annotations

import dataclasses
import importlib
import json
import math
import os
from collections.abc import Mapping
from datetime import datetime, timedelta
from enum import Enum
from functools import cache
from typing import Any

from pydantic import BaseModel
from sqlalchemy import Connection, Engine, select

from artguard.privacy import logic_registry as registry
from artguard.privacy.logic_registry import RuleInfo
from artguard.site import Site
from artguard.site.durations import format_duration
from artguard.store.tables import alerts, audit_log, events, incidents

MAX_SOURCE_EVENTS = 20


class DecisionNotFound(LookupError):
    """No stored automated decision has this id."""


@dataclasses.dataclass(frozen=True)
class Context:
    """The site entities a decision was about, for ``device:``/``room:``/... references."""

    device_id: str | None = None
    room_id: str | None = None
    artwork_id: str | None = None
    person_id: str | None = None


def explain_decision(engine: Engine, site: Site, decision_id: str) -> dict[str, Any]:
    """The logic of the alert or access decision with this id (:class:`DecisionNotFound`)."""
    with engine.connect() as conn:
        row = conn.execute(select(alerts).where(alerts.c.id == decision_id)).first()
        if row is not None:
            return _alert_logic(conn, site, dict(row._mapping))
        stored = conn.execute(
            select(events.c.kind, events.c.payload).where(events.c.id == decision_id)
        ).first()
        if stored is None:
            raise DecisionNotFound(f"no stored alert or access decision with id {decision_id!r}")
        if stored.kind != "access_decision":
            raise DecisionNotFound(
                f"{decision_id!r} is a stored {stored.kind} event, not an automated decision "
                "(ask with the id of the access_decision event or of the alert)"
            )
        return _access_logic(conn, site, json.loads(stored.payload))


# -- access decisions ------------------------------------------------------------------------


def _access_logic(conn: Connection, site: Site, payload: dict[str, Any]) -> dict[str, Any]:
    context = Context(
        device_id=payload.get("device_id"),
        room_id=payload.get("room_id"),
        person_id=payload.get("person_id"),
    )
    rules = []
    for rule_id in payload.get("rules", []):
        found = registry.access_rule(rule_id)
        if found is None:
            rules.append({"rule": rule_id, "checks": None, "note": "no description registered"})
            continue
        pattern, info = found
        rules.append({"rule": rule_id, "pattern": pattern, **_describe(info, site, context)})
    decided_at = payload["site_time"]
    return {
        "id": payload["id"],
        "type": "access_decision",
        "decided_at": decided_at,
        "outcome": payload["outcome"],
        "risk": payload["risk"],
        "required": payload.get("required", []),
        "reasons": payload["reasons"],
        "inputs": {
            "credential_id": payload["credential_id"],
            "reader_id": payload["device_id"],
            "factors": payload.get("factors", []),
            "direction": payload.get("direction"),
            "threat_level": payload.get("threat_level"),
            "person_id": payload.get("person_id"),
            "door_id": payload.get("door_id"),
            "room_id": payload.get("room_id"),
        },
        "rules": rules,
        "thresholds": _resolve_all(
            (f"{registry.ACCESS}.step_up_risk", f"{registry.ACCESS}.deny_risk"), site, context
        ),
        "audit": _access_audit(conn, payload),
        "site_file": _site_file(conn, _parse_time(decided_at)),
        "sources": _SOURCES,
    }


def _access_audit(conn: Connection, payload: dict[str, Any]) -> dict[str, Any] | None:
    """The audit entry sealed with the decision (same credential, outcome and time)."""
    rows = conn.execute(
        select(audit_log.c.seq, audit_log.c.hash, audit_log.c.actor, audit_log.c.details)
        .where(
            audit_log.c.action == f"access.{payload['outcome']}",
            audit_log.c.subject == payload["credential_id"],
        )
        .order_by(audit_log.c.seq.desc())
        .limit(500)
    ).all()
    decided = _parse_time(payload["site_time"])
    for row in rows:
        at = json.loads(row.details).get("at")
        if at is not None and decided is not None and _parse_time(at) == decided:
            return {"seq": row.seq, "hash": row.hash, "actor": row.actor}
    return None


# -- alerts ----------------------------------------------------------------------------------


def _alert_logic(conn: Connection, site: Site, row: dict[str, Any]) -> dict[str, Any]:
    context = Context(
        device_id=row["device_id"], room_id=row["room_id"], artwork_id=row["artwork_id"]
    )
    info = registry.alert_rule(row["rule"])
    rule: dict[str, Any] = {"rule": row["rule"]}
    if info is None:
        rule |= {"checks": None, "note": "no description registered"}
    else:
        rule |= _describe(info, site, context)
    source_ids = list(row["source_event_ids"] or [])
    sources = []
    if source_ids:
        stored = conn.execute(
            select(events.c.payload).where(events.c.id.in_(source_ids[:MAX_SOURCE_EVENTS]))
        ).scalars()
        sources = [json.loads(payload) for payload in stored]
    incident = None
    if row["incident_id"] is not None:
        found = conn.execute(
            select(incidents.c.id, incidents.c.contributions).where(
                incidents.c.id == row["incident_id"]
            )
        ).first()
        contribution = None
        if found is not None:
            contribution = next(
                (c for c in found.contributions or [] if c.get("alert_id") == row["id"]), None
            )
        incident = {
            "id": row["incident_id"],
            "joined_because": row["correlation"],
            "score_contribution": contribution,
        }
    return {
        "id": row["id"],
        "type": "alert",
        "decided_at": row["raised_time"].isoformat(),
        "severity": row["severity"],
        "title": row["title"],
        "reasons": row["reasons"],
        "inputs": {
            "device_id": row["device_id"],
            "room_id": row["room_id"],
            "artwork_id": row["artwork_id"],
            "evidence": row["evidence"],
            "first_event_time": row["first_event_time"].isoformat(),
            "repeat_count": row["repeat_count"],
            "source_event_ids": source_ids,
            "source_events": sources,
        },
        "rule": rule,
        "incident": incident,
        "site_file": _site_file(conn, row["raised_time"]),
        "sources": _SOURCES,
    }


_SOURCES = (
    "The decision, its inputs and reasons are as stored when it was taken; rule descriptions "
    "come from artguard.privacy.logic_registry; settings are the site file's current values "
    "(see site_file); models are named with their version from models/MANIFEST.json."
)


# -- rule descriptions -----------------------------------------------------------------------


def _describe(info: RuleInfo, site: Site, context: Context) -> dict[str, Any]:
    return {
        "checks": info.checks,
        "settings": _resolve_all(info.settings, site, context),
        "models": [model_info(name) for name in info.models],
    }


def _resolve_all(refs: tuple[str, ...], site: Site, context: Context) -> list[dict[str, Any]]:
    resolved = []
    for ref in refs:
        try:
            resolved.append({"ref": ref, "value": resolve(ref, site, context)})
        except LookupError as exc:
            resolved.append({"ref": ref, "value": None, "unavailable": str(exc)})
    return resolved


def resolve(ref: str, site: Site, context: Context = Context()) -> Any:
    """The current value a setting reference names (see :mod:`.logic_registry`), as JSON data.

    Raises ``LookupError`` naming what is missing (an entity not in the site file, a field the
    entity does not have, an unknown constant).
    """
    source, _, path = ref.partition(":")
    if not path:
        raise LookupError(f"setting reference {ref!r} has no path")
    if source == "site":
        return to_json(_walk(site, path, "the site file"))
    if source == "code":
        module_name, _, name = path.rpartition(".")
        try:
            module = importlib.import_module(module_name)
        except ImportError as exc:
            raise LookupError(f"{ref}: cannot import {module_name} ({exc})") from None
        if not hasattr(module, name):
            raise LookupError(f"{ref}: {module_name} has no {name}")
        return to_json(getattr(module, name))
    entity, what = _entity(source, site, context)
    return to_json(_walk(entity, path, what))


def _entity(source: str, site: Site, context: Context) -> tuple[Any, str]:
    lookups: dict[str, tuple[str | None, list[str]]] = {
        "device": (context.device_id, ["door", "sensor", "camera"]),
        "room": (context.room_id, ["room"]),
        "artwork": (context.artwork_id, ["artwork"]),
        "person": (context.person_id, ["person"]),
    }
    if source not in lookups:
        raise LookupError(f"unknown setting source {source!r}")
    entity_id, kinds = lookups[source]
    if entity_id is None:
        raise LookupError(f"the decision names no {source}")
    for kind in kinds:
        try:
            return getattr(site, kind)(entity_id), f"{kind} {entity_id}"
        except KeyError:
            continue
    if source == "device":
        door = site.door_for_reader(entity_id)
        if door is not None:
            return door, f"door {door.id} (of reader {entity_id})"
    raise LookupError(f"{source} {entity_id!r} is not in the site file (any more)")


def _walk(value: Any, path: str, what: str) -> Any:
    for part in path.split("."):
        if isinstance(value, Mapping) and part in value:
            value = value[part]
        elif hasattr(value, part) and not part.startswith("_"):
            value = getattr(value, part)
        else:
            raise LookupError(f"{what} has no {path!r} (stops at {part!r})")
    return value


def to_json(value: Any) -> Any:
    """Settings and constants as JSON data: durations spelled as in the site file."""
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    if isinstance(value, type) and dataclasses.is_dataclass(value):
        return to_json(dataclasses.asdict(value()))
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return to_json(dataclasses.asdict(value))
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)  # "inf": JSON has no infinity
    if isinstance(value, timedelta):
        return format_duration(value)
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, Mapping):
        return {str(k): to_json(v) for k, v in value.items()}
    if isinstance(value, set | frozenset):
        return sorted(to_json(v) for v in value)
    if isinstance(value, list | tuple):
        return [to_json(v) for v in value]
    return value


# -- models ----------------------------------------------------------------------------------


MODEL_FAMILIES = {
    "detector": "person detector",
    "pose": "pose keypoints",
    "face_detector": "face detector (blurring)",
    "face_verifier": "face verification",
}


@cache
def model_info(family: str) -> dict[str, Any]:
    """Name and version of the model a family uses on this installation."""
    if family not in MODEL_FAMILIES:
        raise LookupError(f"unknown model family {family!r}; known: {sorted(MODEL_FAMILIES)}")
    role = MODEL_FAMILIES[family]
    if family == "face_verifier":
        return _face_verifier(role)
    name = {"pose": "movenet-multipose", "face_detector": "blazeface"}.get(family)
    if family == "detector":
        from artguard.vision.detectors import DEFAULT_DETECTOR

        name = os.environ.get("ARTGUARD_DETECTOR", DEFAULT_DETECTOR)
    assert name is not None
    from artguard.vision.models import ModelFileError, model_entry, model_version

    try:
        entry = model_entry(name)
        return {
            "family": family,
            "role": role,
            "name": name,
            "version": model_version(name),
            "description": entry.get("description"),
            "source": entry.get("source", {}).get("package"),
            "upstream": entry.get("source", {}).get("upstream"),
        }
    except ModelFileError as exc:
        return {"family": family, "role": role, "name": name, "version": None, "error": str(exc)}


def _face_verifier(role: str) -> dict[str, Any]:
    from importlib.metadata import PackageNotFoundError, version

    from artguard.biometrics.templates import MODEL

    versions = {}
    for package in ("face_recognition_models", "dlib-bin"):
        try:
            versions[package] = version(package)
        except PackageNotFoundError:
            versions[package] = None
    weights = versions["face_recognition_models"]
    return {
        "family": "face_verifier",
        "role": role,
        "name": MODEL,
        "version": f"{MODEL}@face_recognition_models-{weights}" if weights else None,
        "runtime": versions,
    }


# -- site file -------------------------------------------------------------------------------


def _site_file(conn: Connection, decided_at: datetime | None) -> dict[str, Any]:
    """Which site file was loaded when the decision was taken, and whether it still is."""

    def loaded(before: datetime | None) -> str | None:
        stmt = select(audit_log.c.details).where(audit_log.c.action == "config.loaded")
        if before is not None:
            stmt = stmt.where(audit_log.c.ts <= before)
        details = conn.execute(stmt.order_by(audit_log.c.seq.desc()).limit(1)).scalar()
        return json.loads(details).get("sha256") if details else None

    then, now = loaded(decided_at), loaded(None)
    if then is None or now is None:
        status = "unknown: no site-file load recorded in the audit log for that time"
    elif then == now:
        status = "same site file as now: the settings shown are the ones used"
    else:
        status = "the site file changed since: the settings shown are today's"
    return {"sha256_then": then, "sha256_now": now, "status": status}


def _parse_time(text: Any) -> datetime | None:
    if isinstance(text, datetime):
        return text
    try:
        return datetime.fromisoformat(str(text))
    except ValueError:
        return None
