"""Roles and what each may do: the one table of role -> permissions.

A permission names an area and a verb (``incidents.read``, ``doors.override``). Routes name the
permission they need in :data:`artguard.api.authz.ROUTE_PERMISSIONS`; nothing else decides who
may do what. ``admin`` holds every permission; the other roles hold only what their job needs.
"""

from __future__ import annotations

from typing import Final

PERMISSIONS: Final[dict[str, str]] = {
    "incidents.read": "See the incident queue, alerts and the live stream of both.",
    "incidents.act": "Acknowledge, resolve or mark incidents as false alarms; give feedback.",
    "evidence.read": "See alert evidence with faces blurred (snapshots, clips, metadata).",
    "evidence.read_original": "See the unblurred original of an alert (every fetch audited).",
    "access.read": "See the threat level, door states and who was let in where.",
    "threat_level.set": "Set the site's threat level (normal, elevated, lockdown).",
    "doors.override": "Lock or unlock doors and override a playbook's door action.",
    "visitors.read": "See individual visitors under watch: reasons, rooms, cameras.",
    "analytics.read": "See anonymous aggregates: occupancy, touches, heat maps, visitor model.",
    "kpis.read": "See KPIs and reports.",
    "site.read": "See the site configuration: rooms, devices, guards, procedures, playbooks.",
    "site.manage": "Change the site's configuration: escalation, procedures, playbooks, guards.",
    "privacy.manage": "Export or erase a data subject's data; review retention.",
    "audit.read": "Read and verify the audit log.",
    "users.manage": "Create users, change their roles, disable them.",
    "tokens.manage": "Create, rotate and revoke device tokens.",
}
"""Every permission and what it allows."""

_OPERATOR = frozenset(
    {
        "incidents.read",
        "incidents.act",
        "evidence.read",
        "access.read",
        "doors.override",
        "visitors.read",
        "analytics.read",
        "site.read",
    }
)

ROLE_PERMISSIONS: Final[dict[str, frozenset[str]]] = {
    "operator": _OPERATOR,
    "supervisor": _OPERATOR
    | {"evidence.read_original", "threat_level.set", "kpis.read", "site.manage"},
    "admin": frozenset(PERMISSIONS),
    "auditor": frozenset(
        {
            "audit.read",
            "incidents.read",
            "evidence.read",
            "access.read",
            "kpis.read",
            "site.read",
            "privacy.manage",
        }
    ),
    "curator": frozenset({"analytics.read", "site.read"}),
}
"""Role -> the permissions it holds. Control-room operators work incidents and doors; the
supervisor (head of security) also sets the threat level, sees originals and KPIs and changes
the site; the auditor (data-protection officer) reads the record; the curator sees anonymous
visitor analytics; the admin runs the platform and holds everything."""

ROLES: Final[tuple[str, ...]] = tuple(ROLE_PERMISSIONS)


class UnknownRole(ValueError):
    """A role name that is not one of :data:`ROLES`."""

    def __init__(self, role: str) -> None:
        super().__init__(f"unknown role {role!r}; expected one of {', '.join(ROLES)}")
        self.role = role


def check_role(role: str) -> str:
    """``role`` if it exists; :class:`UnknownRole` naming the choices otherwise."""
    if role not in ROLE_PERMISSIONS:
        raise UnknownRole(role)
    return role


def allows(role: str, permission: str) -> bool:
    """True when ``role`` holds ``permission``; unknown roles and permissions hold nothing."""
    return permission in ROLE_PERMISSIONS.get(role, frozenset())
