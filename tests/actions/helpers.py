"""Sites, servers and clients for the action tests (small site: hall - gallery - vault)."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from artguard.api.app import BackgroundTask, create_app
from artguard.runtime import Runtime
from artguard.site import Site, parse_site
from tests.conftest import SMALL_SITE, signed_in

THEFT_PLAYBOOK = """
playbooks:
  - id: theft
    when: {patterns: [theft_in_progress], min_score: 0.7}
    do:
      - lock_doors: incident_rooms
      - notify: {channel: hook, audience: supervisor, message: "{title} at {score}"}
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def count_http_clients(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """From now on, one entry per ``httpx.AsyncClient`` built: whether on the event loop's
    (main) thread. Building one costs ~25 ms of CPU (TLS context), so the action services
    build one each, off the loop, and reuse it."""
    built: list[bool] = []
    original = httpx.AsyncClient.__init__

    def counting(self: httpx.AsyncClient, *args: Any, **kwargs: Any) -> None:
        built.append(threading.current_thread() is threading.main_thread())
        original(self, *args, **kwargs)

    monkeypatch.setattr(httpx.AsyncClient, "__init__", counting)
    return built


def site_with(extra: str) -> Site:
    """The small test site with ``extra`` YAML sections appended."""
    return parse_site(SMALL_SITE.read_text() + extra, "small-site+actions.yaml")


def http_doors(port: int, timeout: str = "2s") -> str:
    """A door_control section routing every door to the simulator's HTTP server."""
    return f"""
door_control:
  timeout: {timeout}
  default: {{transport: http, url: "http://127.0.0.1:{port}/doors/{{door}}"}}
"""


def webhook_channel(port: int) -> str:
    return f"""
notifications:
  channels:
    hook: {{type: webhook, url: "http://127.0.0.1:{port}/hook", timeout: 2}}
  audiences: {{supervisor: [hook]}}
"""


@dataclass
class Receiver:
    """A local HTTP server that records the JSON it is sent; fails the first ``fail`` calls."""

    fail: int = 0
    received: list[dict[str, Any]] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)
    calls: int = 0


@contextmanager
def receiver(fail: int = 0) -> Iterator[tuple[Receiver, int]]:
    state = Receiver(fail=fail)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length)
            state.calls += 1
            if state.calls <= state.fail:
                self.send_response(503)
                self.end_headers()
                self.wfile.write(b"busy")
                return
            state.received.append(json.loads(body))
            state.headers.append(dict(self.headers.items()))
            self.send_response(204)
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state, int(server.server_address[1])
    finally:
        server.shutdown()
        server.server_close()


@contextmanager
def api_client(
    runtime: Runtime, role: str = "admin", background: list[BackgroundTask] | None = None
) -> Iterator[TestClient]:
    """A started client on the runtime's app, signed in as ``role`` (the one place API tests
    make clients); ``background`` runs on the app's event loop (e.g. a door simulator)."""
    with TestClient(create_app(runtime, background=background)) as client:
        signed_in(client, role)
        yield client
