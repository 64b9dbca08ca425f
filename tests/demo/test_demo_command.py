"""``artguard demo`` as a newcomer runs it: the dashboard is up and an incident shows up."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.pipeline.test_durability import free_port

pytestmark = pytest.mark.slow


def test_demo_serves_dashboard_and_produces_an_incident(tmp_path: Path) -> None:
    port = free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "artguard",
            "demo",
            "--port",
            str(port),
            "--data-dir",
            str(tmp_path / "demo"),
            "--incident-every",
            "3",
        ],
        env={k: v for k, v in os.environ.items() if not k.startswith("ARTGUARD_")},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    first_lines = b""
    client = httpx.Client(base_url=base, timeout=2)
    try:
        # No default password: the demo prints its admin's fresh one next to the URL.
        while b"sign in as" not in first_lines:
            line = proc.stdout.readline()  # type: ignore[union-attr]
            assert line, first_lines.decode()
            first_lines += line
        words = first_lines.decode().split("sign in as ")[1].split()
        username, password = words[0], words[3]
        incidents: list[dict] = []
        deadline = time.monotonic() + 40
        signed = False
        while time.monotonic() < deadline and not incidents:
            time.sleep(0.5)
            try:
                if not signed:
                    assert client.get("/api/incidents").status_code == 401
                    login = client.post(
                        "/api/auth/login", json={"username": username, "password": password}
                    )
                    assert login.status_code == 200, login.text
                    signed = True
                incidents = client.get("/api/incidents").json()
            except httpx.HTTPError:
                assert proc.poll() is None, proc.stdout.read().decode()[-2000:]
        assert incidents, "no incident within 40 s of starting the demo"
        # the first scripted incident is a forced door: named by triage after hours
        assert incidents[0]["pattern"] in {"door_forced", "after_hours_intrusion"}
        assert [c["rule"] for c in incidents[0]["contributions"]] == ["door_forced"]
        page = httpx.get(f"{base}/", timeout=2)
        assert page.status_code == 200 and "artguard" in page.text
        health = client.get("/api/health").json()
        assert health["site"]["id"] == "demo-museum" and health["ingest"]["rejected"] == 0
    finally:
        proc.terminate()
        client.close()
        output = (first_lines + proc.communicate(timeout=20)[0]).decode()
    assert f"dashboard at http://127.0.0.1:{port}/" in output
