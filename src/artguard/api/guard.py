"""Server-side authorisation of every request: an ASGI middleware in front of the routes.

For each HTTP or WebSocket request it finds the route that will serve it, looks the route's
(method, path template) up in :data:`artguard.api.authz.ROUTE_PERMISSIONS` and then

* lets it through when the route is ``PUBLIC`` or ``DEVICE`` (the route checks device tokens);
* denies it (403) when the route has no entry - new routes are closed until listed;
* answers 401 without a live session (cookie), 403 when the user's role lacks the permission,
  and 403 when a state-changing request lacks the session's ``X-CSRF-Token``;
* refuses a WebSocket whose ``Origin`` is another site, before the handshake completes.

The signed-in :class:`~artguard.auth.sessions.Principal` (or None) is left in the scope for
the routes: :func:`principal_of` / :func:`require_principal`.

Unknown paths and wrong methods pass through, so the app answers 404 / 405 as before.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from fastapi import HTTPException
from starlette.requests import HTTPConnection, cookie_parser
from starlette.routing import BaseRoute, Mount, WebSocketRoute, compile_path
from starlette.types import ASGIApp, Receive, Scope, Send

from artguard.api.authz import DEVICE, PUBLIC, SIGNED_IN, required
from artguard.auth.service import AuthService
from artguard.auth.sessions import Principal

PRINCIPAL_KEY = "artguard.principal"
CSRF_HEADER = b"x-csrf-token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "WS"})


def principal_of(connection: HTTPConnection) -> Principal | None:
    """The signed-in user of this request, if any (set by :class:`Authorize`)."""
    return connection.scope.get(PRINCIPAL_KEY)


def require_principal(connection: HTTPConnection) -> Principal:
    """The signed-in user; 401 if none (only reachable on a route wrongly marked public)."""
    found = principal_of(connection)
    if found is None:
        raise HTTPException(401, "sign in first")
    return found


@dataclass(frozen=True)
class RouteEntry:
    """One served route as the router sees it: its full path template and methods."""

    path: str
    methods: frozenset[str]
    """``{"WS"}`` for a WebSocket route; empty for a mount (any method)."""
    regex: re.Pattern[str]

    def table_keys(self) -> list[tuple[str, str]]:
        """The (method, path) keys this route needs in the table (``HEAD`` uses ``GET``)."""
        return [(m, self.path) for m in sorted(self.methods - {"HEAD"} or {"*"})]


def served_routes(routes: Sequence[BaseRoute]) -> Iterator[RouteEntry]:
    """Every route of an app in routing order, with the prefixes of included routers.

    FastAPI >= 0.16x keeps included routers as lazy branches (``iter_route_contexts`` flattens
    them); older versions keep ``app.routes`` flat already.
    """
    try:
        from fastapi.routing import iter_route_contexts
    except ImportError:  # older FastAPI: already flat
        contexts: Any = routes
    else:
        contexts = iter_route_contexts(routes)
    for route in contexts:
        path = getattr(route, "path", None)
        if path is None:
            continue
        original = getattr(route, "original_route", route)
        if isinstance(original, WebSocketRoute) or type(original).__name__.endswith(
            "WebSocketRoute"
        ):
            methods = frozenset({"WS"})
        elif isinstance(original, Mount):
            yield RouteEntry(path, frozenset(), compile_path(path + "/{path:path}")[0])
            continue
        else:
            methods = frozenset(getattr(route, "methods", None) or {"GET"})
        yield RouteEntry(path, methods, compile_path(path)[0])


def actor_of(connection: HTTPConnection) -> str:
    """Who acts, for audit entries and operator actions: the signed-in user's name."""
    return require_principal(connection).username


def client_address(scope: Scope) -> str:
    client = scope.get("client")
    return str(client[0]) if client else "unknown"


class Authorize:
    def __init__(self, app: ASGIApp, auth: AuthService, routes: Sequence[BaseRoute]) -> None:
        self.app = app
        self.auth = auth
        self.routes = routes  # the app's live list: routes added later are covered too
        self._entries: list[RouteEntry] = []
        self._built_for = -1

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        websocket = scope["type"] == "websocket"
        method = "WS" if websocket else scope["method"]
        template = self._template(scope)
        if template is None:  # 404 or 405: the app says which
            await self.app(scope, receive, send)
            return
        need = required(method, template)
        if need == DEVICE:
            await self.app(scope, receive, send)
            return
        headers = _headers(scope)
        token = self._cookie(headers)
        principal = await asyncio.to_thread(self.auth.resolve, token) if token else None
        scope[PRINCIPAL_KEY] = principal
        problem = self._problem(need, method, template, principal, headers)
        if problem is None and websocket and not _same_origin(headers):
            problem = 403, "WebSocket from another origin"
        if problem is None:
            await self.app(scope, receive, send)
        elif websocket:
            await _refuse_websocket(receive, send, problem[1])
        else:
            await _send_json(send, *problem)

    def _problem(
        self,
        need: str | None,
        method: str,
        template: str,
        principal: Principal | None,
        headers: dict[bytes, bytes],
    ) -> tuple[int, str] | None:
        if need == PUBLIC:
            return None
        if need is None:
            return 403, f"{method} {template} has no authorisation entry; denied"
        if principal is None:
            return 401, "sign in first (no session, or it expired)"
        if method not in SAFE_METHODS:
            sent = headers.get(CSRF_HEADER, b"").decode("latin-1")
            if not hmac.compare_digest(sent.encode(), principal.csrf_token.encode()):
                return 403, "missing or wrong X-CSRF-Token header"
        if need != SIGNED_IN and not principal.can(need):
            return 403, f"role {principal.role!r} lacks permission {need!r}"
        return None

    def _template(self, scope: Scope) -> str | None:
        """The path template of the route that will serve this request, as the router picks
        it (first route whose path and method match); None for a 404 or 405.

        The flattened route list is cached; on a miss it is rebuilt and tried again, so a
        route added later (even inside an included router) is found and checked, never let
        through unchecked."""
        path = scope["path"]
        root = scope.get("root_path", "")
        if root and path.startswith(root):
            path = path[len(root) :]
        method = "WS" if scope["type"] == "websocket" else scope["method"]
        if method == "HEAD":
            method = "GET"
        if self._built_for == len(self.routes):
            found = _first_match(self._entries, path, method)
            if found is not None:
                return found
        self._entries = list(served_routes(self.routes))
        self._built_for = len(self.routes)
        return _first_match(self._entries, path, method)

    def _cookie(self, headers: dict[bytes, bytes]) -> str | None:
        raw = headers.get(b"cookie")
        if not raw:
            return None
        return cookie_parser(raw.decode("latin-1")).get(self.auth.policy.cookie_name) or None


def _first_match(entries: list[RouteEntry], path: str, method: str) -> str | None:
    for entry in entries:
        if entry.regex.match(path) and (not entry.methods or method in entry.methods):
            return entry.path
    return None


def _headers(scope: Scope) -> dict[bytes, bytes]:
    """Header name -> value (the first of repeated ones, except cookies which are joined)."""
    found: dict[bytes, bytes] = {}
    for name, value in scope.get("headers", []):
        if name == b"cookie" and name in found:
            found[name] += b"; " + value
        else:
            found.setdefault(name, value)
    return found


def _same_origin(headers: dict[bytes, bytes]) -> bool:
    """True without an Origin header (not a browser) or when it names this host."""
    origin = headers.get(b"origin")
    if origin is None:
        return True
    host = headers.get(b"host", b"").decode("latin-1").lower()
    return urlsplit(origin.decode("latin-1")).netloc.lower() == host


async def _refuse_websocket(receive: Receive, send: Send, reason: str) -> None:
    message = await receive()
    if message["type"] == "websocket.connect":
        await send({"type": "websocket.close", "code": 1008, "reason": reason[:120]})


async def _send_json(send: Send, status: int, detail: Any) -> None:
    body = json.dumps({"detail": detail}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"cache-control", b"no-store"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
