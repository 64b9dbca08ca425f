"""Screenshots of the dashboard's main pages for the README and docs (``docs/img/*.png``).

Starts ``artguard demo`` (the bundled museum with simulated devices and a scripted incident
every few seconds) on a free port in a throwaway data dir, signs in as the demo admin whose
password the demo prints, waits for incidents, and photographs each page with Debian's
Chromium driven by Playwright (no browser download). Meanwhile a short red-team drill of the
same site (``artguard drill``, one simulated day, every scenario, about a minute) stores its
result in the demo's database, so the KPIs page (photographed whole) shows its "Last drill"
panel:

    .venv/bin/python tools/screenshots.py            # -> docs/img/
    .venv/bin/python tools/screenshots.py --out /tmp/shots --incidents 3
    .venv/bin/python tools/screenshots.py --drill-days 0    # no drill, no "Last drill" panel

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
DRILL_SEED = 7
"""The drill gate's seed (docs/drills.md): the panel shows a run anyone can repeat."""
DRILL_TIMEOUT_S = 900.0
"""One simulated day takes about a minute alone, longer beside the demo on a small machine."""
DRILL_PANEL = "[data-testid=last-drill]"


@dataclass(frozen=True)
class Demo:
    url: str
    username: str
    password: str


@dataclass(frozen=True)
class Shot:
    """One picture: the file name, the route, the window size, what must show first (every
    selector) and whether to take the whole page rather than the window."""

    name: str
    route: str
    size: tuple[int, int]
    ready: tuple[str, ...]
    full_page: bool = False


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


class Drill:
    """``artguard drill`` of the demo site, running in the background into ``data_dir``'s
    database (the one ``artguard demo --data-dir`` serves), its output in ``drill.log``."""

    def __init__(self, data_dir: Path, days: float) -> None:
        from artguard.cli.service import bundled_demo_site

        self.log_path = data_dir / "drill.log"
        command = [sys.executable, "-m", "artguard", "drill", "--site", str(bundled_demo_site())]
        command += ["--days", f"{days:g}", "--scenarios", "all", "--seed", str(DRILL_SEED)]
        command += ["--data-dir", str(data_dir)]
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, cwd=ROOT)

    def wait(self, timeout_s: float) -> None:
        """Until the drill has stored its result; SystemExit with its log when it failed."""
        try:
            code = self.process.wait(timeout_s)
        except subprocess.TimeoutExpired:
            code = None
        if code != 0:
            text = self.log_path.read_text(encoding="utf-8", errors="replace")
            failed = f"exit code {code}" if code is not None else f"not done in {timeout_s:g} s"
            raise SystemExit(f"error: artguard drill failed ({failed}); its log:\n{text[-3000:]}")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()


@contextlib.contextmanager
def drill_in_background(data_dir: Path, days: float) -> Iterator[Drill | None]:
    """A :class:`Drill` of ``days`` simulated days while the block runs (None when 0 days);
    killed if the block ends before it does."""
    if days <= 0:
        yield None
        return
    drill = Drill(data_dir, days)
    try:
        yield drill
    finally:
        drill.stop()


def _healthy(url: str) -> bool:
    try:
        return httpx.get(f"{url}/api/health", timeout=1).status_code < 500
    except httpx.HTTPError:
        return False


def wait_for_incidents(demo: Demo, count: int, timeout_s: float) -> list[dict]:
    """The demo's incidents once there are ``count`` (the twin scripts attacks)."""
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


def shots(incident_id: str, drill: bool = True) -> list[Shot]:
    """The pictures; with ``drill`` the KPIs page also waits for its "Last drill" panel's
    figures and per-scenario table."""
    kpis = ("[data-testid=kpi-charts] :is(img, svg, canvas)",)
    if drill:
        kpis += (
            f"{DRILL_PANEL} [data-testid=drill-figures] dd",
            f"{DRILL_PANEL} [data-testid=drill-scenarios] tbody tr",
            f"{DRILL_PANEL} .kpi-chart img",
        )
    return [
        Shot("floor-plan", "#/floor", WIDE, ("svg#floorplan",)),
        Shot("incidents", "#/incidents", DESKTOP, ("[data-testid=incident-row]",)),
        Shot("incident", f"#/incidents/{incident_id}", DESKTOP, ("[data-testid=timeline] li",)),
        Shot("kpis", "#/kpis", DESKTOP, kpis, full_page=True),
        Shot("site", "#/site", DESKTOP, ("[data-testid=site-summary]",)),
        Shot("incidents-phone", "#/incidents", PHONE, ("[data-testid=incident-row]",)),
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
                    for selector in shot.ready:
                        page.locator(selector).first.wait_for()
                    if shot.full_page:
                        load_images(page)
                    page.wait_for_timeout(SETTLE_MS)
                    path = out / f"{shot.name}.png"
                    page.screenshot(path=str(path), full_page=shot.full_page)
                    print(f"wrote {path}")
                except Error as exc:
                    problems.append(f"{shot.name} ({shot.route}): {exc.message.splitlines()[0]}")
                finally:
                    context.close()
        finally:
            browser.close()
    return problems


SHOWN_IMAGES = "() => [...document.images].filter((img) => img.getClientRects().length > 0)"


def load_images(page: Page) -> None:
    """Scroll every image on show into view, so lazy ones below the window load too, and wait
    until all have loaded (a broken one times the shot out); then back to the top."""
    page.evaluate(f"() => ({SHOWN_IMAGES})().forEach((img) => img.scrollIntoView())")
    page.wait_for_function(
        f"() => ({SHOWN_IMAGES})().every((img) => img.complete && img.naturalWidth > 0)"
    )
    page.evaluate("() => window.scrollTo(0, 0)")


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
    parser.add_argument(
        "--drill-days",
        type=float,
        default=1.0,
        help="simulated days of the drill shown on the KPIs page (0: no drill)",
    )
    args = parser.parse_args(argv)
    if not args.chromium.is_file():
        parser.error(f"--chromium: {args.chromium} does not exist (make chromium)")
    if args.incidents < 1:
        parser.error("--incidents: expected at least 1 (the incident page needs one)")
    if args.drill_days < 0:
        parser.error("--drill-days: expected 0 (no drill) or more")
    args.out.mkdir(parents=True, exist_ok=True)
    with (
        tempfile.TemporaryDirectory(prefix="artguard-shots-") as tmp,
        drill_in_background(Path(tmp), args.drill_days) as drill,
        demo_server(Path(tmp), args.incident_every) as demo,
    ):
        incidents = wait_for_incidents(demo, args.incidents, args.timeout)
        top = max(incidents, key=lambda i: i.get("score") or 0)
        if drill is not None:
            print("waiting for the drill to store its result (about a minute) ...")
            drill.wait(DRILL_TIMEOUT_S)
        wanted = shots(top["id"], drill=drill is not None)
        problems = photograph(demo, args.chromium, args.out, wanted)
    for problem in problems:
        print(f"error: no screenshot of {problem}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
