"""A throwaway PostgreSQL schema for the triage tests that run on both backends."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from artguard.config import Settings
from tests.services import require_postgres


@pytest.fixture
def pg_settings(tmp_path: Path) -> Iterator[Settings]:
    base = require_postgres()
    schema = f"t_{uuid.uuid4().hex[:10]}"
    admin = create_engine(base)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield Settings(data_dir=tmp_path, database_url=f"{base}?options=-csearch_path%3D{schema}")
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()
