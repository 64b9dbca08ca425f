"""``artguard face``: JSON shapes and exit codes for integrators and audits."""

from __future__ import annotations

import json

import cv2
import pytest
from typer.testing import CliRunner

from artguard.biometrics.keys import KEY_ENV, parse_key
from artguard.cli import app
from artguard.config import Settings
from artguard.store.audit import AuditLog
from artguard.store.db import open_database
from tests.biometrics.data import (
    PTH_DIR,
    SAMPLES,
    TRAIN,
    clip_frames,
    needs_dlib,
    needs_faces,
    needs_silent_face,
)

runner = CliRunner()
OBAMA, OBAMA2 = TRAIN / "obama/obama.jpg", TRAIN / "obama/obama2.jpg"
BIDEN = TRAIN / "biden/biden.jpg"


def run(*args: str, env: dict[str, str] | None = None):
    return runner.invoke(app, list(args), env=env)


def json_lines(output: str) -> list[dict]:
    return [json.loads(line) for line in output.splitlines() if line.startswith("{")]


@needs_dlib
@needs_faces
def test_verify_json_shape_and_exit_codes() -> None:
    same = run("face", "verify", str(OBAMA), str(OBAMA2), "--json")
    assert same.exit_code == 0, same.output
    data = json.loads(same.stdout)
    assert set(data) >= {"distance", "threshold", "match"}
    assert data["match"] is True and data["threshold"] == 0.55 and 0 < data["distance"] < 0.55
    other = run("face", "verify", str(OBAMA), str(BIDEN), "--json", "--threshold", "0.6")
    assert other.exit_code == 1
    assert json.loads(other.stdout) == {
        "distance": pytest.approx(json.loads(other.stdout)["distance"]),
        "threshold": 0.6,
        "match": False,
    }
    text = run("face", "verify", str(OBAMA), str(BIDEN))
    assert "different people" in text.stdout


def test_verify_bad_input_exits_2_with_the_file_named(tmp_path) -> None:
    result = run("face", "verify", str(tmp_path / "a.jpg"), str(tmp_path / "b.jpg"))
    assert result.exit_code == 2
    assert "a.jpg: no such image file" in result.output
    bad = run("face", "verify", "x.jpg", "y.jpg", "--threshold", "3")
    assert bad.exit_code == 2 and "--threshold" in bad.output


@needs_dlib
@needs_silent_face
def test_liveness_scores_each_image(tmp_path) -> None:
    data_dir = tmp_path / "var"
    imported = run(
        "face",
        "import-liveness",
        *(str(p) for p in sorted(PTH_DIR.glob("*.pth"))),
        "--data-dir",
        str(data_dir),
    )
    assert imported.exit_code == 0, imported.output
    images = [SAMPLES / "image_F1.jpg", SAMPLES / "image_T1.jpg"]
    result = run(
        "face", "liveness", *(str(p) for p in images), "--data-dir", str(data_dir), "--json"
    )
    assert result.exit_code == 1  # one image is a fake
    rows = json_lines(result.stdout)
    assert [r["image"] for r in rows] == [str(p) for p in images]
    assert all(isinstance(r["score"], float) and isinstance(r["live"], bool) for r in rows)
    assert [r["live"] for r in rows] == [False, True]
    live_only = run("face", "liveness", str(images[1]), "--data-dir", str(data_dir))
    assert live_only.exit_code == 0 and " live" in live_only.stdout


def test_liveness_without_models_or_prompt_says_how_to_import(tmp_path) -> None:
    result = run("face", "liveness", "x.jpg", "--data-dir", str(tmp_path))
    assert result.exit_code == 2 and "import-liveness" in result.output
    bad = run("face", "liveness", "x.jpg", "--prompt", "smile", "--data-dir", str(tmp_path))
    assert bad.exit_code == 2 and "turn_left" in bad.output


@needs_dlib
@needs_faces
def test_liveness_checks_a_frame_sequence_against_its_prompt(tmp_path) -> None:
    frames = []
    for i in range(145, 175):  # the speaker turns to his own left (see test_challenge)
        path = tmp_path / f"frame{i:03d}.png"
        cv2.imwrite(str(path), clip_frames()[i])
        frames.append(str(path))
    args = ["face", "liveness", *frames, "--fps", "29.97", "--data-dir", str(tmp_path), "--json"]
    answered = run(*args, "--prompt", "turn_left")
    assert answered.exit_code == 0, answered.output
    rows = json_lines(answered.stdout)
    assert len(rows) == 31 and all(r["face"] for r in rows[:30])
    assert rows[0]["score"] is None  # no passive models imported in this data dir
    assert rows[-1]["challenge"]["passed"] is True
    assert rows[-1]["challenge"]["prompt"] == "turn_left"
    wrong = run(*args, "--prompt", "turn_right")
    assert wrong.exit_code == 1
    assert json_lines(wrong.stdout)[-1]["challenge"]["passed"] is False
    static = run(
        "face", "liveness", *[frames[0]] * 20, "--prompt", "turn_left", "--data-dir", str(tmp_path)
    )
    assert static.exit_code == 1 and "FAILED" in static.stdout


@needs_dlib
@needs_faces
def test_enrol_and_erase_through_the_cli_are_audited(tmp_path) -> None:
    key = run("face", "new-key").stdout.strip()
    parse_key(key, "new-key output")
    env = {KEY_ENV: key}
    data_dir = str(tmp_path / "var")
    enrolled = run(
        "face",
        "enrol",
        "staff-1",
        str(OBAMA),
        str(OBAMA2),
        "--consent-given-by",
        "B. Obama",
        "--recorded-by",
        "registrar",
        "--consent-version",
        "v1",
        "--data-dir",
        data_dir,
        env=env,
    )
    assert enrolled.exit_code == 0, enrolled.output
    assert "2 photo(s)" in enrolled.stdout
    erased = run("face", "erase", "staff-1", "--actor", "dpo", "--data-dir", data_dir, env=env)
    assert erased.exit_code == 0 and "erased staff-1" in erased.stdout
    assert not list((tmp_path / "var" / "biometrics" / "templates").glob("*.tpl"))
    engine = open_database(Settings(data_dir=tmp_path / "var"))
    try:
        actions = [e.action for e in AuditLog(engine).entries() if e.subject == "staff-1"]
    finally:
        engine.dispose()
    assert actions == ["biometric.enrol", "biometric.erase"]
    no_key = run(
        "face", "erase", "staff-1", "--actor", "dpo", "--data-dir", data_dir, env={KEY_ENV: ""}
    )
    assert no_key.exit_code == 2 and KEY_ENV in no_key.output
