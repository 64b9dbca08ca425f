"""What a failed browser test leaves behind: a screenshot, the page's HTML and its console."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from playwright.sync_api import Page

ARTIFACTS_ENV = "ARTGUARD_BROWSER_ARTIFACTS"
"""Where to keep them instead of ``<pytest base temp>/browser-artifacts``."""


@dataclass
class PageRecord:
    """A page a test opened and what its console said (errors help explain a failure)."""

    page: Page
    label: str
    console: list[str] = field(default_factory=list)

    def watch(self) -> None:
        self.page.on("console", lambda msg: self.console.append(f"{msg.type}: {msg.text}"))
        self.page.on("pageerror", lambda exc: self.console.append(f"pageerror: {exc}"))


def artifacts_dir(default_base: Path) -> Path:
    configured = os.environ.get(ARTIFACTS_ENV)
    return Path(configured) if configured else default_base / "browser-artifacts"


def safe_name(text: str) -> str:
    """A test node id as a file name: ``tests/browser/x.py::test_a[1]`` -> ``x.py-test_a-1``."""
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", text.split("/")[-1]).strip("-")


def save_artifacts(record: PageRecord, directory: Path, stem: str) -> list[str]:
    """Screenshot (full page), HTML and console log of ``record``'s page, as report lines
    naming each file; a page that cannot be captured any more (closed, crashed) is named with
    the reason instead of raising, so the original failure stays the one reported."""
    directory.mkdir(parents=True, exist_ok=True)
    base = directory / f"{stem}-{record.label}"
    lines = [f"{record.label}: {record.page.url if not record.page.is_closed() else '(closed)'}"]
    try:
        record.page.screenshot(path=f"{base}.png", full_page=True)
        lines.append(f"  screenshot: {base}.png")
        Path(f"{base}.html").write_text(record.page.content(), encoding="utf-8")
        lines.append(f"  html:       {base}.html")
    except Exception as exc:  # the page may be gone; say so and keep the other artifacts
        lines.append(f"  not captured: {type(exc).__name__}: {exc}")
    Path(f"{base}.console.txt").write_text("\n".join(record.console) + "\n", encoding="utf-8")
    lines.append(f"  console:    {base}.console.txt ({len(record.console)} messages)")
    return lines
