"""The demo's sign-in: an admin with a fresh random password, made in the demo's own data dir.

artguard has no default password. ``artguard demo`` runs a throwaway museum, so it makes (or
re-keys) the ``demo-admin`` user there on every start and prints the password next to the
dashboard URL. Nothing else calls this.
"""

from __future__ import annotations

import secrets

from artguard.auth import AuthService

DEMO_ADMIN = "demo-admin"


def demo_admin(auth: AuthService) -> tuple[str, str]:
    """(username, password) of the demo admin, with a new random password each call."""
    password = secrets.token_urlsafe(15)
    if auth.users.get(DEMO_ADMIN) is None:
        auth.create_user("demo", DEMO_ADMIN, password, "admin")
    else:
        auth.set_disabled("demo", DEMO_ADMIN, False)
        auth.change_password("demo", DEMO_ADMIN, password)
    return DEMO_ADMIN, password
