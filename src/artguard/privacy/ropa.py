"""The record of processing activities / DPIA summary, generated from the site file.

For each kind of data artguard collects: what it is, where it comes from on this site, why,
the legal basis (a placeholder the data-protection officer completes: only they can judge
it), how long it is kept (the site's ``retention``), who can see it (the roles holding the
permission that guards it, from :mod:`artguard.auth.roles`), and the safeguards in force. Then
the automated decisions and the logic behind them (:mod:`.logic_registry`), and the full
retention table with every ``retention`` key. Render as Markdown or HTML.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from artguard.auth.roles import PERMISSIONS, ROLE_PERMISSIONS
from artguard.events import utcnow
from artguard.privacy import logic_registry as registry
from artguard.privacy.logic import resolve
from artguard.site import Retention, Site
from artguard.site.durations import format_duration

LEGAL_BASIS_TODO = "TO COMPLETE by the data-protection officer"


@dataclass(frozen=True)
class DataKind:
    id: str
    name: str
    what: str
    purpose: str
    legal_basis: str
    retention: tuple[str, ...]
    """Keys of the site's ``retention`` that limit it (empty: see ``kept``)."""
    permissions: tuple[str, ...]
    """Permissions that let a platform user see it."""
    kept: str = ""
    """How long, in words, when no retention key covers it (or in addition)."""
    personal: str = "yes"


DATA_KINDS: tuple[DataKind, ...] = (
    DataKind(
        "video",
        "Live camera video",
        "Frames from the site's cameras, analysed in memory for people, poses and artworks.",
        "Detect intrusion, touching of artworks and after-hours presence as it happens.",
        f"{LEGAL_BASIS_TODO} (e.g. legitimate interest in protecting the collection)",
        (),
        (),
        kept="not stored: frames live a few seconds in memory (evidence.buffer_seconds); only "
        "alert snapshots and clips are kept",
    ),
    DataKind(
        "snapshots",
        "Alert snapshots and clips",
        "The frame (and optional short clip) each camera alert fired on, with overlays.",
        "Let operators verify an alert and keep evidence of incidents.",
        f"{LEGAL_BASIS_TODO} (e.g. legitimate interest; evidence for legal claims)",
        ("snapshots", "originals"),
        ("evidence.read", "evidence.read_original"),
    ),
    DataKind(
        "face_templates",
        "Face templates (biometric)",
        "128-D face descriptors of enrolled staff with their consent record; never photos.",
        "Verify the person at high-security doors (face step-up).",
        "Explicit consent (GDPR Art. 9(2)(a)), recorded per enrolment; "
        f"{LEGAL_BASIS_TODO} (confirm)",
        ("biometric_templates",),
        ("privacy.manage",),
        kept="and never beyond each enrolment's own consent period",
        personal="yes: special category (biometric)",
    ),
    DataKind(
        "access",
        "Badge events and access decisions",
        "Who presented which credential at which reader, when, and artguard's answer with its "
        "reasons and risk.",
        "Control who enters which room; investigate incidents; detect misuse of credentials.",
        f"{LEGAL_BASIS_TODO} (e.g. legitimate interest; employment contract)",
        ("access",),
        ("access.read", "audit.read", "privacy.manage"),
    ),
    DataKind(
        "staff",
        "Staff directory",
        "Names, roles, allowed rooms, shift schedules and credential ids of staff (site file).",
        "Decide door requests; page the nearest guard.",
        f"{LEGAL_BASIS_TODO} (e.g. employment contract)",
        (),
        ("site.read",),
        kept="as long as the site file lists the person",
    ),
    DataKind(
        "sensor_data",
        "Sensor readings and device events",
        "Door contacts, motion, vibration, glass-break, temperature and humidity readings.",
        "Detect intrusion and tampering; protect artworks' climate (conservation).",
        "Not personal data (environmental); motion near a person's workplace may be: "
        f"{LEGAL_BASIS_TODO}",
        ("events",),
        ("incidents.read",),
        personal="mostly no",
    ),
    DataKind(
        "visitor_tracks",
        "Visitor tracks and watch flags",
        "Anonymous visitor ids joining camera tracks by position and clothing colours (never a "
        "face or identity); flags for behaviour departing from normal; an aggregate model of "
        "normal behaviour (counts only).",
        "Help guards keep an eye on unusual behaviour near artworks; occupancy and heat maps.",
        f"{LEGAL_BASIS_TODO} (e.g. legitimate interest)",
        ("watch_flags",),
        ("visitors.read", "analytics.read"),
        kept="tracks live in memory while the visitor is in view; the aggregate model holds "
        "no per-visitor data",
        personal="pseudonymous",
    ),
    DataKind(
        "alerts_incidents",
        "Alerts and incidents",
        "What rules raised, with reasons and evidence values; incidents grouping them with "
        "operators' notes, escalations and who was paged.",
        "Respond to security events; keep a record of the response.",
        f"{LEGAL_BASIS_TODO} (e.g. legitimate interest; legal claims)",
        ("alerts", "incidents"),
        ("incidents.read",),
    ),
    DataKind(
        "audit",
        "Audit log",
        "Every configuration load, decision, alert, operator action, sign-in and erasure with "
        "its actor, hash-chained so tampering shows.",
        "Accountability (GDPR Art. 5(2)); evidence of who did what.",
        f"{LEGAL_BASIS_TODO} (e.g. legal obligation / legitimate interest)",
        ("audit",),
        ("audit.read",),
    ),
    DataKind(
        "platform_users",
        "Platform user accounts",
        "Usernames, roles, password hashes (argon2id), sessions and failed sign-ins of people "
        "who use artguard.",
        "Secure access to artguard itself.",
        f"{LEGAL_BASIS_TODO} (e.g. legitimate interest in information security)",
        (),
        ("users.manage",),
        kept="until the account is removed; sessions until they expire",
    ),
)


def roles_with(permissions: tuple[str, ...]) -> list[str]:
    """Roles holding any of ``permissions``."""
    return [r for r, held in ROLE_PERMISSIONS.items() if any(p in held for p in permissions)]


def _safeguards(site: Site) -> dict[str, list[str]]:
    blur = (
        "faces blurred in every stored snapshot and clip"
        if site.privacy.blur_faces
        else "FACE BLURRING IS OFF: stored snapshots and clips show faces"
    )
    originals = (
        f"unblurred originals kept for {format_duration(site.retention.originals)}, every "
        "viewing audited"
        if site.privacy.keep_originals
        else "no unblurred originals kept"
    )
    return {
        "video": ["not recorded", "analysed on the site's own server (no cloud)"],
        "snapshots": [blur, originals, "clips stored" if site.evidence.clip else "no clips"],
        "face_templates": [
            "AES-256-GCM encryption at rest; key outside the database",
            "file names are HMACs of the person id (a listing does not say who is enrolled)",
            "enrolment only with a recorded consent; erasure on request; audited",
        ],
        "access": ["sealed in the hash-chained audit log", "pseudonymised on erasure"],
        "staff": ["the site file is the operator's; not published by the API beyond site.read"],
        "sensor_data": ["device tokens authenticate every sender"],
        "visitor_tracks": [
            "no faces or identities, only positions and clothing colours",
            "the behaviour model stores counts, no per-visitor data",
        ],
        "alerts_incidents": ["pseudonymised on erasure where they name a person"],
        "audit": ["hash chain; verification: GET /api/audit/verify, artguard audit verify"],
        "platform_users": [
            "argon2id password hashes; only session token hashes stored",
            "sign-in throttling and lock-out",
        ],
    }


def _retention_value(site: Site, key: str) -> str:
    return format_duration(getattr(site.retention, key))


def build_ropa(site: Site, now: datetime | None = None) -> dict[str, Any]:
    """The record of processing for ``site`` as JSON data."""
    safeguards = _safeguards(site)
    kinds = []
    for kind in DATA_KINDS:
        retention = {key: _retention_value(site, key) for key in kind.retention}
        kinds.append(
            {
                "id": kind.id,
                "name": kind.name,
                "what": kind.what,
                "sources": _sources(site, kind.id),
                "purpose": kind.purpose,
                "legal_basis": kind.legal_basis,
                "personal_data": kind.personal,
                "retention": retention,
                "kept": kind.kept or None,
                "who_can_see": roles_with(kind.permissions),
                "permissions": {p: PERMISSIONS[p] for p in kind.permissions},
                "safeguards": safeguards[kind.id],
            }
        )
    return {
        "title": f"Record of processing: {site.name}",
        "site": {"id": site.id, "name": site.name, "timezone": str(site.tz)},
        "generated_at": (now or utcnow()).isoformat(),
        "controller": LEGAL_BASIS_TODO + ": controller name, contact, DPO contact",
        "data_kinds": kinds,
        "retention": [
            {
                "key": key,
                "kept": _retention_value(site, key),
                "what": field.description,
            }
            for key, field in Retention.model_fields.items()
        ],
        "automated_decisions": _decisions(site),
    }


def _sources(site: Site, kind: str) -> str:
    people = len(site.people)
    face_people = sum(any(c.type == "face" for c in p.credentials) for p in site.people)
    readers = sum(len(d.readers) + len(d.exit_readers) for d in site.doors)
    counts = {
        "video": f"{len(site.cameras)} camera(s)",
        "snapshots": f"{len(site.cameras)} camera(s)",
        "face_templates": f"{face_people} person(s) with a face credential",
        "access": f"{readers} reader(s) on {len(site.doors)} door(s), {people} person(s)",
        "staff": f"{people} person(s) in {len(site.roles)} role(s)",
        "sensor_data": f"{len(site.sensors)} sensor(s), {len(site.doors)} door(s)",
        "visitor_tracks": f"{len(site.cameras)} camera(s)",
        "alerts_incidents": "every rule below",
        "audit": "every part of artguard",
        "platform_users": "artguard's sign-in",
    }
    return counts[kind]


def _decisions(site: Site) -> list[dict[str, Any]]:
    def settings(refs: tuple[str, ...]) -> dict[str, Any]:
        # Only site-wide and code settings: per-device ones are shown per decision.
        out: dict[str, Any] = {}
        for ref in refs:
            if ref.startswith(("site:", "code:")):
                try:
                    out[ref] = resolve(ref, site)
                except LookupError as exc:
                    out[ref] = f"unavailable: {exc}"
            else:
                out[ref] = "per device / room / person: see GET /api/decisions/{id}/logic"
        return out

    access = [
        {
            "rule": pattern,
            "checks": info.checks,
            "settings": settings(info.settings),
            "models": list(info.models),
        }
        for pattern, info in registry.ACCESS_RULES.items()
    ]
    alerts = [
        {
            "rule": name,
            "checks": info.checks,
            "settings": settings(info.settings),
            "models": list(info.models),
        }
        for name, info in registry.ALERT_RULES.items()
    ]
    return [
        {
            "decision": "Door access (grant, deny or step-up)",
            "effect": "Opens or keeps a door shut; a person may be refused entry. Every "
            "decision is explained (reasons, rules) and audited; staff can ask security to "
            "review a refusal (human in the loop).",
            "rules": access,
        },
        {
            "decision": "Alerts",
            "effect": "Raises an alert for a human operator; no action on a person is taken "
            "automatically.",
            "rules": alerts,
        },
    ]


# -- rendering -------------------------------------------------------------------------------


def _settings_text(settings: dict[str, Any]) -> str:
    return "; ".join(f"{ref} = {value}" for ref, value in settings.items()) or "-"


def to_markdown(ropa: dict[str, Any]) -> str:
    lines = [
        f"# {ropa['title']}",
        "",
        f"Site `{ropa['site']['id']}` ({ropa['site']['timezone']}); generated "
        f"{ropa['generated_at']} from the site file.",
        "",
        f"Controller: {ropa['controller']}",
        "",
        "## Data collected",
        "",
    ]
    for kind in ropa["data_kinds"]:
        retention = ", ".join(f"`{k}`: {v}" for k, v in kind["retention"].items())
        kept = " ".join(x for x in (retention, kind["kept"] or "") if x)
        lines += [
            f"### {kind['name']}",
            "",
            f"- **What**: {kind['what']}",
            f"- **Source on this site**: {kind['sources']}",
            f"- **Purpose**: {kind['purpose']}",
            f"- **Legal basis**: {kind['legal_basis']}",
            f"- **Personal data**: {kind['personal_data']}",
            f"- **Kept**: {kept}",
            f"- **Who can see it**: {', '.join(kind['who_can_see']) or 'nobody (not stored)'}",
            f"- **Safeguards**: {'; '.join(kind['safeguards'])}",
            "",
        ]
    lines += ["## Retention", "", "| key | kept | what |", "|---|---|---|"]
    lines += [f"| `{r['key']}` | {r['kept']} | {r['what']} |" for r in ropa["retention"]]
    lines += ["", "## Automated decisions", ""]
    for group in ropa["automated_decisions"]:
        lines += [f"### {group['decision']}", "", group["effect"], ""]
        lines += ["| rule | checks | settings | models |", "|---|---|---|---|"]
        for rule in group["rules"]:
            lines.append(
                f"| `{rule['rule']}` | {rule['checks']} | {_settings_text(rule['settings'])} | "
                f"{', '.join(rule['models']) or '-'} |"
            )
        lines.append("")
    return "\n".join(lines)


def to_html(ropa: dict[str, Any]) -> str:
    e = html.escape
    parts = [
        "<!doctype html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{e(ropa['title'])}</title></head><body>",
        f"<h1>{e(ropa['title'])}</h1>",
        f"<p>Site <code>{e(ropa['site']['id'])}</code>; generated {e(ropa['generated_at'])} "
        "from the site file.</p>",
        f"<p>Controller: {e(ropa['controller'])}</p>",
        "<h2>Data collected</h2>",
    ]
    for kind in ropa["data_kinds"]:
        retention = ", ".join(f"{k}: {v}" for k, v in kind["retention"].items())
        kept = " ".join(x for x in (retention, kind["kept"] or "") if x)
        rows = [
            ("What", kind["what"]),
            ("Source on this site", kind["sources"]),
            ("Purpose", kind["purpose"]),
            ("Legal basis", kind["legal_basis"]),
            ("Personal data", kind["personal_data"]),
            ("Kept", kept),
            ("Who can see it", ", ".join(kind["who_can_see"]) or "nobody (not stored)"),
            ("Safeguards", "; ".join(kind["safeguards"])),
        ]
        parts.append(f"<h3>{e(kind['name'])}</h3><table>")
        parts += [f"<tr><th>{e(k)}</th><td>{e(v)}</td></tr>" for k, v in rows]
        parts.append("</table>")
    parts.append("<h2>Retention</h2><table><tr><th>key</th><th>kept</th><th>what</th></tr>")
    parts += [
        f"<tr><td><code>{e(r['key'])}</code></td><td>{e(r['kept'])}</td>"
        f"<td>{e(r['what'] or '')}</td></tr>"
        for r in ropa["retention"]
    ]
    parts.append("</table><h2>Automated decisions</h2>")
    for group in ropa["automated_decisions"]:
        parts.append(f"<h3>{e(group['decision'])}</h3><p>{e(group['effect'])}</p><table>")
        parts.append("<tr><th>rule</th><th>checks</th><th>settings</th><th>models</th></tr>")
        for rule in group["rules"]:
            parts.append(
                f"<tr><td><code>{e(rule['rule'])}</code></td><td>{e(rule['checks'])}</td>"
                f"<td>{e(_settings_text(rule['settings']))}</td>"
                f"<td>{e(', '.join(rule['models']) or '-')}</td></tr>"
            )
        parts.append("</table>")
    parts.append("</body></html>")
    return "\n".join(parts)
