"""``artguard visitors learn`` and ``artguard visitors watch``."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

from typer.testing import CliRunner

from artguard.cli import app
from artguard.config import Settings
from artguard.events import WatchFlag
from artguard.store.db import open_database, writing
from artguard.store.events import insert_events
from artguard.visitors.store import load_model, save_flag
from tests.visitors.helpers import NOON, VISITORS_SITE, events, walk


def test_learn_stores_the_model_from_stored_events(tmp_path: Path) -> None:
    engine = open_database(Settings(data_dir=tmp_path))
    stream = events(walk(1, 0, [(0.0, 5.0), (12.0, 5.0)]) + walk(2, 20, [(0.0, 8.0), (9.0, 8.0)]))
    with writing(engine) as conn:
        insert_events(conn, [e.received(NOON) for e in stream])
    args = ["visitors", "learn", "--site", str(VISITORS_SITE), "--data-dir", str(tmp_path)]
    dry = CliRunner().invoke(app, [*args, "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "2 visitors" in dry.output and "not stored" in dry.output
    assert load_model(engine, "plaza-visitors")[1] is None
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output[result.output.index("{") :])
    assert summary["visitors"] == 2 and summary["rooms"]["plaza|12-15"]["visitors"] == 2
    assert load_model(engine, "plaza-visitors")[0].visitors == 2
    engine.dispose()


def test_learn_rejects_a_bad_since(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app,
        ["visitors", "learn", "--site", str(VISITORS_SITE), "--data-dir", str(tmp_path),
         "--since", "yesterday"],
    )  # fmt: skip
    assert result.exit_code == 2 and "--since" in result.output


def test_watch_lists_flags_with_reasons(tmp_path: Path) -> None:
    engine = open_database(Settings(data_dir=tmp_path))
    save_flag(
        engine,
        WatchFlag(
            device_id="visitors",
            site_time=NOON + timedelta(minutes=2),
            visitor_id="vis-abc",
            status="raised",
            reason_kinds=["circling"],
            reasons=["came back to 'Test Masterpiece' 5 separate times"],
            room_id="plaza",
            cameras=["cam-1"],
            first_seen=NOON,
            learned=True,
        ),
    )
    engine.dispose()
    args = ["visitors", "watch", "--site", str(VISITORS_SITE), "--data-dir", str(tmp_path)]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "vis-abc [raised] in plaza (cameras cam-1)" in result.output
    assert "- came back to 'Test Masterpiece' 5 separate times" in result.output
    as_json = CliRunner().invoke(app, [*args, "--json"])
    assert json.loads(as_json.output.splitlines()[0])["reason_kinds"] == ["circling"]
