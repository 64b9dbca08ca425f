"""Small helpers for site tests: a valid base document to break, and line lookup."""

from __future__ import annotations

from pathlib import Path

from artguard.site import Problem, check_site
from artguard.site.starter import starter_text

REPO = Path(__file__).resolve().parents[2]
DEMO_SITE = REPO / "examples" / "demo-site" / "site.yaml"
BASE = starter_text("test-site")
"""The starter site: valid, small, and covering every section."""


def edit(text: str, old: str, new: str) -> str:
    """Replace the single occurrence of ``old``; fails loudly if the base text changed."""
    assert text.count(old) == 1, f"expected exactly one {old!r} in the base site"
    return text.replace(old, new)


def line_of(text: str, needle: str) -> int:
    """1-based line on which the first occurrence of ``needle`` (possibly multi-line) starts."""
    index = text.find(needle)
    assert index >= 0, f"{needle!r} not in text"
    return text.count("\n", 0, index) + 1


def problems_for(tmp_path: Path, text: str) -> list[Problem]:
    path = tmp_path / "site.yaml"
    path.write_text(text, encoding="utf-8")
    return check_site(path)


def only(problems: list[Problem], field: str) -> Problem:
    """The one problem about ``field``."""
    found = [p for p in problems if p.field == field]
    assert len(found) == 1, f"expected one problem for {field}, got {[str(p) for p in problems]}"
    return found[0]
