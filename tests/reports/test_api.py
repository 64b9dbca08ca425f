"""The report routes through FastAPI's test client: headers, permissions, errors."""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pypdf import PdfReader

from artguard.api.app import create_app
from artguard.config import Settings
from artguard.events import utcnow
from artguard.reports.pdf import FONT_ENV
from artguard.runtime import Runtime
from artguard.site import Site
from tests.conftest import SMALL_SITE, signed_in
from tests.reports.data import fill

WEEK = "/api/reports/weekly"
PERIOD = {"since": "2026-11-23T00:00:00Z", "until": "2026-11-30T00:00:00Z"}


@pytest.fixture
def client(settings: Settings, small_site: Site) -> Iterator[TestClient]:
    runtime = Runtime(settings, small_site, site_path=SMALL_SITE, live_clock=False)
    with TestClient(create_app(runtime)) as test_client:
        fill(runtime.engine)
        yield test_client


def test_weekly_pdf_is_an_attachment_for_kpi_readers(client: TestClient) -> None:
    signed_in(client, "supervisor")
    response = client.get(f"{WEEK}.pdf", params={"end": "2026-11-29"})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["content-disposition"] == (
        'attachment; filename="artguard-small-museum-week-2026-11-23-to-2026-11-29.pdf"'
    )
    assert response.headers["cache-control"] == "no-store"
    reader = PdfReader(io.BytesIO(response.content))
    text = " ".join(" ".join(p.extract_text().split()) for p in reader.pages)
    assert response.content.startswith(b"%PDF-") and len(reader.pages) >= 2
    assert "Small Museum" in text and "Theft in progress" in text


def test_weekly_json_defaults_to_the_last_seven_full_days(
    client: TestClient, small_site: Site
) -> None:
    signed_in(client, "auditor")
    body = client.get(f"{WEEK}.json").json()
    yesterday = (utcnow().astimezone(small_site.tz) - timedelta(days=1)).date()
    assert body["period"]["last_day"] == yesterday.isoformat()
    assert body["period"]["first_day"] == (yesterday - timedelta(days=6)).isoformat()
    week = client.get(f"{WEEK}.json", params={"end": "2026-11-29"}).json()
    assert week["kpis"]["incidents"] == 5
    assert [s["key"] for s in week["sections"]] == [
        "summary",
        "charts",
        "top_incidents",
        "last_drill",
    ]
    assert week["top_incidents"][0]["id"] == "inc-a"


def test_bad_end_days_are_explained(client: TestClient) -> None:
    signed_in(client, "admin")
    future = client.get(f"{WEEK}.pdf", params={"end": "2999-01-01"})
    assert future.status_code == 422 and "end: 2999-01-01 is after today" in future.json()["detail"]
    malformed = client.get(f"{WEEK}.json", params={"end": "last week"})
    assert malformed.status_code == 422 and malformed.json()["detail"][0]["loc"] == ["query", "end"]


def test_chart_svg(client: TestClient) -> None:
    signed_in(client, "supervisor")
    response = client.get("/api/reports/charts/by-room.svg", params=PERIOD)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("image/svg+xml")
    assert "default-src 'self'" in response.headers["content-security-policy"]
    root = ET.fromstring(response.text)
    values = {
        g.get("data-label"): g.get("data-value")
        for g in root.iter("{http://www.w3.org/2000/svg}g")
        if g.get("class") == "bar"
    }
    assert values == {"Vault": "2", "Gallery": "1", "Hall": "1", "No room": "1"}


def test_chart_errors(client: TestClient) -> None:
    signed_in(client, "supervisor")
    unknown = client.get("/api/reports/charts/pie.svg")
    assert unknown.status_code == 404 and "charts: false-alarm-rate" in unknown.json()["detail"]
    naive = client.get("/api/reports/charts/uptime.svg", params={"since": "2026-11-23T00:00"})
    assert naive.status_code == 422 and naive.json()["detail"].startswith("since: give a time zone")
    backwards = client.get(
        "/api/reports/charts/uptime.svg",
        params={"since": PERIOD["until"], "until": PERIOD["since"]},
    )
    assert backwards.status_code == 422 and "empty period" in backwards.json()["detail"]


def test_a_broken_report_font_is_a_server_error(
    settings: Settings, small_site: Site, tmp_path: Path
) -> None:
    broken = tmp_path / "Broken.ttf"
    broken.write_bytes(b"not a font")
    configured = replace(settings, environ={FONT_ENV: str(broken)})
    runtime = Runtime(configured, small_site, site_path=SMALL_SITE, live_clock=False)
    with TestClient(create_app(runtime)) as client:
        signed_in(client, "admin")
        response = client.get(f"{WEEK}.pdf", params={"end": "2026-11-29"})
    assert response.status_code == 500
    assert response.json()["detail"].startswith("report font: font ")


@pytest.mark.parametrize(
    "path",
    [f"{WEEK}.pdf", f"{WEEK}.json", "/api/reports/charts/by-pattern.svg"],
)
def test_roles_without_kpis_read_are_refused(client: TestClient, path: str) -> None:
    assert client.get(path).status_code == 401  # not signed in
    for role in ("operator", "curator"):
        signed_in(client, role)
        assert client.get(path).status_code == 403, role
