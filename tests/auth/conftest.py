"""Fixtures for the platform-security tests: an app with a fresh database per test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from artguard.api.app import create_app
from artguard.config import Settings
from artguard.runtime import Runtime
from artguard.site import Site
from tests.conftest import SMALL_SITE


def make_client(data_dir: Path, site: Site, env: dict[str, str] | None = None) -> TestClient:
    settings = Settings(data_dir=data_dir, environ=env or {})
    runtime = Runtime(settings, site, site_path=SMALL_SITE, live_clock=False)
    return TestClient(create_app(runtime))


@pytest.fixture
def client(tmp_path: Path, small_site: Site) -> Iterator[TestClient]:
    with make_client(tmp_path / "var", small_site) as test_client:
        yield test_client
