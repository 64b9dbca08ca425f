"""Cross-reference checks of ``policies.response``: the guard and supervisor roles exist.

Only roles written in the site file are checked: the defaults (``guard``,
``security-supervisor``) may name roles a small site does not have, and then nobody of that
kind is called (the notification still goes to the audience's channel).
"""

from __future__ import annotations

from artguard.site.checker import Checker
from artguard.site.problems import Loc


def check_response_policy(c: Checker) -> None:
    """Every role ``policies.response`` names explicitly is a declared role."""
    response = c.site.policies.response
    base: Loc = ("policies", "response")
    for key in ("guard_roles", "supervisor_roles"):
        if key not in response.model_fields_set:
            continue
        for j, role in enumerate(getattr(response, key)):
            c.ref((*base, key, j), "roles", role)
