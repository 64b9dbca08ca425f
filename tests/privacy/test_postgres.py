"""Export and erasure on PostgreSQL (JSON columns searched as text, one transaction)."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from dataclasses import replace

import pytest
from sqlalchemy import create_engine, select, text

from artguard.config import Settings
from artguard.privacy.erase import erase_subject
from artguard.privacy.export import export_subject
from artguard.privacy.logic import explain_decision
from artguard.runtime import Runtime
from artguard.site import Site
from artguard.store.tables import alerts
from tests.privacy.conftest import Populated, populate
from tests.services import require_postgres

pytestmark = pytest.mark.services


@pytest.fixture
async def pg_populated(key_settings: Settings, two_people_site: Site) -> AsyncIterator[Populated]:
    base = require_postgres()
    schema = f"p_{uuid.uuid4().hex[:10]}"
    admin = create_engine(base)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    settings = replace(key_settings, database_url=f"{base}?options=-csearch_path%3D{schema}")
    runtime = Runtime(settings, two_people_site, live_clock=False)
    await runtime.start()
    try:
        yield await populate(runtime)
    finally:
        await runtime.stop()
        runtime.engine.dispose()
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def test_export_erase_and_logic_on_postgres(pg_populated: Populated) -> None:
    runtime = pg_populated.runtime
    site, engine = runtime.site, runtime.engine
    document = export_subject(engine, site, "p-2", "dpo", runtime.templates)
    assert document["counts"]["access_decisions"] == 5
    assert [a["rule"] for a in document["alerts"]] == ["access_lockout"]
    assert "Alex Guard" not in json.dumps(document)

    report = erase_subject(engine, site, "p-2", "dpo", "DSR-1", runtime.templates)
    assert report.template_erased and report.alerts_pseudonymised == 1
    with engine.connect() as conn:
        titles = list(conn.execute(select(alerts.c.title)).scalars())
    assert "Credential locked out: [erased]" in titles
    assert export_subject(engine, site, "p-2", "dpo", None)["counts"]["access_decisions"] == 0
    assert runtime.audit.verify().ok

    logic = explain_decision(engine, site, pg_populated.grant_event_id)
    assert logic["audit"] is not None and logic["outcome"] == "grant"
