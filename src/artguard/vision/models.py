"""Where the ONNX model files are, and a check that each is the file the manifest describes.

The models are converted once from package-shipped weights (``tools/convert_tfjs_to_onnx.py``)
and listed in ``models/MANIFEST.json`` with their sha256. Nothing is downloaded at run time: a
missing or altered file is an error that says which file and how to get it back.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

MODELS_DIR_ENV = "ARTGUARD_MODELS_DIR"
MANIFEST = "MANIFEST.json"
_RESTORE_HINT = (
    "restore it from the artguard repository (git checkout -- models/) or regenerate it with "
    "tools/convert_tfjs_to_onnx.py (see tools/README.md)"
)


class ModelFileError(RuntimeError):
    """A model file or the manifest is missing, unreadable or not the file that was verified."""


def models_dir() -> Path:
    """``$ARTGUARD_MODELS_DIR`` if set, else the repository's ``models/`` folder."""
    override = os.environ.get(MODELS_DIR_ENV)
    if override:
        return Path(override)
    return Path(__file__).resolve().parents[3] / "models"


def load_manifest(directory: Path | None = None) -> dict[str, Any]:
    """The ``models`` table of ``MANIFEST.json``: model name -> its entry."""
    path = (directory or models_dir()) / MANIFEST
    try:
        manifest = json.loads(path.read_text())
    except FileNotFoundError:
        raise ModelFileError(
            f"model manifest {path} not found; set {MODELS_DIR_ENV} to the folder holding the "
            f"models, or {_RESTORE_HINT}"
        ) from None
    except json.JSONDecodeError as exc:
        raise ModelFileError(f"model manifest {path} is not valid JSON: {exc}") from None
    return manifest["models"]


def model_entry(name: str, directory: Path | None = None) -> dict[str, Any]:
    """The manifest entry of one model (file, sha256, source, licence, inputs, outputs)."""
    models = load_manifest(directory)
    if name not in models:
        raise ModelFileError(f"model {name!r} is not in the manifest; known: {sorted(models)}")
    return models[name]


def model_path(name: str, directory: Path | None = None) -> Path:
    """Path of model ``name``'s file, after checking its sha256 against the manifest."""
    directory = directory or models_dir()
    entry = model_entry(name, directory)
    path = directory / entry["file"]
    if not path.is_file():
        raise ModelFileError(f"model file {path} is missing; {_RESTORE_HINT}")
    digest = _sha256(path)
    if digest != entry["sha256"]:
        raise ModelFileError(
            f"model file {path} has sha256 {digest}, but {MANIFEST} expects {entry['sha256']}: "
            f"the file is corrupted or was replaced; {_RESTORE_HINT}"
        )
    return path


def model_version(name: str, directory: Path | None = None) -> str:
    """A short, stable identity for decision records: ``name@package-version#sha256-prefix``."""
    entry = model_entry(name, directory)
    package = entry["source"]["package"].rsplit("@", 1)[-1]
    return f"{name}@{package}#{entry['sha256'][:12]}"


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()
