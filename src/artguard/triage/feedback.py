"""Operator feedback: verdicts on closed incidents, learned per rule, device and time of day.

When an incident is closed, every alert that counted in it (not suppressed) leaves one verdict
on its key (:func:`.adjustment.feedback_key`): ``false_alarm`` when the incident was marked a
false alarm (with the operator's reason), ``confirmed`` when it was resolved. The active
verdicts on a key give its :class:`~.adjustment.Adjustment`, which scoring applies to later
alerts with the same key.

Reversible: a supervisor can *revert* a key (or one incident's verdict on it); the verdicts
stay in ``feedback_verdicts``, marked inactive with who, when and why, and can be *re-applied*
the same way. Every verdict, revert and re-apply is in the audit log with the factor before
and after.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, select, update

from artguard.events import utcnow
from artguard.site import Site
from artguard.store.audit import AuditLog
from artguard.store.db import writing
from artguard.store.tables import feedback_verdicts as fv
from artguard.triage import repository as repo
from artguard.triage.adjustment import (
    BAND_WORDS,
    TIER1_CATEGORIES,
    Adjustment,
    feedback_key,
    split_key,
    time_band,
)
from artguard.triage.scoring import contributions
from artguard.triage.signals import AlertFacts

VERDICT_OF_STATUS = {"false_alarm": "false_alarm", "resolved": "confirmed"}
"""Closing status -> the verdict it is. (Acknowledging says nothing about the cause.)"""
EXAMPLES = 3


class FeedbackNotFound(LookupError):
    """No verdict was ever recorded on that key (or for that incident on it)."""


class FeedbackError(ValueError):
    """The request is malformed (bad key, no actor or reason)."""


class NothingToChange(FeedbackError):
    """Every verdict the request names is already reverted (or already active)."""


@dataclass(frozen=True)
class RecordedVerdict:
    key: str
    verdict: str
    factor_before: float
    factor_after: float


class Feedback:
    """Records verdicts, serves adjustments to scoring, lists, reverts and re-applies them."""

    def __init__(self, engine: Engine, audit: AuditLog, site: Site | None = None) -> None:
        self._engine = engine
        self._audit = audit
        self._site = site

    # -- used by the IncidentManager inside its write transaction ---------------------------

    def adjustments(self, conn: Connection, keys: Iterable[str]) -> dict[str, Adjustment]:
        """The adjustments of ``keys`` that have active verdicts."""
        wanted = sorted(set(keys))
        if not wanted:
            return {}
        rows = conn.execute(
            select(fv.c.key, fv.c.verdict, fv.c.note, fv.c.alert_time, fv.c.id)
            .where(fv.c.key.in_(wanted), fv.c.active.is_(True))
            .order_by(fv.c.alert_time, fv.c.id)
        )
        return _aggregate(rows)

    def adjustments_for(self, conn: Connection, facts: list[AlertFacts]) -> dict[str, Adjustment]:
        """The adjustments that apply to these alerts."""
        return self.adjustments(conn, (feedback_key(f, self._site) for f in facts))

    def record(
        self,
        conn: Connection,
        incident_id: str,
        status: str,
        note: str | None,
        actor: str,
        now: datetime | None = None,
    ) -> list[RecordedVerdict]:
        """Leave the verdict of closing ``incident_id`` as ``status`` on the key of every
        alert that counted in it (one per key). Returns what changed, for the audit log."""
        verdict = VERDICT_OF_STATUS.get(status)
        if verdict is None:
            return []
        now = now or utcnow()
        facts = repo.incident_alert_facts(conn, incident_id)
        counted = {c.alert_id: c for c in contributions(facts, self._site) if not c.suppressed}
        rows: dict[str, dict[str, Any]] = {}
        for f in sorted(facts, key=lambda f: (f.time, f.alert_id)):
            item = counted.get(f.alert_id)
            key = feedback_key(f, self._site)
            if item is None or key in rows:
                continue
            rows[key] = {
                "key": key,
                "rule": f.rule[:64],
                "device_id": f.device_id,
                "band": time_band(f.time, self._site),
                "category": item.category,
                "label": item.label[:100],
                "incident_id": incident_id,
                "alert_id": f.alert_id,
                "alert_time": f.time,
                "verdict": verdict,
                "note": note,
                "actor": actor,
                "recorded_time": now,
                "active": True,
            }
        if not rows:
            return []
        before = self.adjustments(conn, rows)
        conn.execute(fv.insert(), list(rows.values()))
        after = self.adjustments(conn, rows)
        return [
            RecordedVerdict(key, verdict, _factor(before.get(key)), _factor(after.get(key)))
            for key in rows
        ]

    def audit_recorded(self, incident_id: str, actor: str, recorded: list[RecordedVerdict]) -> None:
        if not recorded:
            return
        self._audit.append(
            actor,
            "feedback.recorded",
            incident_id,
            {
                "verdict": recorded[0].verdict,
                "keys": [
                    {
                        "key": r.key,
                        "factor_before": round(r.factor_before, 3),
                        "factor_after": round(r.factor_after, 3),
                    }
                    for r in recorded
                ],
            },
        )

    # -- operators: list, revert, re-apply ---------------------------------------------------

    def summaries(self, key: str | None = None) -> list[dict[str, Any]]:
        """Every key with verdicts (or just ``key``), most false alarms first."""
        with self._engine.connect() as conn:
            stmt = select(fv).order_by(fv.c.alert_time, fv.c.id)
            if key is not None:
                stmt = stmt.where(fv.c.key == key)
            by_key: dict[str, list[Any]] = defaultdict(list)
            for row in conn.execute(stmt):
                by_key[row.key].append(row)
        found = [self._summary(k, rows) for k, rows in by_key.items()]
        return sorted(found, key=lambda s: (s["factor"], -s["false_alarms"], s["key"]))

    def get(self, key: str) -> dict[str, Any]:
        _checked_key(key)
        found = self.summaries(key)
        if not found:
            raise FeedbackNotFound(f"no verdicts on feedback key {key!r}")
        return found[0]

    def revert(
        self, key: str, actor: str, reason: str, incident_id: str | None = None
    ) -> dict[str, Any]:
        """Undo the effect of the active verdicts on ``key`` (or only ``incident_id``'s)."""
        return self._set_active(key, actor, reason, incident_id, active=False)

    def reapply(
        self, key: str, actor: str, reason: str, incident_id: str | None = None
    ) -> dict[str, Any]:
        """Make reverted verdicts on ``key`` (or only ``incident_id``'s) count again."""
        return self._set_active(key, actor, reason, incident_id, active=True)

    def _set_active(
        self, key: str, actor: str, reason: str, incident_id: str | None, *, active: bool
    ) -> dict[str, Any]:
        _checked_key(key)
        verb = "re-apply" if active else "revert"
        if not actor.strip():
            raise FeedbackError(f"{verb} {key}: say who is acting (actor)")
        if not reason.strip():
            raise FeedbackError(f"{verb} {key}: give a reason")
        now = utcnow()
        where = [fv.c.key == key]
        if incident_id is not None:
            where.append(fv.c.incident_id == incident_id)
        with writing(self._engine) as conn:
            rows = list(conn.execute(select(fv.c.id, fv.c.active).where(*where)))
            if not rows:
                whose = f" from incident {incident_id!r}" if incident_id else ""
                raise FeedbackNotFound(f"no verdicts{whose} on feedback key {key!r}")
            ids = [r.id for r in rows if r.active != active]
            if not ids:
                state = "active" if active else "reverted"
                raise NothingToChange(
                    f"nothing to {verb} on {key}: its {len(rows)} verdict(s) are already {state}"
                )
            before = self.adjustments(conn, [key]).get(key)
            conn.execute(
                update(fv)
                .where(fv.c.id.in_(ids))
                .values(active=active, changed_time=now, changed_by=actor, change_reason=reason)
            )
            after = self.adjustments(conn, [key]).get(key)
        self._audit.append(
            actor,
            "feedback.reapplied" if active else "feedback.reverted",
            key,
            {
                "reason": reason,
                "incident_id": incident_id,
                "verdict_ids": ids,
                "factor_before": round(_factor(before), 3),
                "factor_after": round(_factor(after), 3),
            },
        )
        return self.get(key)

    def _summary(self, key: str, rows: list[Any]) -> dict[str, Any]:
        rule, device, band = split_key(key)
        live = [r for r in rows if r.active]
        adjustment = _aggregate((r.key, r.verdict, r.note, r.alert_time, r.id) for r in live).get(
            key, Adjustment(key, 0, 0)
        )
        category, label = rows[-1].category, rows[-1].label
        factor, floored = adjustment.applied(category)
        changed = [r for r in rows if r.changed_time is not None]
        last_change = max(changed, key=lambda r: (r.changed_time, r.id)) if changed else None
        return {
            "key": key,
            "rule": rule,
            "device_id": device,
            "band": band,
            "band_words": BAND_WORDS[band],
            "label": label,
            "category": category,
            "tier1": category in TIER1_CATEGORIES,
            "factor": round(factor, 3),
            "floored": floored,
            "false_alarms": adjustment.false_alarms,
            "confirmed": adjustment.confirmed,
            "reverted": len(rows) - len(live),
            "since": min(r.recorded_time for r in live).isoformat() if live else None,
            "why": adjustment.reason(label, category, self._site) if live else None,
            "examples": [_example(r) for r in reversed(live[-EXAMPLES:])],
            "last_change": None
            if last_change is None
            else {
                "time": last_change.changed_time.isoformat(),
                "by": last_change.changed_by,
                "reason": last_change.change_reason,
                "action": "reapplied" if last_change.active else "reverted",
            },
        }


def _aggregate(rows: Iterable[Any]) -> dict[str, Adjustment]:
    """Adjustments from (key, verdict, note, alert_time, id) rows in time order."""
    counts: dict[str, dict[str, int]] = defaultdict(lambda: {"false_alarm": 0, "confirmed": 0})
    last: dict[tuple[str, str], tuple[str | None, datetime]] = {}
    for key, verdict, note, alert_time, _id in rows:
        counts[key][verdict] = counts[key].get(verdict, 0) + 1
        last[(key, verdict)] = (note, alert_time)
    found = {}
    for key, c in counts.items():
        fa, ok = c["false_alarm"], c["confirmed"]
        note, when = last.get((key, "false_alarm" if fa >= ok else "confirmed"), (None, None))
        found[key] = Adjustment(key, fa, ok, note, when)
    return found


def _factor(adjustment: Adjustment | None) -> float:
    return 1.0 if adjustment is None else adjustment.factor


def _checked_key(key: str) -> None:
    try:
        split_key(key)
    except ValueError as exc:
        raise FeedbackError(str(exc)) from None


def _example(row: Any) -> dict[str, Any]:
    return {
        "incident_id": row.incident_id,
        "verdict": row.verdict,
        "note": row.note,
        "actor": row.actor,
        "alert_time": row.alert_time.isoformat(),
    }
