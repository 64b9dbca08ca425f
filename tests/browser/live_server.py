"""A real ``artguard run`` for the browser tests: its own process, port, data dir and site.

The site is the small test site (hall - gallery - vault) with every door routed over HTTP to a
:class:`~artguard.demo.doors.DoorSimulator` that runs here, in a thread with its own event
loop, and reports each door's new state back through ``POST /api/events`` like a real lock
controller. Users and the device token are made with the ``artguard`` command line before the
server starts, as an installer would.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from artguard.demo.doors import DoorSimulator
from artguard.site import Site, parse_site

SMALL_SITE = Path(__file__).parents[1] / "fixtures" / "small-site.yaml"
PASSWORD = "correct horse battery staple"
"""The password of every user :func:`start_server` makes."""
USERS = {"test-admin": "admin", "test-operator": "operator"}
STARTUP_TIMEOUT_S = 30.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def site_yaml(door_port: int) -> str:
    """The small site with every door's lock controller at ``127.0.0.1:<door_port>``."""
    return SMALL_SITE.read_text(encoding="utf-8") + (
        "\ndoor_control:\n"
        "  timeout: 5s\n"
        f'  default: {{transport: http, url: "http://127.0.0.1:{door_port}/doors/{{door}}"}}\n'
    )


def server_env(data_dir: Path) -> dict[str, str]:
    """This process's environment without any ARTGUARD_* setting of the caller, plus the test
    server's: plain-http cookies, no cameras, its own data dir."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ARTGUARD_")}
    env.update(
        ARTGUARD_DATA_DIR=str(data_dir),
        ARTGUARD_COOKIE_SECURE="false",
        ARTGUARD_CAMERAS="off",
        ARTGUARD_SQLITE_SYNCHRONOUS="NORMAL",
    )
    return env


def artguard(args: list[str], env: dict[str, str], stdin: str | None = None) -> str:
    """Run one ``artguard`` command; its stdout, or RuntimeError with its stderr."""
    done = subprocess.run(
        [sys.executable, "-m", "artguard", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(
            f"artguard {' '.join(args)} exited {done.returncode}: {done.stderr.strip()}"
        )
    return done.stdout


def token_from(output: str) -> str:
    """The secret from ``artguard tokens create`` output (the ``token:`` line)."""
    for line in output.splitlines():
        key, _, value = line.partition(":")
        if key.strip() == "token" and value.strip():
            return value.strip()
    raise RuntimeError(f"no 'token:' line in artguard tokens create output: {output!r}")


class DoorLab:
    """The door simulator on its own thread and event loop, answering the server's lock
    commands on ``port`` and posting each door's new state to ``events_url``."""

    def __init__(self, site: Site, port: int, events_url: str, token: str) -> None:
        self.site = site
        self.port = port
        self.events_url = events_url
        self.token = token
        self.simulator: DoorSimulator | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="door-lab", daemon=True)

    def start(self) -> None:
        self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError("door simulator did not start within 10 s")
        if self._error is not None:
            raise RuntimeError(f"door simulator failed to start: {self._error}")

    def stop(self) -> None:
        if self._loop is not None and self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(10)

    def _run(self) -> None:
        asyncio.run(self._main())

    async def _main(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        headers = {"Authorization": f"Bearer {self.token}"}
        async with httpx.AsyncClient(headers=headers, timeout=10) as client:

            async def emit(items: list[dict[str, Any]]) -> object:
                response = await client.post(self.events_url, json=items)
                response.raise_for_status()
                return response.json()

            self.simulator = DoorSimulator(self.site, emit)
            try:
                self.simulator.start_http(port=self.port)
            except OSError as exc:
                self._error = exc
                self._ready.set()
                return
            self._ready.set()
            try:
                await self._stop.wait()
            finally:
                await self.simulator.stop()


@dataclass
class LiveServer:
    """A running ``artguard run`` and what the tests need to drive it."""

    url: str
    data_dir: Path
    log_path: Path
    token: str
    doors: DoorLab
    process: subprocess.Popen[bytes]
    password: str = PASSWORD

    def send_events(self, events: list[dict[str, Any]]) -> dict[str, Any]:
        """POST events with the device token; fails loudly on any rejection."""
        response = httpx.post(
            f"{self.url}/api/events",
            json=events,
            headers={"Authorization": f"Bearer {self.token}"},
            timeout=10,
        )
        if response.status_code != 200:
            raise AssertionError(f"POST /api/events {response.status_code}: {response.text}")
        return dict(response.json())

    @contextlib.contextmanager
    def api(self, username: str = "test-admin") -> Iterator[httpx.Client]:
        """An API client signed in as ``username`` (session cookie and CSRF header set)."""
        with httpx.Client(base_url=self.url, timeout=15) as client:
            response = client.post(
                "/api/auth/login", json={"username": username, "password": self.password}
            )
            if response.status_code != 200:
                raise AssertionError(f"sign-in of {username} failed: {response.text}")
            client.headers["X-CSRF-Token"] = response.json()["csrf_token"]
            yield client

    def close_active_incidents(self) -> None:
        """Resolve every open or acknowledged incident, so the next scenario's alerts start a
        new incident instead of folding into an active one (triage de-duplicates there)."""
        with self.api() as client:
            for incident in client.get("/api/incidents").json():
                if incident["status"] in ("open", "acknowledged"):
                    done = client.post(
                        f"/api/incidents/{incident['id']}/resolve",
                        json={"note": "closed by the browser tests before a new scenario"},
                    )
                    assert done.status_code == 200, done.text

    def incident_ids(self) -> set[str]:
        with self.api() as client:
            return {incident["id"] for incident in client.get("/api/incidents").json()}

    def wait_for_new_incident(self, before: set[str], timeout_s: float = 10.0) -> dict[str, Any]:
        """The incident that appears after the events just sent (not one of ``before``)."""
        deadline = time.monotonic() + timeout_s
        with self.api() as client:
            while True:
                new = [i for i in client.get("/api/incidents").json() if i["id"] not in before]
                if new:
                    return dict(new[0])
                if time.monotonic() > deadline:
                    raise AssertionError(
                        f"no new incident within {timeout_s} s; server log:\n{self.log_tail()}"
                    )
                time.sleep(0.1)

    def incident(self, incident_id: str) -> dict[str, Any]:
        """``GET /api/incidents/<id>`` as the admin (the incident with its alerts)."""
        with self.api() as client:
            response = client.get(f"/api/incidents/{incident_id}")
            assert response.status_code == 200, response.text
            return dict(response.json())

    def log_tail(self, lines: int = 40) -> str:
        try:
            text = self.log_path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return "(no server log)"
        return "\n".join(text.splitlines()[-lines:])

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(5)
        self.doors.stop()


def _wait_healthy(url: str, process: subprocess.Popen[bytes], log_path: Path) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(
                f"artguard run exited {process.returncode} at start; log {log_path}:\n"
                + log_path.read_text(encoding="utf-8", errors="replace")[-4000:]
            )
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(f"{url}/api/health", timeout=1).status_code < 500:
                return
        time.sleep(0.1)
    raise RuntimeError(f"artguard run did not answer {url}/api/health in {STARTUP_TIMEOUT_S} s")


def start_server(base: Path) -> LiveServer:
    """Users, a device token and the door simulator, then ``artguard run`` on a free port."""
    data_dir = base / "var"
    data_dir.mkdir(parents=True, exist_ok=True)
    env = server_env(data_dir)
    door_port, port = free_port(), free_port()
    site_path = base / "site.yaml"
    site_path.write_text(site_yaml(door_port), encoding="utf-8")
    site = parse_site(site_path.read_text(encoding="utf-8"), str(site_path))
    # The first command creates the database; the users are then added while the server starts
    # (each command spends seconds importing and hashing; they write different rows).
    token = token_from(
        artguard(["tokens", "create", "--name", "browser-tests", "--device", "*"], env)
    )
    url = f"http://127.0.0.1:{port}"
    doors = DoorLab(site, door_port, f"{url}/api/events", token)
    doors.start()
    log_path = base / "server.log"
    command = [sys.executable, "-m", "artguard", "run", "--site", str(site_path)]
    with ThreadPoolExecutor(len(USERS)) as pool, log_path.open("wb") as log:
        added = [
            pool.submit(
                artguard, ["users", "add", name, "--role", role, "--password-stdin"], env, PASSWORD
            )
            for name, role in USERS.items()
        ]
        process = subprocess.Popen(
            [*command, "--port", str(port)], stdout=log, stderr=subprocess.STDOUT, env=env
        )
        try:
            for future in added:
                future.result()
            _wait_healthy(url, process, log_path)
        except BaseException:
            process.kill()
            process.wait(5)
            doors.stop()
            raise
    return LiveServer(url, data_dir, log_path, token, doors, process)
