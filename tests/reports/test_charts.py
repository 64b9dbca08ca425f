"""The KPI charts: valid, accessible SVG that carries every value, drawn from the KPI dict."""

from __future__ import annotations

import copy
import xml.etree.ElementTree as ET
from typing import Any

import pytest
from sqlalchemy import Engine

from artguard.reports import charts
from artguard.site import Site
from artguard.triage.kpis import incident_kpis
from tests.reports.data import SINCE, UNTIL

NS = {"svg": "http://www.w3.org/2000/svg"}


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)


def bars(root: ET.Element) -> dict[str, float]:
    """data-label -> data-value of every bar group."""
    return {
        g.get("data-label", ""): float(g.get("data-value", "nan"))
        for g in root.iterfind(".//svg:g[@class='bar']", NS)
    }


def texts(root: ET.Element) -> list[str]:
    return ["".join(t.itertext()) for t in root.iterfind(".//svg:text", NS)]


def value_texts(root: ET.Element) -> dict[str, str]:
    """Bar label -> the value text written beside (or above) the bar."""
    return {
        g.get("data-label", ""): "".join(g.find("svg:text[@class='value']", NS).itertext())  # type: ignore[union-attr]
        for g in root.iterfind(".//svg:g[@class='bar']", NS)
    }


@pytest.fixture
def kpis(sqlite_week: Engine, small_site: Site) -> dict[str, Any]:
    with sqlite_week.connect() as conn:
        return incident_kpis(conn, SINCE, UNTIL, small_site)


def test_every_chart_is_accessible_svg(kpis: dict[str, Any], small_site: Site) -> None:
    rendered = charts.render_all(kpis, small_site)
    assert [c.name for c in rendered] == list(charts.CHARTS)
    for chart in rendered:
        root = parse(chart.svg)
        assert root.get("role") == "img"
        title = root.find("svg:title", NS)
        desc = root.find("svg:desc", NS)
        assert title is not None and title.text == chart.title
        assert desc is not None and desc.text == chart.alt
        assert root.get("aria-labelledby") == f"{title.get('id')} {desc.get('id')}"
        assert chart.title in texts(root)  # a visible title too
        assert float(root.get("width", 0)) == charts.WIDTH and float(root.get("height", 0)) > 0


def test_count_charts_carry_their_values_with_names(kpis: dict[str, Any], small_site: Site) -> None:
    pattern = parse(charts.render("by-pattern", kpis, small_site).svg)
    assert bars(pattern) == {
        "Theft in progress": 1,
        "Environmental risk": 1,
        "Touching an artwork": 1,
        "After-hours intrusion": 1,
        "No pattern": 1,
    }
    room_chart = charts.render("by-room", kpis, small_site)
    room = parse(room_chart.svg)
    assert bars(room) == {"Vault": 2, "Gallery": 1, "Hall": 1, "No room": 1}
    assert value_texts(room)["Vault"] == "2"
    labels = texts(room)
    assert labels.index("Vault") < labels.index("Gallery")  # largest first
    assert "Vault 2" in room_chart.alt and "No room 1" in room_chart.alt


def test_bar_lengths_follow_the_values(kpis: dict[str, Any], small_site: Site) -> None:
    root = parse(charts.render("by-room", kpis, small_site).svg)
    widths = {
        g.get("data-label"): float(g.find("svg:rect", NS).get("width"))  # type: ignore[union-attr,arg-type]
        for g in root.iterfind(".//svg:g[@class='bar']", NS)
    }
    assert widths["Vault"] == pytest.approx(charts.BAR_W)
    assert widths["Gallery"] == pytest.approx(charts.BAR_W / 2)


def test_false_alarm_rate_and_response_times(kpis: dict[str, Any], small_site: Site) -> None:
    rate = charts.render("false-alarm-rate", kpis, small_site)
    root = parse(rate.svg)
    assert bars(root) == {"False alarms": pytest.approx(2 / 3)}
    assert value_texts(root)["False alarms"] == "66.7% (2 of 3 closed)"
    times = parse(charts.render("response-times", kpis, small_site).svg)
    values = value_texts(times)
    assert bars(times)["Acknowledge: median"] == 35.0  # of 40, 100, 20, 30 s
    assert values["Acknowledge: median"] == "35 s"
    assert values["Resolve: p90"].endswith("(n=3)")
    # p90 bars: a dashed outline, not only another colour
    p90 = times.find(".//svg:g[@data-label='Resolve: p90']/svg:rect", NS)
    median = times.find(".//svg:g[@data-label='Resolve: median']/svg:rect", NS)
    assert p90 is not None and p90.get("stroke-dasharray")
    assert median is not None and not median.get("stroke-dasharray")
    assert float(p90.get("width", 0)) > float(median.get("width", 0))


def test_per_day_has_every_day_of_the_period(kpis: dict[str, Any], small_site: Site) -> None:
    chart = charts.render("per-day", kpis, small_site)
    root = parse(chart.svg)
    assert bars(root) == {
        "2026-11-23": 1,
        "2026-11-24": 2,
        "2026-11-25": 0,
        "2026-11-26": 0,
        "2026-11-27": 0,
        "2026-11-28": 1,
        "2026-11-29": 1,
    }
    assert "2026-11-24 2 (Environmental risk 1, Touching an artwork 1)" in chart.alt


def test_uptime_per_kind_and_lowest_devices(kpis: dict[str, Any], small_site: Site) -> None:
    root = parse(charts.render("uptime", kpis, small_site).svg)
    values = bars(root)
    assert values["Cameras"] == pytest.approx(1 - 12 / 168, abs=1e-5)
    assert values["lowest: cam-1"] == pytest.approx(1 - 12 / 168, abs=1e-5)
    assert value_texts(root)["Cameras"] == "92.9% mean, 1 of 1 judged"
    assert values["Sensors"] == 0.0  # no sensor reported at all in the constructed week


def test_empty_period_says_so(small_site: Site) -> None:
    empty = {
        "period": {"since": SINCE.isoformat(), "until": UNTIL.isoformat()},
        "incidents": 0,
        "by_pattern": {},
        "by_room": {},
        "per_day_by_pattern": {},
        "false_alarm_rate": None,
        "verdicts": {"false_alarm": 0, "resolved": 0},
        **{
            key: {"count": 0, "median": None, "p90": None, "max": None}
            for key in ("time_to_detect_s", "time_to_acknowledge_s", "time_to_resolve_s")
        },
        "uptime": None,
    }
    for name in ("by-pattern", "response-times", "false-alarm-rate", "uptime"):
        root = parse(charts.render(name, empty, small_site).svg)
        assert bars(root) == {}
        assert any(t.startswith(("no ", "uptime needs")) for t in texts(root)), name
    per_day = parse(charts.render("per-day", empty, small_site).svg)
    assert set(bars(per_day).values()) == {0.0} and len(bars(per_day)) == 7


def test_labels_from_the_store_are_escaped(kpis: dict[str, Any]) -> None:
    hostile = copy.deepcopy(kpis)
    hostile["by_room"] = {'<script>alert("x")</script>&': 3}
    chart = charts.render("by-room", hostile)
    root = parse(chart.svg)  # still well-formed XML
    assert root.find(".//svg:script", NS) is None and "<script>" not in chart.svg
    assert bars(root) == {'<script>alert("x")</script>&': 3}


def test_long_labels_are_shortened_but_kept_in_the_alt(kpis: dict[str, Any]) -> None:
    long = copy.deepcopy(kpis)
    name = "the east wing temporary exhibition gallery, upper mezzanine"
    long["by_room"] = {name: 1}
    chart = charts.render("by-room", long)
    assert any(t.endswith("…") and len(t) < len(name) for t in texts(parse(chart.svg)))
    assert name in chart.alt


def test_unknown_chart_names_the_choices(kpis: dict[str, Any]) -> None:
    with pytest.raises(charts.UnknownChart, match="expected one of false-alarm-rate"):
        charts.render("pie", kpis)


def test_many_rooms_end_in_one_other_bar(kpis: dict[str, Any]) -> None:
    many = copy.deepcopy(kpis)
    many["by_room"] = {f"room-{i:02d}": 100 - i for i in range(40)}
    root = parse(charts.render("by-room", many).svg)
    values = bars(root)
    assert len(values) == charts.MAX_BARS + 1
    assert values["room-00"] == 100 and "room-15" not in values
    assert values["25 other rooms"] == sum(100 - i for i in range(15, 40))


def test_a_month_of_days(kpis: dict[str, Any], small_site: Site) -> None:
    month = copy.deepcopy(kpis)
    month["period"] = {"since": "2026-10-31T00:00:00+00:00", "until": UNTIL.isoformat()}
    chart = charts.render("per-day", month, small_site)
    values = bars(parse(chart.svg))
    assert len(values) == 30 and sum(values.values()) == 5
    assert chart.alt.endswith("no incidents on the other 26 day(s).")
