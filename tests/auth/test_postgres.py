"""Users, sessions and throttling on PostgreSQL (the SQLite paths are covered elsewhere)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from artguard.auth import AuthService, SignInFailed, SignInThrottled
from artguard.config import Settings
from artguard.store.audit import AuditLog
from artguard.store.db import open_database
from tests.conftest import TEST_PASSWORD
from tests.services import require_postgres


@pytest.fixture
def pg_auth(tmp_path: Path) -> Iterator[AuthService]:
    base = require_postgres()
    schema = f"t_{uuid.uuid4().hex[:10]}"
    admin = create_engine(base)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = f"{base}?options=-csearch_path%3D{schema}"
    engine = open_database(Settings(data_dir=tmp_path, database_url=url))
    try:
        yield AuthService(engine, AuditLog(engine))
    finally:
        engine.dispose()
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.mark.services
def test_sign_in_lock_out_and_disable_on_postgresql(pg_auth: AuthService) -> None:
    pg_auth.create_user("cli", "uma", TEST_PASSWORD, "auditor")
    done = pg_auth.sign_in("uma", TEST_PASSWORD, "10.1.1.1")
    assert pg_auth.resolve(done.token) == done.principal
    for _ in range(5):
        with pytest.raises(SignInFailed):
            pg_auth.sign_in("uma", "not the password", "10.1.1.1")
    with pytest.raises(SignInThrottled):
        pg_auth.sign_in("uma", TEST_PASSWORD, "10.1.1.1")
    pg_auth.create_user("cli", "boss", TEST_PASSWORD, "admin")
    pg_auth.set_disabled("boss", "uma", True)
    assert pg_auth.resolve(done.token) is None
    assert [e.action for e in pg_auth.audit.entries(subject="uma", limit=50)][-1] == (
        "user.disabled"
    )
