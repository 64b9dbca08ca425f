"""Data-subject access: everything artguard holds about one person, as one JSON document.

What goes in: the person's site-file entry and credentials; their face template's metadata and
consent record (the descriptors only when a decrypted export is asked for explicitly); every
stored event naming them (access attempts and decisions, notifications, others); alerts and
incidents whose text names them or their credentials; their last known location as a guard;
the audit entries about them. :func:`write_zip` packs the JSON with a README explaining each
section. Producing an export is itself audited (``privacy.export``), without the data.
"""

from __future__ import annotations

import json
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

from sqlalchemy import Engine

from artguard.events import utcnow
from artguard.privacy.subjects import (
    OTHER_PERSON,
    Subject,
    alerts_naming,
    audit_naming,
    events_naming,
    guard_location_of,
    incidents_naming,
    jsonable,
)
from artguard.site import Site
from artguard.store.audit import AuditLog

if TYPE_CHECKING:
    from artguard.biometrics.templates import TemplateStore

FORMAT = "artguard-subject-export/1"
EXPORT_ACTION = "privacy.export"
ACCESS_KINDS = {"access_attempt": "attempts", "access_decision": "decisions"}

README = """artguard data-subject export
============================

export.json holds everything this artguard installation stored about one person when the
export was made ({generated_at}, site {site_id}).

subject          the person's entry in the site file (name, role, rooms, schedule, credentials);
                 null when the site file no longer lists them
face_template    face enrolment: when, until when it is kept, the model, how many photos and
                 the consent record; null when no template is enrolled or templates could not
                 be read ("face_template_status" says which). The biometric descriptors
                 themselves are only included when a decrypted export was asked for.
access           every access attempt at a reader and every access decision artguard took for
                 the person's credentials: time, door, outcome, risk, reasons, rules
notifications    messages addressed to or naming the person (e.g. guard paging)
other_events     any other stored event that names the person or a credential
alerts           alerts whose title, reasons or evidence name the person or a credential
incidents        incidents whose text, reasons, escalations or assignments name them
guard_location   the last room they were seen in, when they are a guard
audit_entries    entries of the tamper-evident audit log about them or naming them
                 (other people named in any section appear as "[another person]")
counts           how many of each
notes            what is not in the export and why

Retention limits (how long each kind is kept) are in the site's record of processing:
`artguard privacy ropa --site SITE`.
"""


@dataclass(frozen=True)
class ExportOptions:
    include_descriptors: bool = False
    """Put the decrypted face descriptors in the export (explicit request only)."""
    extra_credentials: Sequence[str] = ()
    """Credential ids to search for besides the site file's (for people who left)."""


def export_subject(
    engine: Engine,
    site: Site,
    person_id: str,
    actor: str,
    templates: TemplateStore | None = None,
    options: ExportOptions | None = None,
    now: datetime | None = None,
) -> dict[str, Any]:
    """Everything about ``person_id`` as JSON data; the export is recorded in the audit log."""
    options = options or ExportOptions()
    now = now or utcnow()
    subject = Subject.from_site(site, person_id, options.extra_credentials)
    matcher = subject.matcher()
    access: dict[str, list[dict[str, Any]]] = {"attempts": [], "decisions": []}
    notifications: list[dict[str, Any]] = []
    other: list[dict[str, Any]] = []
    with engine.connect() as conn:
        for stored in events_naming(conn, matcher):
            if stored.kind in ACCESS_KINDS:
                access[ACCESS_KINDS[stored.kind]].append(stored.payload)
            elif stored.kind == "notification":
                notifications.append(stored.payload)
            else:
                other.append(stored.payload)
        found_alerts = [jsonable(row) for row in alerts_naming(conn, matcher)]
        found_incidents = [jsonable(row) for row in incidents_naming(conn, matcher)]
        audit_entries = list(audit_naming(conn, matcher))
        guard_location = guard_location_of(conn, subject.person_id)
    others = subject.others_matcher(site)
    access = {key: others.replace(found) for key, found in access.items()}
    notifications, other = others.replace(notifications), others.replace(other)
    found_alerts, found_incidents = others.replace(found_alerts), others.replace(found_incidents)
    audit_entries = others.replace(audit_entries)
    template, template_status = _template(templates, subject.person_id, options)
    notes = [
        "Camera snapshots and clips are not linked to identities (faces are blurred unless "
        "the site keeps originals) and are not searched by person.",
        "Visitor watch flags use anonymous visitor ids and are never linked to a person.",
        f"Other people named in these records (their names, person and credential ids) are "
        f"replaced by {OTHER_PERSON!r}.",
    ]
    if not subject.in_site:
        notes.append(
            "The site file no longer lists this person; only the credential ids given with "
            "the request were searched for."
        )
    document = {
        "format": FORMAT,
        "generated_at": now.isoformat(),
        "site": {"id": site.id, "name": site.name},
        "person_id": subject.person_id,
        "subject": subject.entry,
        "credential_ids": list(subject.credential_ids),
        "face_template": template,
        "face_template_status": template_status,
        "access": access,
        "notifications": notifications,
        "other_events": other,
        "alerts": found_alerts,
        "incidents": found_incidents,
        "guard_location": guard_location,
        "audit_entries": audit_entries,
        "notes": notes,
    }
    document["counts"] = {
        "access_attempts": len(access["attempts"]),
        "access_decisions": len(access["decisions"]),
        "notifications": len(notifications),
        "other_events": len(other),
        "alerts": len(found_alerts),
        "incidents": len(found_incidents),
        "audit_entries": len(audit_entries),
        "face_template": int(template is not None),
    }
    AuditLog(engine).append(
        actor,
        EXPORT_ACTION,
        subject.person_id,
        {"counts": document["counts"], "descriptors_included": options.include_descriptors},
        at=now,
    )
    return document


def _template(
    templates: TemplateStore | None, person_id: str, options: ExportOptions
) -> tuple[dict[str, Any] | None, str]:
    """The template's metadata (and descriptors only on request) and a status word."""
    if templates is None:
        return None, "not checked: no template key configured"
    from artguard.biometrics.templates import TemplateError

    try:
        template = templates.load(person_id)
    except TemplateError as exc:
        return None, f"unreadable: {exc}"
    if template is None:
        return None, "none enrolled"
    record: dict[str, Any] = {
        "enrolled_at": template.enrolled_at.isoformat(),
        "retain_until": template.retain_until.isoformat(),
        "model": template.model,
        "photos": len(template.descriptors),
        "consent": template.consent.as_dict(),
    }
    if options.include_descriptors:
        record["descriptors"] = template.descriptors.round(6).tolist()
    return record, "enrolled"


def write_json(document: dict[str, Any], path: Path) -> None:
    path.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def write_zip(document: dict[str, Any], target: Path | BinaryIO) -> None:
    """``export.json`` and ``README.txt`` in one zip file (a path or a binary stream)."""
    readme = README.format(generated_at=document["generated_at"], site_id=document["site"]["id"])
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("export.json", json.dumps(document, indent=2, ensure_ascii=False))
        archive.writestr("README.txt", readme)
