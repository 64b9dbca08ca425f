"""The dashboard in a real browser (Debian's Chromium via Playwright) against ``artguard run``.

Selectors are the ones the dashboard promises to keep (``docs/dashboard.md``, "Browser tests"):
ids and ``data-testid`` attributes, plus ARIA roles and accessible names. Events come in through
``POST /api/events`` with a device token, as a panel would send them; the door locks answer
from the door simulator over HTTP.
"""

from __future__ import annotations

import re

import pytest

from tests.browser.conftest import PHONE, OpenPage
from tests.browser.live_server import LiveServer
from tests.browser.scenarios import Night, theft, vault_door_forced
from tests.services import services_required

try:
    from playwright.sync_api import Locator, Page, expect
except ImportError:  # the fixtures then skip (or fail in CI) naming what to install
    if services_required():
        raise
    pytest.skip("the playwright package is not installed", allow_module_level=True)

pytestmark = pytest.mark.browser


def sign_in(page: Page, server: LiveServer, username: str) -> None:
    page.goto("/")
    form = page.locator("form#login-form")
    form.locator("input#username").fill(username)
    form.locator("input#password").fill(server.password)
    form.get_by_role("button", name="Sign in").click()
    expect(page.get_by_test_id("whoami")).to_contain_text(username)


def open_route(page: Page, route: str) -> None:
    """Follow the navigation link to ``#/<route>``, as a user would."""
    page.locator(f'nav a[href="#/{route}"]').click()
    expect(page).to_have_url(re.compile(f"#/{route}$"))


def incident_row(page: Page, incident_id: str) -> Locator:
    return page.locator(f'[data-testid=incident-row][data-incident-id="{incident_id}"]')


def fresh_incident(server: LiveServer, events: list[dict]) -> dict:
    """Send ``events`` and return the incident they make. Call ``close_active_incidents``
    first: alerts repeating one of an active incident fold into it."""
    before = server.incident_ids()
    server.send_events(events)
    return server.wait_for_new_incident(before)


def test_a_wrong_password_is_refused_with_a_message_and_the_right_one_signs_in(
    open_page: OpenPage, live_server: LiveServer
) -> None:
    page = open_page("operator")
    page.goto("/")
    form = page.locator("form#login-form")
    form.locator("input#username").fill("test-operator")
    form.locator("input#password").fill("not the password")
    form.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert").filter(has_text="wrong username or password")).to_be_visible()
    expect(page.get_by_test_id("whoami")).to_be_hidden()

    form.locator("input#password").fill(live_server.password)
    form.get_by_role("button", name="Sign in").click()
    whoami = page.get_by_test_id("whoami")
    expect(whoami).to_contain_text("test-operator")
    expect(whoami).to_contain_text("operator")
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    expect(form).to_be_hidden()


def test_tab_reaches_the_sign_in_button_through_the_fields(open_page: OpenPage) -> None:
    page = open_page("keyboard")
    page.goto("/")
    button = page.locator("form#login-form").get_by_role("button", name="Sign in")
    expect(button).to_be_visible()
    visited: list[str] = [page.evaluate("document.activeElement && document.activeElement.id")]
    for _ in range(20):
        page.keyboard.press("Tab")
        visited.append(page.evaluate("document.activeElement && document.activeElement.id"))
        if button.evaluate("el => el === document.activeElement"):
            break
    else:
        pytest.fail(f"20 Tabs never reached the Sign in button; focus went to {visited}")
    # visited[0] is what had focus before the first Tab (the username field may autofocus)
    assert "password" in visited, f"Tab skipped the password field: {visited}"


def test_an_injected_break_in_appears_live_is_acknowledged_and_its_doors_locked(
    open_page: OpenPage, live_server: LiveServer, night: Night
) -> None:
    live_server.close_active_incidents()
    page = open_page("operator")
    sign_in(page, live_server, "test-operator")
    open_route(page, "incidents")
    expect(page.get_by_test_id("live-status")).to_contain_text("live")
    page.evaluate("window.__notReloaded = true")

    incident = fresh_incident(live_server, theft(night.next_base()))
    row = incident_row(page, incident["id"])
    expect(row).to_be_visible()
    assert page.evaluate("window.__notReloaded === true"), "the page reloaded to show it"
    status = row.get_by_test_id("incident-status")
    expect(status).to_contain_text("open")

    row.get_by_role("button", name="Acknowledge").click()
    expect(status).to_contain_text("acknowledged")
    assert live_server.incident(incident["id"])["status"] == "acknowledged"

    row.get_by_role("button", name="Lock doors").click()
    outcomes = page.get_by_test_id("action-status")
    for door_id, name in (("d-front", "Front door"), ("d-vault", "Vault door")):
        outcome = outcomes.filter(has_text=re.compile(f"{door_id}|{name}"))
        expect(outcome.first).to_contain_text(re.compile("confirmed|locked", re.IGNORECASE))
    with live_server.api() as client:
        commands = {
            door: client.get(f"/api/doors/{door}/commands").json()[0]
            for door in ("d-front", "d-vault")
        }
    for door, command in commands.items():
        assert (command["command"], command["status"], command["actor"]) == (
            "lock",
            "confirmed",
            "test-operator",
        ), door
        assert command["incident_id"] == incident["id"]
        assert command["reason"] == f"locked from the dashboard for incident {incident['id']}"
    assert live_server.doors.simulator is not None
    assert live_server.doors.simulator.locked == {"d-front": True, "d-vault": True}

    # The vault door was shut and is now locked. (The front door may still show "forced"
    # while the incident with its forced-open alert is active.)
    open_route(page, "floor")
    expect(page.locator("svg#floorplan [data-door-id=d-vault]")).to_have_attribute(
        "data-state", "locked"
    )


def test_a_false_alarm_is_marked_with_its_reason(
    open_page: OpenPage, live_server: LiveServer, night: Night
) -> None:
    live_server.close_active_incidents()
    page = open_page("operator")
    sign_in(page, live_server, "test-operator")
    open_route(page, "incidents")
    incident = fresh_incident(live_server, vault_door_forced(night.next_base()))
    row = incident_row(page, incident["id"])
    expect(row).to_be_visible()

    row.get_by_role("button", name="False alarm").click()
    reason = "the night cleaner opened the vault with the key from the safe"
    page.locator("textarea[name=reason]").fill(reason)
    page.get_by_role("button", name="Confirm false alarm").click()

    # Closed incidents may leave the queue or stay with their new status; either is fine.
    page.wait_for_function(
        """id => {
            const row = document.querySelector(
                `[data-testid=incident-row][data-incident-id="${id}"]`);
            if (!row) return true;
            const status = row.querySelector('[data-testid=incident-status]');
            return /false/i.test(status ? status.textContent : '');
        }""",
        arg=incident["id"],
    )
    stored = live_server.incident(incident["id"])
    assert (stored["status"], stored["resolution_note"]) == ("false_alarm", reason)


def test_the_incident_page_shows_the_timeline_and_score_contributions(
    open_page: OpenPage, live_server: LiveServer, night: Night
) -> None:
    live_server.close_active_incidents()
    incident = live_server.incident(fresh_incident(live_server, theft(night.next_base()))["id"])
    page = open_page("admin")
    sign_in(page, live_server, "test-admin")
    open_route(page, "incidents")
    incident_row(page, incident["id"]).locator(f'a[href="#/incidents/{incident["id"]}"]').click()
    expect(page).to_have_url(re.compile(f"#/incidents/{incident['id']}$"))

    timeline = page.get_by_test_id("timeline")
    alerts = incident["alerts"]
    assert alerts, "the scenario made no alerts"
    expect(timeline.locator("li").nth(len(alerts) - 1)).to_be_visible()
    for alert in alerts:
        expect(timeline).to_contain_text(alert["title"])
    contributions = page.get_by_test_id("contributions")
    assert incident["contributions"], "the incident has no score contributions"
    for contribution in incident["contributions"]:
        expect(contributions).to_contain_text(contribution["label"])


def test_the_kpi_page_draws_charts_and_the_weekly_pdf_downloads(
    open_page: OpenPage, live_server: LiveServer
) -> None:
    page = open_page("admin")
    sign_in(page, live_server, "test-admin")
    open_route(page, "kpis")
    charts = page.get_by_test_id("kpi-charts")
    expect(charts.locator("img, svg, canvas").first).to_be_visible()
    # Charts drawn as images must have loaded (a 401 or 500 leaves a broken image).
    page.wait_for_function(
        "el => [...el.querySelectorAll('img')].every(i => i.complete && i.naturalWidth > 0)",
        arg=charts.element_handle(),
    )

    with page.expect_download() as download:
        page.locator("a#weekly-pdf").click()
    path = download.value.path()
    assert path.read_bytes()[:5] == b"%PDF-", f"{download.value.suggested_filename} is no PDF"


def test_an_operator_works_incidents_but_sees_no_admin_controls(
    open_page: OpenPage, live_server: LiveServer, night: Night
) -> None:
    live_server.close_active_incidents()
    incident = fresh_incident(live_server, vault_door_forced(night.next_base()))
    admin = open_page("admin")
    sign_in(admin, live_server, "test-admin")
    open_route(admin, "site")
    expect(admin.get_by_role("button", name="Create token")).to_be_visible()
    open_route(admin, "kpis")
    expect(admin.locator("a#weekly-pdf")).to_be_visible()

    operator = open_page("operator")
    sign_in(operator, live_server, "test-operator")
    row = incident_row(operator, incident["id"])
    ready = {  # what shows once each page is drawn (an operator may lock doors)
        "floor": operator.locator("svg#floorplan"),
        "incidents": row.get_by_role("button", name="Lock doors"),
        "kpis": operator.get_by_role("main").get_by_role("heading", level=2),
        "site": operator.get_by_test_id("site-summary"),
    }
    for route, shown in ready.items():
        open_route(operator, route)
        expect(shown.first).to_be_visible()
        expect(operator.get_by_role("button", name="Create token")).to_have_count(0)
        expect(operator.locator("a#weekly-pdf")).to_have_count(0)


def test_the_queue_fits_a_phone_screen(
    open_page: OpenPage, live_server: LiveServer, night: Night
) -> None:
    live_server.close_active_incidents()
    incident = fresh_incident(live_server, vault_door_forced(night.next_base()))
    page = open_page("phone", size=PHONE)
    sign_in(page, live_server, "test-operator")
    open_route(page, "incidents")
    row = incident_row(page, incident["id"])
    expect(row).to_be_visible()
    box = row.get_by_role("button", name="Acknowledge").bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= PHONE[0], box
    scroll_width = page.evaluate("document.documentElement.scrollWidth")
    assert scroll_width <= PHONE[0], f"the page is {scroll_width} px wide on a {PHONE[0]} px phone"
