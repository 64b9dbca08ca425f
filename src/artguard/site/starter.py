"""``artguard init``: write a small but complete starter site to edit."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from artguard.site.base import ID_RULE, is_valid_id

SITE_FILE = "site.yaml"
_PLACEHOLDER = "__SITE_ID__"


def starter_text(site_id: str) -> str:
    """The starter site YAML with ``site_id`` filled in."""
    if not is_valid_id(site_id):
        raise ValueError(f"invalid site id {site_id!r}: ids are {ID_RULE}")
    template = resources.files("artguard.site").joinpath("starter.yaml").read_text("utf-8")
    return template.replace(_PLACEHOLDER, site_id)


def init_site(directory: Path, site_id: str) -> Path:
    """Write ``directory/site.yaml`` from the starter template and return its path.

    Raises ``FileExistsError`` rather than overwrite an existing file.
    """
    text = starter_text(site_id)
    directory = Path(directory)
    target = directory / SITE_FILE
    if target.exists():
        raise FileExistsError(
            f"{target} already exists; refusing to overwrite it "
            "(pick another directory or move the file away)"
        )
    directory.mkdir(parents=True, exist_ok=True)
    with target.open("x", encoding="utf-8") as handle:  # "x": never clobber a file made meanwhile
        handle.write(text)
    return target
