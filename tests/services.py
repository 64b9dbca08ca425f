"""Access to the local services (PostgreSQL, Mosquitto) for integration tests.

Elsewhere a missing service skips the test with the reason; in CI
(``ARTGUARD_REQUIRE_SERVICES=1``) it fails the test instead, so CI cannot go green by skipping.
"""

from __future__ import annotations

import importlib.util
import os
import socket
from pathlib import Path

import pytest

POSTGRES_URL = os.environ.get(
    "ARTGUARD_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
MQTT_HOST = os.environ.get("ARTGUARD_TEST_MQTT_HOST", "127.0.0.1")
MQTT_PORT = int(os.environ.get("ARTGUARD_TEST_MQTT_PORT", "1883"))
CHROMIUM = Path(os.environ.get("ARTGUARD_TEST_CHROMIUM", "/usr/bin/chromium"))
"""Debian's Chromium, driven by Playwright in tests/browser (``make chromium`` installs it)."""


def services_required() -> bool:
    return os.environ.get("ARTGUARD_REQUIRE_SERVICES") == "1"


def _reachable(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1.0):
            return True
    except OSError:
        return False


def _missing(what: str, problem: str = "is not reachable") -> None:
    message = f"{what} {problem}"
    if services_required():
        pytest.fail(f"{message} and ARTGUARD_REQUIRE_SERVICES=1")
    pytest.skip(f"{message}; set it up or run in CI")


def require_postgres() -> str:
    """The PostgreSQL URL for tests, or skip/fail when the server is not there."""
    if not _reachable("127.0.0.1", 5432):
        _missing("PostgreSQL at 127.0.0.1:5432")
    return POSTGRES_URL


def require_mqtt() -> tuple[str, int]:
    """Mosquitto's host and port for tests, or skip/fail when the broker is not there."""
    if not _reachable(MQTT_HOST, MQTT_PORT):
        _missing(f"MQTT broker at {MQTT_HOST}:{MQTT_PORT}")
    return MQTT_HOST, MQTT_PORT


def require_chromium() -> Path:
    """Chromium's path for the browser tests, or skip/fail when it or the ``playwright``
    package (the ``test`` extra) is missing. Playwright's own browser downloads are never used."""
    if importlib.util.find_spec("playwright") is None:
        _missing("the playwright package (pip install -e '.[test]')", "is not installed")
    if not (CHROMIUM.is_file() and os.access(CHROMIUM, os.X_OK)):
        _missing(f"Chromium at {CHROMIUM} (make chromium)", "is not installed")
    return CHROMIUM
