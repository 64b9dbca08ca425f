"""A site with guards and a supervisor for the escalation tests (small site: hall - gallery -
vault), and a bus listener that keeps notifications."""

from __future__ import annotations

import io
from typing import Any

from ruamel.yaml import YAML

from artguard.events import EventBase, Notification
from artguard.runtime import Runtime
from artguard.site import Site, parse_site
from tests.conftest import SMALL_SITE

STAFF: list[dict[str, Any]] = [
    {"id": "g-amelia", "name": "Amelia Hart", "role": "guard", "zones": ["*"]},
    {"id": "g-ben", "name": "Ben Cole", "role": "guard", "zones": ["*"]},
    {"id": "s-sam", "name": "Sam Reed", "role": "security-supervisor", "zones": ["*"]},
]


def site_text(
    response: dict[str, Any] | None = None, *, staff: bool = True, auto_lockdown: bool = True
) -> str:
    """The small site's YAML with two guards and a supervisor without shifts (always on
    duty), and ``policies.response`` when given; ``auto_lockdown=False`` turns off the access
    policy's own lockdown on critical incidents (to see what escalation alone does)."""
    data = YAML(typ="safe").load(SMALL_SITE.read_text(encoding="utf-8"))
    if staff:
        data["roles"].append({"id": "security-supervisor", "name": "Security supervisor"})
        data["people"].extend(STAFF)
    if response is not None:
        data["policies"]["response"] = response
    if not auto_lockdown:
        data["policies"]["access"]["auto_lockdown"] = {"enabled": False}
    out = io.StringIO()
    YAML(typ="safe").dump(data, out)
    return out.getvalue()


def escalation_site(
    response: dict[str, Any] | None = None, *, staff: bool = True, auto_lockdown: bool = True
) -> Site:
    text = site_text(response, staff=staff, auto_lockdown=auto_lockdown)
    return parse_site(text, file="escalation-site.yaml")


def keep_notifications(runtime: Runtime) -> list[Notification]:
    kept: list[Notification] = []

    async def keep(event: EventBase) -> None:
        if isinstance(event, Notification):
            kept.append(event)

    runtime.bus.subscribe("test-notifications", keep, kinds={"notification"})
    return kept
