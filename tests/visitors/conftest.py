"""Database fixtures shared with the store tests: a fresh database on SQLite and PostgreSQL."""

from tests.store.conftest import (  # noqa: F401 (fixtures)
    engine,
    pg_database_url,
    postgresql_settings,
    settings,
    sqlite_settings,
)
