"""Platform security: users, passwords, sessions, sign-in throttling, roles and permissions.

See ``docs/security.md``. The API enforces it in :mod:`artguard.api.guard` with the route table
in :mod:`artguard.api.authz`; the CLI manages users in :mod:`artguard.cli.users`.
"""

from artguard.auth.policy import AuthPolicy
from artguard.auth.roles import PERMISSIONS, ROLE_PERMISSIONS, ROLES, allows
from artguard.auth.service import AuthService, SignIn, SignInFailed, SignInThrottled
from artguard.auth.sessions import Principal
from artguard.auth.users import User, UserError, UserNotFound

__all__ = [
    "PERMISSIONS",
    "ROLES",
    "ROLE_PERMISSIONS",
    "AuthPolicy",
    "AuthService",
    "Principal",
    "SignIn",
    "SignInFailed",
    "SignInThrottled",
    "User",
    "UserError",
    "UserNotFound",
    "allows",
]
