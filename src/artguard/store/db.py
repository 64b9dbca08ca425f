"""Opening the database: engine settings per backend and schema migration."""

from __future__ import annotations

from sqlalchemy import Engine, create_engine, event

from artguard.config import Settings


def create_engine_for(settings: Settings) -> Engine:
    """An engine for the configured database; SQLite gets WAL and the configured durability."""
    url = settings.resolved_database_url
    if url.startswith("sqlite"):
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})
        synchronous = settings.sqlite_synchronous

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute(f"PRAGMA synchronous={synchronous}")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()

        return engine
    return create_engine(url, pool_pre_ping=True)


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest migration (idempotent)."""
    from artguard.store.tables import metadata

    metadata.create_all(engine)


def open_database(settings: Settings) -> Engine:
    """Create the engine and migrate the schema; the one way services open the store."""
    engine = create_engine_for(settings)
    migrate(engine)
    return engine
