"""Screenshots of the dashboard's main pages for the README and docs (``docs/img/*.png``).

Starts ``artguard demo`` (the bundled museum with simulated devices and a scripted incident
every few seconds) on a free port in a throwaway data dir, signs in as the demo admin whose
password the demo prints, waits for incidents, and photographs each page with Debian's
Chromium driven by Playwright (no browser download):

    .venv/bin/python tools/screenshots.py            # -> docs/img/
    .venv/bin/python tools/screenshots.py --out /tmp/shots --incidents 3

Needs ``/usr/bin/chromium`` (``make chromium``) and the ``playwright`` package (test extra).
"""

from __future__ import annotations

import argparse
import contextlib
import re
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import httpx

if TYPE_CHECKING:
    from playwright.sync_api import Page

ROOT = Path(__file__).resolve().parents[1]
CREDENTIALS = re.compile(r"sign in as (\S+) with password (\S+)")
WIDE = (1600, 1000)
DESKTOP = (1280, 800)
PHONE = (390, 844)
SETTLE_MS = 700
"""After a page's content shows: time for late pieces (charts, live counts) to draw."""


@dataclass(frozen=True)
class Demo:
    url: str
    username: str
    password: str


@dataclass(frozen=True)
class Shot:
    """One picture: the file name, the route, the window size and what must show first."""

    name: str
    route: str
    size: tuple[int, int]
    ready: str


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def demo_server(data_dir: Path, incident_every_s: int, timeout_s: float = 60) -> Iterator[Demo]:
    """``artguard demo`` on a free port until the block ends; its URL and sign-in."""
    port = free_port()
    log_path = data_dir / "demo.log"
    command = [sys.executable, "-m", "artguard", "demo", "--port", str(port)]
    command += ["--data-dir", str(data_dir), "--incident-every", str(incident_every_s)]
    with log_path.open("wb") as log:
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, cwd=ROOT)
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + timeout_s
        while True:
            text = log_path.read_text(encoding="utf-8", errors="replace")
            found = CREDENTIALS.search(text)
            if found and _healthy(url):
                yield Demo(url, found.group(1), found.group(2))
                return
            if process.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"error: artguard demo did not start; its log:\n{text[-3000:]}")
            time.sleep(0.2)
    finally:
        process.terminate()
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()


def _healthy(url: str) -> bool:
    try:
        return httpx.get(f"{url}/api/health", timeout=1).status_code < 500
    except httpx.HTTPError:
        return False


def wait_for_incidents(demo: Demo, count: int, timeout_s: float) -> list[dict]:
    """The demo's incidents once there are ``count`` (the simulator scripts them)."""
    with httpx.Client(base_url=demo.url, timeout=10) as client:
        signed = client.post(
            "/api/auth/login", json={"username": demo.username, "password": demo.password}
        )
        signed.raise_for_status()
        deadline = time.monotonic() + timeout_s
        while True:
            incidents = client.get("/api/incidents").json()
            if len(incidents) >= count:
                return list(incidents)
            if time.monotonic() > deadline:
                raise SystemExit(f"error: {len(incidents)} of {count} incidents in {timeout_s} s")
            time.sleep(1)


def shots(incident_id: str) -> list[Shot]:
    return [
        Shot("floor-plan", "#/floor", WIDE, "svg#floorplan"),
        Shot("incidents", "#/incidents", DESKTOP, "[data-testid=incident-row]"),
        Shot("incident", f"#/incidents/{incident_id}", DESKTOP, "[data-testid=timeline] li"),
        Shot(
            "kpis",
            "#/kpis",
            DESKTOP,
            "[data-testid=kpi-charts] :is(img, svg, canvas)",
        ),
        Shot("site", "#/site", DESKTOP, "[data-testid=site-summary]"),
        Shot("incidents-phone", "#/incidents", PHONE, "[data-testid=incident-row]"),
    ]


def photograph(demo: Demo, chromium: Path, out: Path, wanted: list[Shot]) -> list[str]:
    """Write one PNG per shot; the problems of shots that could not be taken."""
    from playwright.sync_api import Error, sync_playwright

    problems: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(chromium), headless=True)
        try:
            for shot in wanted:
                context = browser.new_context(
                    base_url=demo.url,
                    viewport={"width": shot.size[0], "height": shot.size[1]},
                    device_scale_factor=1,
                )
                page = context.new_page()
                page.set_default_timeout(15_000)
                try:
                    sign_in(page, demo)
                    page.goto(f"/{shot.route}")
                    page.locator(shot.ready).first.wait_for()
                    page.wait_for_timeout(SETTLE_MS)
                    path = out / f"{shot.name}.png"
                    page.screenshot(path=str(path))
                    print(f"wrote {path}")
                except Error as exc:
                    problems.append(f"{shot.name} ({shot.route}): {exc.message.splitlines()[0]}")
                finally:
                    context.close()
        finally:
            browser.close()
    return problems


def sign_in(page: Page, demo: Demo) -> None:
    page.goto("/")
    page.fill("form#login-form input#username", demo.username)
    page.fill("form#login-form input#password", demo.password)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_test_id("whoami").wait_for()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "img", help="PNG folder")
    parser.add_argument("--chromium", type=Path, default=Path("/usr/bin/chromium"))
    parser.add_argument("--incidents", type=int, default=2, help="incidents to wait for")
    parser.add_argument("--incident-every", type=int, default=12, help="seconds between them")
    parser.add_argument("--timeout", type=float, default=120, help="longest wait (s)")
    args = parser.parse_args(argv)
    if not args.chromium.is_file():
        parser.error(f"--chromium: {args.chromium} does not exist (make chromium)")
    if args.incidents < 1:
        parser.error("--incidents: expected at least 1 (the incident page needs one)")
    args.out.mkdir(parents=True, exist_ok=True)
    with (
        tempfile.TemporaryDirectory(prefix="artguard-shots-") as tmp,
        demo_server(Path(tmp), args.incident_every) as demo,
    ):
        incidents = wait_for_incidents(demo, args.incidents, args.timeout)
        top = max(incidents, key=lambda i: i.get("score") or 0)
        problems = photograph(demo, args.chromium, args.out, shots(top["id"]))
    for problem in problems:
        print(f"error: no screenshot of {problem}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
