"""Fixtures for the store tests: every test gets a fresh database on SQLite and on PostgreSQL.

PostgreSQL tests run in a throwaway database created for the session; each test gets its own
schema there (selected through the URL's ``search_path``), dropped afterwards.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

from artguard.config import Settings
from artguard.store.db import open_database
from tests.services import require_postgres


@pytest.fixture(scope="session")
def pg_database_url() -> Iterator[str]:
    """URL of a PostgreSQL database that exists only for this test session."""
    server_url = make_url(require_postgres())
    name = f"artguard_store_{uuid.uuid4().hex[:12]}"
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield server_url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def postgresql_settings(pg_database_url: str, tmp_path: Path) -> Iterator[Settings]:
    """Settings for an empty schema of its own in the session's PostgreSQL database."""
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(pg_database_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = f"{pg_database_url}?options=-csearch_path%3D{schema}"
    try:
        yield Settings(data_dir=tmp_path / "var", database_url=url)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def sqlite_settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "var")


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.services)])
def settings(request: pytest.FixtureRequest) -> Settings:
    """Settings for an empty database, once per backend."""
    return request.getfixturevalue(f"{request.param}_settings")


@pytest.fixture
def engine(settings: Settings) -> Iterator[Engine]:
    """A migrated, empty database, once per backend."""
    engine = open_database(settings)
    yield engine
    engine.dispose()
