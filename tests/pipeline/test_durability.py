"""Kill -9 the running service mid-stream: nothing it acknowledged may be lost."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text

from artguard.config import Settings
from artguard.ingest.tokens import DeviceTokens
from artguard.store.db import open_database
from artguard.store.events import stored_ids
from tests.conftest import SMALL_SITE

pytestmark = pytest.mark.slow


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(data_dir: Path, port: int) -> subprocess.Popen[bytes]:
    env = {**os.environ, "ARTGUARD_DATA_DIR": str(data_dir), "ARTGUARD_CAMERAS": "off"}
    env.pop("ARTGUARD_DATABASE_URL", None)
    proc = subprocess.Popen(
        [sys.executable, "-m", "artguard", "run", "--site", str(SMALL_SITE), "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"server exited: {proc.stderr.read().decode()[-2000:]}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/health", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(0.1)
    proc.kill()
    raise AssertionError("server did not come up in 30 s")


def sender(url: str, token: str, prefix: str, acked: list[str], stop: threading.Event) -> None:
    with httpx.Client(timeout=5) as client:
        batch_no = 0
        while not stop.is_set():
            now = datetime.now(UTC).isoformat()
            ids = [f"{prefix}-{batch_no}-{i}" for i in range(50)]
            batch = [
                {
                    "id": i,
                    "kind": "sensor_reading",
                    "device_id": "t-vault",
                    "value": 20.0,
                    "site_time": now,
                }
                for i in ids
            ]
            try:
                response = client.post(
                    url, json=batch, headers={"Authorization": f"Bearer {token}"}
                )
            except httpx.HTTPError:
                return  # the server died mid-request: this batch was never acknowledged
            if response.status_code == 200:
                acked.extend(response.json()["accepted"])
            batch_no += 1


def test_nothing_acknowledged_is_lost_on_kill_9(tmp_path: Path) -> None:
    data_dir = tmp_path / "var"
    engine = open_database(Settings(data_dir=data_dir))
    token = DeviceTokens(engine).create("load", ["*"])[1]
    engine.dispose()
    port = free_port()
    server = start_server(data_dir, port)
    acked: list[str] = []
    stop = threading.Event()
    url = f"http://127.0.0.1:{port}/api/events"
    threads = [
        threading.Thread(target=sender, args=(url, token, f"s{n}", acked, stop)) for n in range(4)
    ]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + 20
    while len(acked) < 2000 and time.monotonic() < deadline:
        time.sleep(0.05)
    os.kill(server.pid, signal.SIGKILL)  # no shutdown hooks, no flush: a crash
    server.wait()
    stop.set()
    for thread in threads:
        thread.join()
    assert len(acked) >= 2000, "the load did not get going; nothing was tested"

    engine = open_database(Settings(data_dir=data_dir))
    with engine.connect() as conn:
        assert conn.execute(text("PRAGMA integrity_check")).scalar_one() == "ok"
        missing = set(acked) - stored_ids(conn, acked)
    engine.dispose()
    assert not missing, f"{len(missing)} acknowledged events lost, e.g. {sorted(missing)[:3]}"

    restarted = start_server(data_dir, port)  # and it comes back on the same data
    try:
        resend = httpx.post(
            url,
            headers={"Authorization": f"Bearer {token}"},
            json=[
                {
                    "id": acked[0],
                    "kind": "sensor_reading",
                    "device_id": "t-vault",
                    "value": 20.0,
                    "site_time": datetime.now(UTC).isoformat(),
                }
            ],
        )
        assert resend.status_code == 200 and resend.json()["duplicates"] == [acked[0]]
    finally:
        restarted.terminate()
        restarted.wait(timeout=20)
