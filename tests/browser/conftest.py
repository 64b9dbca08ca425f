"""Fixtures of the browser tests: a real ``artguard run``, Debian's Chromium driven by
Playwright, pages per test, and a screenshot + HTML + console log of every page of a failed test.

Chromium is ``/usr/bin/chromium`` (``make chromium``); missing, the tests skip, or fail in CI
(``ARTGUARD_REQUIRE_SERVICES=1``), like the other service-backed tests.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.browser.artifacts import PageRecord, artifacts_dir, safe_name, save_artifacts
from tests.browser.live_server import LiveServer, start_server
from tests.browser.scenarios import Night
from tests.services import require_chromium

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

TIMEOUT_MS = 10_000
"""Longest wait for any one thing on a page; a live update normally takes well under 1 s."""
WIDE = (1280, 800)
PHONE = (390, 844)

PAGES = pytest.StashKey[list[PageRecord]]()
ARTIFACTS = pytest.StashKey[Path]()
OpenPage = Callable[..., "Page"]


@pytest.fixture(scope="package")
def chromium() -> Path:
    return require_chromium()


@pytest.fixture(scope="package")
def live_server(chromium: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    server = start_server(tmp_path_factory.mktemp("live-server"))
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="package")
def night() -> Night:
    """Start times for the scenarios the tests inject, in order, all at night."""
    return Night()


@pytest.fixture(scope="package")
def browser(chromium: Path) -> Iterator[Browser]:
    # Imported here: without playwright installed, require_chromium has skipped already.
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=TIMEOUT_MS)
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(chromium), headless=True)
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture
def open_page(
    request: pytest.FixtureRequest,
    browser: Browser,
    live_server: LiveServer,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[OpenPage]:
    """``open_page(label, size=WIDE)``: a page in a fresh browser context (its own cookies) on
    the live server. Every page is captured if the test fails."""
    records: list[PageRecord] = []
    request.node.stash[PAGES] = records
    request.node.stash[ARTIFACTS] = artifacts_dir(tmp_path_factory.getbasetemp())
    contexts = []

    def open_(label: str = "page", size: tuple[int, int] = WIDE) -> Page:
        context = browser.new_context(
            base_url=live_server.url,
            viewport={"width": size[0], "height": size[1]},
            accept_downloads=True,
        )
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        record = PageRecord(context.new_page(), label)
        record.watch()
        records.append(record)
        return record.page

    yield open_
    for context in contexts:
        context.close()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    """On a failed test (or fixture), save its pages while they are still open and name the
    files in the report."""
    outcome = yield
    report = outcome.get_result()  # type: ignore[attr-defined]
    records = item.stash.get(PAGES, [])
    if not report.failed or not records or report.when == "teardown":
        return
    directory = item.stash[ARTIFACTS]
    stem = safe_name(item.nodeid)
    lines: list[str] = []
    for record in records:
        lines += save_artifacts(record, directory, stem)
    report.sections.append(("browser artifacts", "\n".join(lines)))
