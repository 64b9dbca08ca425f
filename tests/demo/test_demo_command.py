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
    try:
        incidents: list[dict] = []
        deadline = time.monotonic() + 40
        while time.monotonic() < deadline and not incidents:
            time.sleep(0.5)
            try:
                incidents = httpx.get(f"{base}/api/incidents", timeout=2).json()
            except httpx.HTTPError:
                assert proc.poll() is None, proc.stdout.read().decode()[-2000:]
        assert incidents, "no incident within 40 s of starting the demo"
        # the first scripted incident is a forced door: named by triage after hours
        assert incidents[0]["pattern"] in {"door_forced", "after_hours_intrusion"}
        assert [c["rule"] for c in incidents[0]["contributions"]] == ["door_forced"]
        page = httpx.get(f"{base}/", timeout=2)
        assert page.status_code == 200 and "artguard" in page.text
        health = httpx.get(f"{base}/api/health", timeout=2).json()
        assert health["site"]["id"] == "demo-museum" and health["ingest"]["rejected"] == 0
    finally:
        proc.terminate()
        output = proc.communicate(timeout=20)[0].decode()
    assert f"dashboard at http://127.0.0.1:{port}/" in output
