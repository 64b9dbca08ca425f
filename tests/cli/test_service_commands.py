"""``artguard ingest`` and ``artguard tokens`` as a user runs them."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from artguard.cli import app
from artguard.config import Settings
from artguard.store.db import open_database
from artguard.triage import repository as repo
from tests.conftest import NIGHT, SMALL_SITE, at, badge, door, reading

runner = CliRunner()


def write_jsonl(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_ingest_replays_through_the_pipeline_and_names_bad_lines(tmp_path: Path) -> None:
    data_dir = tmp_path / "var"
    events = write_jsonl(
        tmp_path / "night.jsonl",
        [
            json.dumps(badge("r-vault", "badge-1", at(NIGHT, 0))),
            json.dumps(door("d-vault", "dc-vault", "open", at(NIGHT, 2))),  # granted: fine
            json.dumps(door("d-vault", "dc-vault", "closed", at(NIGHT, 8))),
            "{this is not json",
            json.dumps(reading("rh-vault", 72, at(NIGHT, 10))),  # humidity above 60: alert
            json.dumps(door("d-front", "dc-front", "open", at(NIGHT, 60))),  # no grant: forced
            json.dumps(reading("no-such-sensor", 1, at(NIGHT, 61))),
            "",
            json.dumps(door("d-front", "dc-front", "closed", at(NIGHT, 200))),  # held 140 s > 30 s
        ],
    )
    result = runner.invoke(
        app, ["ingest", str(events), "--site", str(SMALL_SITE), "--data-dir", str(data_dir)]
    )
    assert result.exit_code == 1, result.output
    assert f"{events}:4: malformed JSON" in result.output
    assert f"{events}:7: device_id: unknown device 'no-such-sensor'" in result.output
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    assert summary["accepted"] == 6 and summary["rejected"] == 2
    engine = open_database(Settings(data_dir=data_dir))
    with engine.connect() as conn:
        rules = sorted(a.rule for a in repo.list_alert_rows(conn, limit=100))
    assert rules == ["door_forced", "door_held_open", "sensor_threshold"]

    again = runner.invoke(
        app, ["ingest", str(events), "--site", str(SMALL_SITE), "--data-dir", str(data_dir)]
    )
    assert json.loads(again.stdout.strip().splitlines()[-1])["duplicates"] == 6


def test_ingest_missing_file_and_bad_site(tmp_path: Path) -> None:
    missing = runner.invoke(
        app, ["ingest", str(tmp_path / "nope.jsonl"), "--site", str(SMALL_SITE)]
    )
    assert missing.exit_code == 2
    bad_site = tmp_path / "bad.yaml"
    bad_site.write_text("site: {id: x}\n", encoding="utf-8")
    events = write_jsonl(tmp_path / "e.jsonl", [])
    result = runner.invoke(app, ["ingest", str(events), "--site", str(bad_site)])
    assert result.exit_code == 1 and "bad.yaml:" in result.output


def test_token_create_list_revoke(tmp_path: Path) -> None:
    data = ["--data-dir", str(tmp_path / "var")]
    unknown = runner.invoke(
        app,
        ["tokens", "create", "--name", "p", "--device", "ghost", "--site", str(SMALL_SITE), *data],
    )
    assert unknown.exit_code == 1 and "ghost" in unknown.output
    created = runner.invoke(
        app,
        [
            "tokens",
            "create",
            "--name",
            "vault-panel",
            "-d",
            "r-vault",
            "-d",
            "dc-vault",
            "--site",
            str(SMALL_SITE),
            *data,
        ],
    )
    assert created.exit_code == 0, created.output
    token_id = created.output.split("token id:")[1].split()[0]
    token = created.output.split("token:")[1].split()[0]
    listed = runner.invoke(app, ["tokens", "list", *data])
    assert token_id in listed.output and "active" in listed.output
    assert token not in listed.output
    assert runner.invoke(app, ["tokens", "revoke", token_id, *data]).exit_code == 0
    assert "revoked" in runner.invoke(app, ["tokens", "list", *data]).output
    assert runner.invoke(app, ["tokens", "revoke", token_id, *data]).exit_code == 1
