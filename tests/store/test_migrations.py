"""Alembic migrations build exactly the schema in ``tables.py``, once, on both backends."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, event, inspect, select, text

from artguard.config import Settings
from artguard.store.db import alembic_config, create_engine_for, migrate, open_database
from artguard.store.tables import events, metadata
from tests.store.helpers import run_in_processes


def _schema_diffs(engine: Engine) -> list[object]:
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        return list(compare_metadata(context, metadata))


def _version(engine: Engine) -> str:
    with engine.connect() as conn:
        return conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one()


def test_one_head_and_it_is_what_migrate_applies(engine: Engine) -> None:
    heads = ScriptDirectory.from_config(alembic_config()).get_heads()
    assert len(heads) == 1
    assert _version(engine) == heads[0]


def test_migrated_schema_matches_tables_py(engine: Engine) -> None:
    assert _schema_diffs(engine) == []
    tables = set(inspect(engine).get_table_names())
    assert set(metadata.tables) <= tables


def test_migrate_again_changes_nothing(engine: Engine) -> None:
    now = datetime(2025, 3, 1, 12, tzinfo=UTC)
    with engine.begin() as conn:
        conn.execute(
            events.insert().values(
                id="e1",
                kind="door_state",
                device_id="d1",
                site_time=now,
                received_time=now,
                payload="{}",
            )
        )
    statements: list[str] = []

    @event.listens_for(engine, "before_cursor_execute")
    def _record(conn, cursor, statement, *args) -> None:  # type: ignore[no-untyped-def]
        statements.append(statement)

    migrate(engine)
    ddl = [s for s in statements if s.lstrip().upper().startswith(("CREATE", "ALTER", "DROP"))]
    assert ddl == []
    assert statements, "migrate did not even look at the database"
    with engine.connect() as conn:
        assert conn.execute(select(events.c.id)).scalars().all() == ["e1"]


def test_downgrade_to_base_and_back(engine: Engine) -> None:
    with engine.begin() as conn:
        command.downgrade(alembic_config(conn), "base")
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    migrate(engine)
    assert _schema_diffs(engine) == []


def test_threads_migrating_together_migrate_once(settings: Settings) -> None:
    engines = [create_engine_for(settings) for _ in range(4)]
    errors: list[BaseException] = []
    start = threading.Barrier(len(engines))

    def run(engine: Engine) -> None:
        try:
            start.wait()
            migrate(engine)
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(e,)) for e in engines]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    try:
        assert errors == []
        assert _schema_diffs(engines[0]) == []
    finally:
        for engine in engines:
            engine.dispose()


def test_services_starting_together_migrate_once(settings: Settings) -> None:
    code = "from artguard.store.db import open_database\nopen_database(settings).dispose()\n"
    run_in_processes(code, settings, count=3)
    engine = create_engine_for(settings)
    try:
        assert _schema_diffs(engine) == []
    finally:
        engine.dispose()


def test_sqlite_file_lives_in_the_data_dir_with_wal_and_foreign_keys(
    sqlite_settings: Settings,
) -> None:
    engine = open_database(sqlite_settings)
    try:
        assert (sqlite_settings.data_dir / "artguard.db").is_file()
        with engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            # migrate() turns foreign keys off while it runs; they must be back on after.
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
    finally:
        engine.dispose()


def test_sqlite_synchronous_comes_from_settings(tmp_path) -> None:  # type: ignore[no-untyped-def]
    engine = open_database(Settings(data_dir=tmp_path, sqlite_synchronous="NORMAL"))
    try:
        with engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 1
    finally:
        engine.dispose()


def test_database_made_before_migrations_is_adopted(settings: Settings) -> None:
    engine = create_engine_for(settings)
    try:
        metadata.create_all(engine)  # how databases were made before Alembic
        migrate(engine)
        assert _version(engine) == ScriptDirectory.from_config(alembic_config()).get_heads()[0]
        assert _schema_diffs(engine) == []
    finally:
        engine.dispose()


def test_database_made_before_migrations_that_differs_is_refused(settings: Settings) -> None:
    engine = create_engine_for(settings)
    try:
        metadata.create_all(engine)
        with engine.begin() as conn:
            conn.execute(text("DROP INDEX ix_audit_log_ts"))
        with pytest.raises(RuntimeError, match="no migration history"):
            migrate(engine)
    finally:
        engine.dispose()
