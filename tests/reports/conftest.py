"""Fixtures of the report tests: a store holding the constructed week (SQLite, PostgreSQL)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from artguard.config import Settings
from artguard.store.db import open_database
from tests.reports.data import fill
from tests.triage.conftest import pg_settings  # noqa: F401  (fixture, used by name)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.services)])
def week_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    settings = (
        Settings(data_dir=tmp_path / "var")
        if request.param == "sqlite"
        else request.getfixturevalue("pg_settings")
    )
    engine = open_database(settings)
    fill(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def sqlite_week(tmp_path: Path) -> Iterator[Engine]:
    engine = open_database(Settings(data_dir=tmp_path / "var"))
    fill(engine)
    yield engine
    engine.dispose()
