"""The drill routes: list, latest, one run, its charts; who may read them."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from artguard.api.app import create_app
from artguard.config import Settings
from artguard.drill import store
from artguard.runtime import Runtime
from artguard.site import Site
from tests.conftest import SMALL_SITE, signed_in
from tests.drill.drill_data import FINISHED, drill


@pytest.fixture
def client(tmp_path: Path, small_site: Site) -> Iterator[TestClient]:
    runtime = Runtime(
        Settings(data_dir=tmp_path / "var", environ={}),
        small_site,
        site_path=SMALL_SITE,
        live_clock=False,
    )
    with TestClient(create_app(runtime)) as test_client:
        yield test_client


def _save(client: TestClient, **changes: object) -> str:
    return store.save(client.app.state.runtime.engine, drill(**changes))  # type: ignore[attr-defined]


def test_no_drill_yet(client: TestClient) -> None:
    signed_in(client, "supervisor")
    assert client.get("/api/drills").json() == []
    latest = client.get("/api/drills/latest")
    assert latest.status_code == 200 and latest.json() is None
    missing = client.get("/api/drills/no-such-run")
    assert missing.status_code == 404
    assert missing.json()["detail"] == "no drill run 'no-such-run'"


def test_list_is_newest_first_with_headline_figures(client: TestClient) -> None:
    older = _save(client, seed=1)
    newer = _save(client, seed=2, finished_time=FINISHED + timedelta(days=1))
    signed_in(client, "supervisor")
    runs = client.get("/api/drills").json()
    assert [r["id"] for r in runs] == [newer, older]
    first = runs[0]
    assert first["finished_time"] == "2026-11-30T10:00:00+00:00"
    assert (first["site_id"], first["seed"], first["days"]) == ("small-museum", 2, 2.0)
    assert (first["scenarios"], first["detected"], first["false_incidents"]) == (6, 4, 3)
    assert first["detection_rate"] == pytest.approx(4 / 6)
    assert first["false_high_per_day"] == pytest.approx(0.5)
    assert (first["ttd_median_s"], first["ttd_p90_s"]) == pytest.approx((13.0, 27.0))
    assert [r["id"] for r in client.get("/api/drills?limit=1").json()] == [newer]
    assert client.get("/api/drills?limit=0").status_code == 422


def test_latest_and_one_run_whole(client: TestClient) -> None:
    _save(client, seed=1)
    newer = _save(client, seed=2, finished_time=FINISHED + timedelta(days=1))
    signed_in(client, "auditor")
    latest = client.get("/api/drills/latest").json()
    assert latest == client.get(f"/api/drills/{newer}").json()
    assert latest["id"] == newer and latest["seed"] == 2
    assert latest["false_per_day"] == {"dashboard": 1.0, "page_guard": 0.5}
    assert latest["figures"]["detected"] == 4
    assert len(latest["scenarios"]) == 6
    insider = latest["scenarios"][5]
    assert insider["detected"] is False
    assert insider["why_missed"] == "closest incident inc-9 was in another room"
    assert insider["start"] == "2026-11-24T16:00:00+00:00"
    assert latest["false_incidents"][2]["title"] == "Vibration at case 3"
    kinds = {k["scenario"]: k for k in latest["by_scenario"]}
    assert kinds["tailgating"] == {
        "scenario": "tailgating",
        "runs": 2,
        "detected": 1,
        "missed": 1,
        "detection_rate": 0.5,
        "ttd_median_s": 30.0,
        "ttd_max_s": 30.0,
        "patterns": ["tailgating"],
    }
    names = [c["name"] for c in latest["charts"]]
    assert names == ["drill-detection", "drill-time-to-detect", "drill-false-per-day"]
    assert latest["charts"][0]["url"] == f"/api/drills/{newer}/charts/drill-detection.svg"


def test_list_and_latest_are_the_served_sites_drills(client: TestClient) -> None:
    ours = _save(client)
    other = _save(client, site_id="other-museum", finished_time=FINISHED + timedelta(days=1))
    signed_in(client, "supervisor")
    assert [r["id"] for r in client.get("/api/drills").json()] == [ours]
    assert client.get("/api/drills/latest").json()["id"] == ours
    assert client.get(f"/api/drills/{other}").json()["site_id"] == "other-museum"


def test_charts_are_served_as_svg(client: TestClient) -> None:
    run_id = _save(client)
    signed_in(client, "supervisor")
    for chart in client.get(f"/api/drills/{run_id}").json()["charts"]:
        response = client.get(chart["url"])
        assert response.status_code == 200
        assert response.headers["content-type"] == "image/svg+xml"
        root = ET.fromstring(response.text)
        assert root.find("{http://www.w3.org/2000/svg}desc").text == chart["alt"]
    unknown = client.get(f"/api/drills/{run_id}/charts/pie.svg")
    assert unknown.status_code == 404
    assert "charts: drill-detection" in unknown.json()["detail"]
    assert client.get("/api/drills/nope/charts/drill-detection.svg").status_code == 404


@pytest.mark.parametrize(("role", "status"), [("operator", 403), ("curator", 403), ("admin", 200)])
def test_only_kpi_readers_see_drills(client: TestClient, role: str, status: int) -> None:
    run_id = _save(client)
    signed_in(client, role)
    for path in ("/api/drills", "/api/drills/latest", f"/api/drills/{run_id}"):
        assert client.get(path).status_code == status, path


def test_signed_out_is_401(client: TestClient) -> None:
    assert client.get("/api/drills/latest").status_code == 401
