"""``init_site``: a starter site that passes the checks, never written over an existing file."""

from __future__ import annotations

from pathlib import Path

import pytest

from artguard.site import check_site, init_site, load_site


def test_starter_site_passes_check_and_uses_the_given_id(tmp_path: Path) -> None:
    path = init_site(tmp_path / "new-site", "harbour-museum")
    assert path == tmp_path / "new-site" / "site.yaml"
    assert check_site(path) == []
    site = load_site(path)
    assert site.id == "harbour-museum"
    # small but complete: every section has something to edit
    for section in ("floors", "schedules", "holidays", "rooms", "artworks", "cameras", "doors"):
        assert getattr(site, section), section
    for section in ("sensors", "roles", "people"):
        assert getattr(site, section), section
    assert {s.type for s in site.sensors} >= {"motion", "door_contact", "temperature"}


def test_refuses_to_overwrite(tmp_path: Path) -> None:
    existing = tmp_path / "site.yaml"
    existing.write_text("mine\n", encoding="utf-8")
    with pytest.raises(FileExistsError, match="already exists; refusing to overwrite"):
        init_site(tmp_path, "x")
    assert existing.read_text(encoding="utf-8") == "mine\n"


def test_rejects_an_invalid_site_id(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="invalid site id 'my museum'"):
        init_site(tmp_path, "my museum")
    assert not (tmp_path / "site.yaml").exists()
