"""Data-subject erasure: remove or pseudonymise what may go, keep what must stay, record it.

What happens to each kind (``docs/privacy.md`` gives the reasons):

* **face template** (and its consent record): overwritten and deleted (``biometric.erase``);
* **stored events** naming the person (access attempts and decisions, notifications, ...):
  pseudonymised in place. The person id and each credential id become random pseudonyms
  (``erased-<hex>``, one per identifier, consistent within this erasure but not derivable from
  the originals), the full name becomes ``[erased]``. Times, doors, outcomes and reasons stay,
  so security statistics and the door history keep working;
* **alerts and incidents** whose text names them: pseudonymised the same way;
* **guard location**: deleted;
* **audit log entries**: kept unchanged. The log is hash-chained evidence of who did what
  (accountability, and legal claims); editing it would break the chain. Its entries go when
  ``retention.audit`` is reached;
* **site file entry**: the site file is the operator's configuration and is not rewritten
  by artguard; the report says when the person is still listed so it can be removed.

The erasure is written to the audit log as ``privacy.erase`` with the reason and the counts,
never the erased values or the pseudonyms (which would link the pseudonymised records back).
"""

from __future__ import annotations

import json
import secrets
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Engine, delete, update

from artguard.events import event_to_json, parse_event_json, utcnow
from artguard.privacy.matching import Matcher
from artguard.privacy.subjects import (
    ALERT_TEXT_COLUMNS,
    INCIDENT_TEXT_COLUMNS,
    Subject,
    SubjectError,
    alerts_naming,
    audit_naming,
    events_naming,
    incidents_naming,
)
from artguard.site import Site
from artguard.store.audit import AuditLog
from artguard.store.db import writing
from artguard.store.tables import alerts, events, guard_locations, incidents

if TYPE_CHECKING:
    from artguard.biometrics.templates import TemplateStore

ERASE_ACTION = "privacy.erase"
ERASE_FAILED_ACTION = "privacy.erase_failed"
NAME_REPLACEMENT = "[erased]"


@dataclass(frozen=True)
class ErasureReport:
    person_id: str
    template_erased: bool
    template_status: str
    events_pseudonymised: int
    alerts_pseudonymised: int
    incidents_pseudonymised: int
    guard_location_deleted: bool
    audit_entries_kept: int
    still_in_site_file: bool
    remaining: list[str] = field(default_factory=list)
    """What the operator still has to do (e.g. remove the site-file entry)."""

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def new_pseudonym() -> str:
    """A random stand-in for an identifier (a valid event id, so events still parse)."""
    return f"erased-{secrets.token_hex(6)}"


def erase_subject(
    engine: Engine,
    site: Site,
    person_id: str,
    actor: str,
    reason: str,
    templates: TemplateStore | None = None,
    extra_credentials: tuple[str, ...] = (),
    now: datetime | None = None,
) -> ErasureReport:
    """Erase what may be erased about ``person_id`` (see the module docstring)."""
    if not actor.strip():
        raise SubjectError("actor must name who carries out the erasure")
    if not reason.strip():
        raise SubjectError("reason must say why (e.g. 'data-subject request 2026-014')")
    now = now or utcnow()
    subject = Subject.from_site(site, person_id, extra_credentials)
    pseudonyms = {identifier: new_pseudonym() for identifier in subject.identifiers()}
    matcher = subject.matcher(pseudonyms, NAME_REPLACEMENT)
    log = AuditLog(engine)
    try:
        with writing(engine) as conn:
            counts = _pseudonymise(conn, matcher)
            location = conn.execute(
                delete(guard_locations).where(guard_locations.c.person_id == subject.person_id)
            ).rowcount
        with engine.connect() as conn:
            kept = sum(1 for _ in audit_naming(conn, subject.matcher()))
        template_erased, template_status = _erase_template(templates, subject, actor, reason)
    except Exception as exc:
        log.append(
            actor,
            ERASE_FAILED_ACTION,
            subject.person_id,
            {"reason": reason, "error": f"{type(exc).__name__}: {exc}"[:500]},
            at=now,
        )
        raise
    remaining = []
    if subject.in_site:
        remaining.append(
            f"remove people[{subject.person_id}] from the site file and reload, or the "
            "person's name and credentials stay in the configuration"
        )
    if template_status.startswith("not checked"):
        remaining.append("configure the template key and erase again to remove a face template")
    report = ErasureReport(
        person_id=subject.person_id,
        template_erased=template_erased,
        template_status=template_status,
        events_pseudonymised=counts["events"],
        alerts_pseudonymised=counts["alerts"],
        incidents_pseudonymised=counts["incidents"],
        guard_location_deleted=bool(location),
        audit_entries_kept=kept,
        still_in_site_file=subject.in_site,
        remaining=remaining,
    )
    details = {k: v for k, v in report.as_dict().items() if k not in {"person_id", "remaining"}}
    log.append(actor, ERASE_ACTION, subject.person_id, {"reason": reason, **details}, at=now)
    return report


def _pseudonymise(conn: Connection, matcher: Matcher) -> dict[str, int]:
    """Rewrite every event, alert and incident naming the subject; counts per table."""
    changed_events = []
    for stored in events_naming(conn, matcher):
        replaced = matcher.replace(stored.payload)
        # Through the event model, so what is stored is still a valid event of its kind.
        payload = event_to_json(parse_event_json(json.dumps(replaced)))
        changed_events.append((stored.seq, payload))
    for seq, payload in changed_events:
        conn.execute(update(events).where(events.c.seq == seq).values(payload=payload))
    alert_rows = alerts_naming(conn, matcher)
    for row in alert_rows:
        values = {name: matcher.replace(row[name]) for name in ALERT_TEXT_COLUMNS}
        conn.execute(update(alerts).where(alerts.c.id == row["id"]).values(**values))
    incident_rows = incidents_naming(conn, matcher)
    for row in incident_rows:
        values = {name: matcher.replace(row[name]) for name in INCIDENT_TEXT_COLUMNS}
        conn.execute(update(incidents).where(incidents.c.id == row["id"]).values(**values))
    return {
        "events": len(changed_events),
        "alerts": len(alert_rows),
        "incidents": len(incident_rows),
    }


def _erase_template(
    templates: TemplateStore | None, subject: Subject, actor: str, reason: str
) -> tuple[bool, str]:
    if templates is None:
        return False, "not checked: no template key configured"
    existed = templates.erase(subject.person_id, actor, reason=f"data-subject erasure: {reason}")
    return existed, "erased" if existed else "none enrolled"
