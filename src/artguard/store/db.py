"""Opening the database: engine settings per backend and schema migration."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from pathlib import Path

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from sqlalchemy import Connection, Engine, create_engine, event, inspect

from artguard.config import Settings

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"

# Arbitrary constant; every process migrating the same PostgreSQL database takes this lock.
_MIGRATE_LOCK_KEY = 0x61727467_6D696772  # "artgmigr"
# Alembic keeps the running migration context in module globals: one migration per process.
_migrate_in_process = threading.Lock()


_sqlite_write_locks: dict[str, threading.RLock] = {}
_sqlite_write_locks_guard = threading.Lock()


def write_lock(engine: Engine) -> AbstractContextManager[object]:
    """The lock every writer of this database in this process holds while it writes.

    SQLite allows one writer at a time; a second one waits in SQLite's busy handler, which
    sleeps in steps of up to 100 ms, so contended writes get slow tails. Taking a process-wide
    lock first makes writers queue without sleeping. PostgreSQL needs nothing of the kind.
    """
    if engine.dialect.name != "sqlite":
        return nullcontext()
    key = engine.url.render_as_string(hide_password=True)
    with _sqlite_write_locks_guard:
        return _sqlite_write_locks.setdefault(key, threading.RLock())


@contextmanager
def writing(engine: Engine) -> Iterator[Connection]:
    """A write transaction: the process write lock (SQLite), then ``engine.begin()``."""
    with write_lock(engine), engine.begin() as conn:
        yield conn


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


def alembic_config(connection: Connection | None = None) -> Config:
    """Alembic configuration built in code, so neither users nor services need an alembic.ini.

    With ``connection`` the migration environment runs on it; without, ``env.py`` opens the
    database named by ``ARTGUARD_DATA_DIR`` / ``ARTGUARD_DATABASE_URL`` (for writing new
    migrations with ``alembic.command.revision(..., autogenerate=True)``).
    """
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("path_separator", "os")
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest migration; a no-op when it is already there.

    The whole upgrade runs in one transaction that holds the database's write lock (SQLite:
    ``BEGIN IMMEDIATE``; PostgreSQL: an advisory lock), so services starting together migrate
    once and the others wait, then find nothing to do. On SQLite foreign keys are off while
    migrating: batch migrations rebuild tables, and dropping a referenced table would otherwise
    fire its ``ON DELETE`` actions on the rows that refer to it.
    """
    sqlite = engine.dialect.name == "sqlite"
    with _migrate_in_process, engine.connect() as connection:
        if sqlite:
            # Only effective outside a transaction; pysqlite has not begun one yet.
            connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
            connection.commit()
        try:
            with connection.begin():
                if sqlite:
                    connection.exec_driver_sql("BEGIN IMMEDIATE")
                elif engine.dialect.name == "postgresql":
                    connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_MIGRATE_LOCK_KEY})")
                config = alembic_config(connection)
                if _created_before_migrations(connection):
                    command.stamp(config, "head")
                command.upgrade(config, "head")
                if sqlite:
                    _check_foreign_keys(connection)
        finally:
            if sqlite:
                connection.exec_driver_sql("PRAGMA foreign_keys=ON")
                connection.commit()


def _created_before_migrations(connection: Connection) -> bool:
    """True for a database made by ``metadata.create_all`` before artguard used Alembic.

    Its tables are adopted as they are when they equal ``tables.py``; anything else is an
    error rather than a guess.
    """
    if MigrationContext.configure(connection).get_current_revision() is not None:
        return False
    if not inspect(connection).has_table("audit_log"):
        return False
    from artguard.store.tables import metadata

    context = MigrationContext.configure(connection, opts={"compare_type": True})
    diffs = compare_metadata(context, metadata)
    if diffs:
        raise RuntimeError(
            "the database has artguard tables but no migration history, and they differ from "
            f"the current schema ({len(diffs)} differences, first: {diffs[0]}); migrate it by hand"
        )
    return True


def _check_foreign_keys(connection: Connection) -> None:
    violations = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
    if violations:
        raise RuntimeError(f"migration left rows with dangling foreign keys: {violations[:5]}")


def open_database(settings: Settings) -> Engine:
    """Create the engine and migrate the schema; the one way services open the store."""
    engine = create_engine_for(settings)
    migrate(engine)
    return engine
