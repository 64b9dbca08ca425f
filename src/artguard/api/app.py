"""The FastAPI application: ingestion, incidents, alerts, KPIs, health and the live stream."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from importlib.resources import files

from fastapi import FastAPI, Response
from fastapi.responses import HTMLResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from artguard import __version__
from artguard.api.guard import Authorize
from artguard.api.live import LiveHub, live_router
from artguard.api.routes_access import ReaderFastPath, access_router
from artguard.api.routes_actions import actions_router
from artguard.api.routes_auth import auth_router
from artguard.api.routes_drills import drills_router
from artguard.api.routes_events import events_router
from artguard.api.routes_evidence import evidence_router
from artguard.api.routes_feedback import feedback_router
from artguard.api.routes_health import health_router
from artguard.api.routes_incidents import incidents_router
from artguard.api.routes_privacy import audit_view_router, privacy_router
from artguard.api.routes_procedures import procedures_router
from artguard.api.routes_reports import reports_router
from artguard.api.routes_response import response_router
from artguard.api.routes_site import site_router
from artguard.api.routes_tokens import tokens_router
from artguard.api.routes_users import users_router
from artguard.api.routes_vision import vision_router
from artguard.api.routes_visitors import visitors_router
from artguard.auth import AuthPolicy, AuthService
from artguard.runtime import Runtime

SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Content-Security-Policy": "default-src 'self'; connect-src 'self' ws: wss:; "
    "img-src 'self' data:; style-src 'self'; script-src 'self'",
}


BackgroundTask = Callable[[Runtime], Awaitable[None]]
_HEADER_BYTES = [(k.lower().encode(), v.encode()) for k, v in SECURITY_HEADERS.items()]


class SecurityHeaders:
    """Adds the security headers to every HTTP response that lacks them.

    A plain ASGI middleware: Starlette's ``BaseHTTPMiddleware`` (``@app.middleware``) runs
    each request in extra task groups and streams, which cost more than a door decision.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {name.lower() for name, _ in message.get("headers", [])}
                extra = [(n, v) for n, v in _HEADER_BYTES if n not in present]
                message = {**message, "headers": [*message.get("headers", []), *extra]}
            await send(message)

        await self.app(scope, receive, with_headers)


def create_app(runtime: Runtime, background: list[BackgroundTask] | None = None) -> FastAPI:
    """The app for a runtime; the runtime starts and stops with the app.

    ``background`` coroutines (e.g. the demo's simulated devices) run while the app is up.
    """

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        await runtime.start()
        tasks = [asyncio.create_task(task(runtime)) for task in background or []]
        try:
            yield
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            await runtime.stop()

    app = FastAPI(
        title="artguard",
        version=__version__,
        description="Self-hosted AI security for art galleries and museums.",
        lifespan=lifespan,
    )
    hub = LiveHub(runtime.bus)
    app.state.runtime = runtime
    app.state.hub = hub
    auth = AuthService(
        runtime.engine, runtime.audit, AuthPolicy.from_environ(runtime.settings.environ)
    )
    app.state.auth = auth
    app.include_router(auth_router(auth))
    app.include_router(users_router(auth))
    app.include_router(tokens_router(runtime.tokens, runtime.audit, runtime.site))
    app.include_router(audit_view_router(runtime.engine, runtime.audit))
    app.include_router(health_router(runtime, hub))
    app.include_router(events_router(runtime.ingest))
    app.include_router(incidents_router(runtime.engine, runtime.incidents))
    app.include_router(reports_router(runtime.engine, runtime.site, runtime.settings.environ))
    app.include_router(drills_router(runtime.engine, runtime.site.id))
    app.include_router(procedures_router(runtime.procedures))
    app.include_router(actions_router(runtime.actions, runtime.engine))
    app.include_router(response_router(runtime.guards, runtime.audit))
    app.include_router(feedback_router(runtime.incidents.feedback))
    app.include_router(vision_router(runtime.engine, runtime.occupancy))
    app.include_router(visitors_router(runtime.visitors))
    app.include_router(live_router(hub))
    app.include_router(access_router(runtime.access, runtime.tokens))
    app.include_router(evidence_router(runtime.evidence_store, runtime.audit, runtime.engine))
    app.include_router(
        privacy_router(runtime.engine, runtime.site, runtime.audit, runtime.templates)
    )
    app.include_router(site_router(runtime.engine, runtime.site, runtime.site_path))

    # Every route is authorised (api/authz.py); the reader fast path answers before it.
    app.add_middleware(Authorize, auth=auth, routes=app.router.routes)
    app.add_middleware(ReaderFastPath, access=runtime.access, tokens=runtime.tokens)
    app.add_middleware(SecurityHeaders)  # added last: outermost, so it covers the fast path

    static = files("artguard.web") / "static"

    @app.get("/", include_in_schema=False)
    async def index() -> HTMLResponse:
        return HTMLResponse((static / "index.html").read_text(encoding="utf-8"))

    @app.get("/static/{name}", include_in_schema=False)
    async def static_file(name: str) -> Response:
        types = {".js": "text/javascript", ".css": "text/css"}
        suffix = name[name.rfind(".") :] if "." in name else ""
        if suffix not in types or "/" in name:
            return Response(status_code=404)
        path = static / name
        if not path.is_file():
            return Response(status_code=404)
        return Response(path.read_text(encoding="utf-8"), media_type=types[suffix])

    return app
