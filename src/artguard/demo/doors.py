"""A simulated door controller: takes lock commands, acknowledges them, reports the new state.

It speaks both command routes of :mod:`artguard.actions.doors`:

* **MQTT**: subscribed to ``artguard/<site>/action/+``, it answers each command on its
  ``reply_to`` topic with ``{"command_id", "status": "locked" | "unlocked" | "rejected"}``;
* **HTTP**: a small server whose ``POST /doors/<door>`` answers with the same JSON; ``POST
  /notify`` accepts notifications like a pager gateway (kept in :attr:`notifications`).

After a lock or unlock it reports the door's new state as a ``door_state`` event through
``emit`` (artguard's ingestion, like a real controller), with the contact it last saw. The
knobs make the unhappy paths testable: ``respond=False`` answers nothing (a dead controller:
the command times out), ``reject`` lists doors that refuse, ``delay_s`` slows every answer.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import threading
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any
from urllib.parse import urlparse

import aiomqtt

from artguard.bus.mqtt_client import LinkState, cancel_and_wait, keep_connected
from artguard.bus.topics import ROOT
from artguard.events import DoorState, EventBase, new_id, utcnow
from artguard.site import Site

if TYPE_CHECKING:
    from artguard.runtime import Runtime

log = logging.getLogger(__name__)

Emit = Callable[[list[dict[str, Any]]], Awaitable[object]]


@dataclass
class DoorSimulator:
    """Simulated lock controllers for every door of ``site`` that has a lock."""

    site: Site
    emit: Emit
    respond: bool = True
    reject: set[str] = field(default_factory=set)
    delay_s: float = 0.0
    report_state: bool = True
    commands: list[dict[str, Any]] = field(default_factory=list)
    notifications: list[dict[str, Any]] = field(default_factory=list)
    locked: dict[str, bool] = field(default_factory=dict)
    contacts: dict[str, str] = field(default_factory=dict)
    mqtt_ready: asyncio.Event = field(default_factory=asyncio.Event)

    def __post_init__(self) -> None:
        self._doors = {d.id: d for d in self.site.doors if d.lock}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._http: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._mqtt: asyncio.Task[None] | None = None

    # -- the controller ---------------------------------------------------------------------

    async def execute(self, command: dict[str, Any]) -> dict[str, Any] | None:
        """Carry out one command; the answer to send back (None: stay silent)."""
        self.commands.append(command)
        if self.delay_s:
            await asyncio.sleep(self.delay_s)
        if not self.respond:
            return None
        door_id = str(command.get("door_id", ""))
        verb = command.get("command")
        answer: dict[str, Any] = {"command_id": command.get("command_id"), "door_id": door_id}
        if door_id not in self._doors:
            return {**answer, "status": "rejected", "detail": f"no lock controller for {door_id}"}
        if verb not in ("lock", "unlock"):
            return {**answer, "status": "rejected", "detail": f"unknown command {verb!r}"}
        if door_id in self.reject:
            return {**answer, "status": "rejected", "detail": "lock fault (simulated)"}
        self.locked[door_id] = verb == "lock"
        if self.report_state:
            await self.emit([self._state(door_id)])
        return {**answer, "status": "locked" if verb == "lock" else "unlocked"}

    async def observe(self, event: EventBase) -> None:
        """A bus handler: remember each door's contact, to report it with the lock state."""
        if isinstance(event, DoorState):
            self.contacts[event.door_id] = event.contact

    def _state(self, door_id: str) -> dict[str, Any]:
        return {
            "kind": "door_state",
            "id": f"lockctl-{new_id()}",
            "device_id": door_id,
            "door_id": door_id,
            "contact": self.contacts.get(door_id, "closed"),
            "locked": self.locked[door_id],
            "site_time": utcnow().isoformat(),
        }

    # -- MQTT -------------------------------------------------------------------------------

    async def start_mqtt(self, host: str, port: int) -> None:
        """Listen for commands on the broker until :meth:`stop`; returns once subscribed."""
        state = LinkState()
        self._mqtt = asyncio.create_task(
            keep_connected(
                lambda _first: aiomqtt.Client(host, port, identifier=f"door-sim-{new_id()[:10]}"),
                self._session,
                state,
                name="door simulator",
            ),
            name="door-simulator-mqtt",
        )
        await asyncio.wait_for(self.mqtt_ready.wait(), 10)

    async def _session(self, client: aiomqtt.Client) -> None:
        await client.subscribe(f"{ROOT}/{self.site.id}/action/+", qos=1)
        self.mqtt_ready.set()
        async for message in client.messages:
            try:
                command = json.loads(message.payload)  # type: ignore[arg-type]
            except (TypeError, ValueError):
                log.warning("door simulator: not JSON on %s", message.topic)
                continue
            if not isinstance(command, dict):
                continue
            answer = await self.execute(command)
            reply_to = command.get("reply_to")
            if answer is not None and isinstance(reply_to, str):
                await client.publish(reply_to, json.dumps(answer), qos=1)

    # -- HTTP -------------------------------------------------------------------------------

    def start_http(self, host: str = "127.0.0.1", port: int = 0) -> int:
        """Serve ``POST /doors/<door>`` and ``POST /notify``; returns the port."""
        self._loop = asyncio.get_running_loop()
        simulator = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                try:
                    body = json.loads(self.rfile.read(length) or b"{}")
                except ValueError:
                    self._reply(400, {"status": "rejected", "detail": "body is not JSON"})
                    return
                if self.path == "/notify":
                    simulator.notifications.append(body)
                    log.info("pager: %s", body.get("subject"))
                    self._reply(200, {"ok": True})
                    return
                if not self.path.startswith("/doors/") or not isinstance(body, dict):
                    self._reply(404, {"status": "rejected", "detail": f"no route {self.path}"})
                    return
                assert simulator._loop is not None
                future = asyncio.run_coroutine_threadsafe(simulator.execute(body), simulator._loop)
                answer = future.result(timeout=30)
                if answer is None:
                    self._reply(202, {})  # accepted, no word on the state
                else:
                    self._reply(200, answer)

            def _reply(self, code: int, data: dict[str, Any]) -> None:
                raw = json.dumps(data).encode()
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                # the caller may have stopped waiting (a door_state confirmed first)
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    self.wfile.write(raw)

            def log_message(self, format: str, *args: Any) -> None:
                log.debug("door simulator http: " + format, *args)

        self._http = ThreadingHTTPServer((host, port), Handler)
        self._http.daemon_threads = True
        self._thread = threading.Thread(
            target=self._http.serve_forever, name="door-simulator-http", daemon=True
        )
        self._thread.start()
        return int(self._http.server_address[1])

    async def stop(self) -> None:
        if self._mqtt is not None:
            await cancel_and_wait(self._mqtt)
            self._mqtt = None
        if self._http is not None:
            await asyncio.to_thread(self._http.shutdown)
            self._http.server_close()
            self._http = None


def local_http_port(site: Site) -> int | None:
    """The port of the site's HTTP door routes when they point at this machine (the demo's
    simulated controllers); None when there are none."""
    control = site.door_control
    routes = [control.default, *control.doors.values()]
    ports = {
        urlparse(route.url).port or 80
        for route in routes
        if route is not None and route.transport == "http" and route.url is not None
        if urlparse(route.url).hostname in {"127.0.0.1", "localhost"}
    }
    if len(ports) > 1:
        raise ValueError(f"door routes use several local ports ({sorted(ports)}); expected one")
    return ports.pop() if ports else None


def start_demo_doors(runtime: Runtime) -> DoorSimulator | None:
    """Start simulated lock controllers for the demo on the port the site's door routes name,
    reporting door states through the runtime's ingestion; None when no route is local."""
    port = local_http_port(runtime.site)
    if port is None:
        return None

    async def emit(items: list[dict[str, Any]]) -> object:
        return await runtime.ingest.submit(items, token=None, source="lock-simulator", trusted=True)

    simulator = DoorSimulator(runtime.site, emit)
    runtime.bus.subscribe("door-simulator", simulator.observe, kinds={"door_state"})
    try:
        simulator.start_http(port=port)
    except OSError as exc:
        log.error(
            "demo: door simulator cannot listen on 127.0.0.1:%d (%s); locks will fail", port, exc
        )
        return None
    log.info("demo: simulated lock controllers on http://127.0.0.1:%d/doors/<door>", port)
    return simulator
