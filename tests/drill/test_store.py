"""Drill runs stored and read back whole, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from artguard.config import Settings
from artguard.drill import store
from artguard.drill.codec import DrillDataError, from_data, to_data
from artguard.drill.summary import DrillFigures, by_scenario, percentile
from artguard.store.audit import AuditLog
from artguard.store.db import open_database
from artguard.store.tables import drill_runs
from tests.drill.drill_data import FINISHED, drill
from tests.triage.conftest import pg_settings  # noqa: F401  (fixture, used by name)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.services)])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    settings = (
        Settings(data_dir=tmp_path / "var")
        if request.param == "sqlite"
        else request.getfixturevalue("pg_settings")
    )
    engine = open_database(settings)
    yield engine
    engine.dispose()


def test_saved_drill_loads_back_equal(engine: Engine) -> None:
    result = drill()
    run_id = store.save(engine, result)
    loaded = store.get(engine, run_id)
    assert loaded == replace(result, id=run_id)
    assert loaded.scenarios[0].start.tzinfo is not None
    assert loaded.false_per_day() == {"dashboard": 1.0, "page_guard": 0.5}
    with engine.connect() as conn:  # a connection works as well as an engine
        assert store.get(conn, run_id) == loaded


def test_summary_columns_hold_the_headline_figures(engine: Engine) -> None:
    run_id = store.save(engine, drill())
    with engine.connect() as conn:
        row = conn.execute(select(drill_runs).where(drill_runs.c.id == run_id)).one()
    assert (row.site_id, row.seed, row.days) == ("small-museum", 42, 2.0)
    assert (row.scenarios, row.detected) == (6, 4)
    assert row.detection_rate == pytest.approx(4 / 6)
    assert row.false_incidents == 3
    assert row.false_high_per_day == pytest.approx(0.5)  # one score >= 0.7 over two days
    assert row.ttd_median_s == pytest.approx(13.0)  # of 4, 6, 20, 30
    assert row.ttd_p90_s == pytest.approx(27.0)  # 20 + 0.7 * (30 - 20)
    assert (row.events, row.wall_seconds) == (123_456, 12.5)
    assert row.finished_time == FINISHED


def test_latest_and_list_are_newest_first(engine: Engine) -> None:
    assert store.latest(engine) is None
    assert store.list_runs(engine) == []
    ids = []
    for n in range(3):
        finished = FINISHED + timedelta(hours=n)
        ids.append(store.save(engine, drill(seed=n, finished_time=finished)))
    assert store.latest(engine).id == ids[2]
    assert store.latest(engine, before=FINISHED + timedelta(hours=1)).id == ids[0]
    assert store.latest(engine, before=FINISHED) is None
    listed = store.list_runs(engine)
    assert [f.id for f in listed] == ids[::-1]
    assert [f.seed for f in listed] == [2, 1, 0]
    assert listed[0] == DrillFigures.of(store.get(engine, ids[2]))
    assert [f.id for f in store.list_runs(engine, limit=2)] == ids[:0:-1]


def test_latest_and_list_of_one_site(engine: Engine) -> None:
    ours = store.save(engine, drill())
    other = store.save(engine, drill(site_id="other", finished_time=FINISHED + timedelta(hours=1)))
    assert store.latest(engine).id == other
    assert store.latest(engine, site_id="small-museum").id == ours
    assert store.latest(engine, site_id="nowhere") is None
    assert [f.id for f in store.list_runs(engine, site_id="other")] == [other]


def test_ids_are_given_or_made_and_finished_defaults_to_now(engine: Engine) -> None:
    assert store.save(engine, drill(id="drill-2026-11-29")) == "drill-2026-11-29"
    before = datetime.now(UTC)
    made = store.save(engine, drill(finished_time=None))
    assert made != "drill-2026-11-29" and len(made) == 32
    assert store.get(engine, made).finished_time >= before - timedelta(seconds=1)
    assert store.get(engine, "no-such-run") is None
    with pytest.raises(ValueError, match="a drill with id 'drill-2026-11-29' is already stored"):
        store.save(engine, drill(id="drill-2026-11-29"))


def test_saving_is_audited_as_system_drill(engine: Engine) -> None:
    audit = AuditLog(engine)
    run_id = store.save(engine, drill(), audit=audit)
    entry = audit.head()
    assert (entry.actor, entry.action, entry.subject) == ("system:drill", "drill.stored", run_id)
    assert entry.details["detection_rate"] == pytest.approx(4 / 6)
    assert entry.details["site_id"] == "small-museum"
    assert audit.verify().ok


def test_bad_input_is_refused_with_the_reason(engine: Engine) -> None:
    with pytest.raises(ValueError, match=r"limit: expected 1\.\.500, got 0"):
        store.list_runs(engine, limit=0)
    with pytest.raises(ValueError, match="not JSON-serialisable"):
        store.save(engine, drill(extra={"what": object()}))
    with pytest.raises(ValueError, match="naive datetime"):
        store.save(engine, drill(start=datetime(2026, 11, 23)))
    assert store.list_runs(engine) == []  # nothing half-stored


def test_stored_data_that_is_not_a_drill_names_the_place() -> None:
    data = to_data(drill())
    data["scenarios"][1]["start"] = "yesterday"
    with pytest.raises(DrillDataError, match=r"drill.scenarios\[1\].start: expected an ISO time"):
        from_data(data)
    data = to_data(drill())
    del data["false_incidents"][0]["score"]
    with pytest.raises(DrillDataError, match=r"drill.false_incidents\[0\]: .*score"):
        from_data(data)


def test_figures_per_scenario_kind() -> None:
    kinds = {f.scenario: f for f in by_scenario(drill())}
    assert list(kinds) == ["theft", "tailgating", "insider"]
    theft = kinds["theft"]
    assert (theft.runs, theft.detected, theft.missed) == (3, 3, 0)
    assert (theft.ttd_median_s, theft.ttd_max_s) == (6.0, 20.0)
    assert theft.patterns == ("theft_in_progress",)
    assert kinds["tailgating"].rate == 0.5
    assert kinds["insider"].ttd_median_s is None and kinds["insider"].patterns == ()
    assert percentile([], 0.9) is None
    assert percentile([5.0], 0.9) == 5.0
