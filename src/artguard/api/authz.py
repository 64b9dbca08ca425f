"""Who may call which route: the one table of (method, route path template) -> permission.

Enforced for every request by :class:`artguard.api.guard.Authorize` (an ASGI middleware, so it
covers every route however it was added). A route with no entry here is DENIED (403) to
everyone, and ``tests/auth/test_route_table.py`` fails naming it: adding a route means adding
its line here.

Keys are ``(method, path)`` with the path exactly as the route declares it (``{name}``
placeholders included); ``WS`` is the method of WebSocket routes; ``HEAD`` uses the ``GET``
entry. Values are a permission or one of the markers:

* :data:`PUBLIC` - anyone, signed in or not (the dashboard page, its static files, the sign-in
  route, health: see ``docs/security.md`` for why).
* :data:`DEVICE` - a device route that checks its own per-device token (ingestion, door
  readers); no user session.
* :data:`SIGNED_IN` - any signed-in user, whatever the role (``/api/auth/me``, logout).

Permissions (roles hold them in :data:`artguard.auth.roles.ROLE_PERMISSIONS`):

* ``incidents.read`` - incident queue, alerts, the live stream of both
* ``incidents.act`` - acknowledge, resolve, false alarm, operator feedback
* ``evidence.read`` - blurred snapshots, clips, evidence metadata
* ``evidence.read_original`` - unblurred originals (each fetch audited)
* ``access.read`` - threat level, door states, presence
* ``threat_level.set`` - set the threat level
* ``doors.override`` - lock/unlock doors, override playbook door actions
* ``visitors.read`` - individual visitors under watch
* ``analytics.read`` - anonymous aggregates: occupancy, touches, heat maps, visitor model
* ``kpis.read`` - KPIs and reports
* ``site.read`` / ``site.manage`` - see / change site configuration (escalation, guards,
  procedures, playbooks)
* ``privacy.manage`` - data-subject export and erasure, retention
* ``audit.read`` - read and verify the audit log
* ``users.manage`` - users and roles
* ``tokens.manage`` - device tokens

State-changing requests made with a session cookie must also carry ``X-CSRF-Token``; the
middleware checks that too, whatever the permission.
"""

from __future__ import annotations

from typing import Final

PUBLIC: Final = "public"
DEVICE: Final = "device"
SIGNED_IN: Final = "signed_in"
MARKERS: Final = frozenset({PUBLIC, DEVICE, SIGNED_IN})

ROUTE_PERMISSIONS: dict[tuple[str, str], str] = {
    # dashboard, API description, health
    ("GET", "/"): PUBLIC,
    ("GET", "/static/{name}"): PUBLIC,
    ("GET", "/openapi.json"): PUBLIC,
    ("GET", "/docs"): PUBLIC,
    ("GET", "/docs/oauth2-redirect"): PUBLIC,
    ("GET", "/redoc"): PUBLIC,
    ("GET", "/api/health"): PUBLIC,
    # sign-in
    ("POST", "/api/auth/login"): PUBLIC,
    ("POST", "/api/auth/logout"): SIGNED_IN,
    ("GET", "/api/auth/me"): SIGNED_IN,
    ("POST", "/api/auth/password"): SIGNED_IN,
    # devices (own token auth)
    ("POST", "/api/events"): DEVICE,
    ("POST", "/api/access/decide"): DEVICE,
    ("POST", "/api/access/face"): DEVICE,
    # incidents and alerts
    ("GET", "/api/incidents"): "incidents.read",
    ("GET", "/api/incidents/{incident_id}"): "incidents.read",
    ("POST", "/api/incidents/{incident_id}/acknowledge"): "incidents.act",
    ("POST", "/api/incidents/{incident_id}/resolve"): "incidents.act",
    ("POST", "/api/incidents/{incident_id}/false-alarm"): "incidents.act",
    # procedures (SOPs): steps ticked by operators and supervisors; read by auditors too
    ("GET", "/api/procedures"): "site.read",
    ("GET", "/api/incidents/{incident_id}/procedure"): "incidents.read",
    ("POST", "/api/incidents/{incident_id}/steps/{step_id}"): "incidents.act",
    ("GET", "/api/alerts"): "incidents.read",
    ("GET", "/api/kpis"): "kpis.read",
    # reports (KPI charts, weekly report): kpis.read, held by supervisor, auditor and admin,
    # all of whom also read incidents (the report lists the top incidents)
    ("GET", "/api/reports/weekly.json"): "kpis.read",
    ("GET", "/api/reports/weekly.pdf"): "kpis.read",
    ("GET", "/api/reports/charts/{name}.svg"): "kpis.read",
    # red-team drill runs (artguard.drill): detection figures, read with the KPIs
    ("GET", "/api/drills"): "kpis.read",
    ("GET", "/api/drills/latest"): "kpis.read",
    ("GET", "/api/drills/{run_id}"): "kpis.read",
    ("GET", "/api/drills/{run_id}/charts/{name}.svg"): "kpis.read",
    # operator feedback on scoring: read by incident readers; revert/re-apply by supervisors
    ("GET", "/api/triage/adjustments"): "incidents.read",
    ("GET", "/api/triage/adjustments/{key}"): "incidents.read",
    ("POST", "/api/triage/adjustments/{key}/revert"): "site.manage",
    ("POST", "/api/triage/adjustments/{key}/reapply"): "site.manage",
    ("WS", "/api/stream"): "incidents.read",
    # guards' whereabouts, for paging the nearest: staff location data, so only the people
    # who dispatch guards (operator, supervisor, admin) read or report it
    ("GET", "/api/guards"): "incidents.act",
    ("POST", "/api/guards/{person_id}/location"): "incidents.act",
    # evidence
    ("GET", "/api/alerts/{alert_id}/evidence"): "evidence.read",
    ("GET", "/api/alerts/{alert_id}/evidence/snapshot.jpg"): "evidence.read",
    ("GET", "/api/alerts/{alert_id}/evidence/clip.webm"): "evidence.read",
    ("GET", "/api/alerts/{alert_id}/evidence/clip.avi"): "evidence.read",  # clips before WebM
    ("GET", "/api/alerts/{alert_id}/evidence/original.jpg"): "evidence.read_original",
    # access control
    ("GET", "/api/access/threat-level"): "access.read",
    ("PUT", "/api/access/threat-level"): "threat_level.set",
    ("GET", "/api/access/presence"): "access.read",
    # doors and playbook actions (artguard.actions): any operator may lock (containment is
    # never wrong to ask for); unlocking undoes containment, as lowering the threat level
    # does, so it takes the supervisor's threat_level.set (fire exits release in hardware)
    ("POST", "/api/doors/{door_id}/lock"): "doors.override",
    ("POST", "/api/doors/{door_id}/unlock"): "threat_level.set",
    ("GET", "/api/doors/{door_id}/commands"): "access.read",
    ("GET", "/api/incidents/{incident_id}/actions"): "incidents.read",
    ("POST", "/api/incidents/{incident_id}/lock-doors"): "doors.override",
    # video and visitor analytics
    ("GET", "/api/vision/touches"): "analytics.read",
    ("GET", "/api/occupancy"): "analytics.read",
    ("GET", "/api/visitors/watch"): "visitors.read",
    ("GET", "/api/visitors/model"): "analytics.read",
    # platform administration
    ("GET", "/api/users"): "users.manage",
    ("POST", "/api/users"): "users.manage",
    ("PATCH", "/api/users/{username}"): "users.manage",
    ("GET", "/api/tokens"): "tokens.manage",
    ("POST", "/api/tokens"): "tokens.manage",
    ("POST", "/api/tokens/{token_id}/rotate"): "tokens.manage",
    ("DELETE", "/api/tokens/{token_id}"): "tokens.manage",
    ("GET", "/api/audit"): "audit.read",
    ("GET", "/api/audit/verify"): "audit.read",
    # privacy governance (docs/privacy.md): data-subject requests are the DPO's tool; the
    # record of processing is for everyone signed in; decision logic for whoever sees alerts
    ("GET", "/api/privacy/subjects/{person_id}/export"): "privacy.manage",
    ("POST", "/api/privacy/subjects/{person_id}/erase"): "privacy.manage",
    ("GET", "/api/privacy/ropa"): SIGNED_IN,
    ("GET", "/api/decisions/{decision_id}/logic"): "incidents.read",
    # the dashboard's site page and floor plan (api/routes_site.py): the site for display
    # (no credentials, no people), device health, the site file re-checked, door states
    ("GET", "/api/site"): "site.read",
    ("GET", "/api/site/health"): "site.read",
    ("GET", "/api/site/validation"): "site.read",
    ("GET", "/api/doors"): "access.read",
}
"""(method, path template) -> permission or marker. Add a line for every new route."""


def required(method: str, path: str) -> str | None:
    """The permission or marker a route needs; None when it has no entry (denied)."""
    return ROUTE_PERMISSIONS.get(("GET" if method == "HEAD" else method, path))
