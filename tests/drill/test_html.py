"""The drill's HTML report: self-contained, everything escaped, the figures and charts right."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import replace
from html.parser import HTMLParser
from pathlib import Path

import pytest

from artguard.drill.charts import detection, false_per_day, render_all, time_to_detect
from artguard.drill.html import render_report, write_report
from tests.drill.drill_data import drill, hit

SVG_NS = "{http://www.w3.org/2000/svg}"


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def _parse(document: str) -> _Collector:
    parser = _Collector()
    parser.feed(document)
    return parser


def _bars(svg: str) -> dict[str, str]:
    root = ET.fromstring(svg)
    return {
        g.get("data-label"): "".join(
            t.text or "" for t in g.iter(f"{SVG_NS}text") if t.get("class") == "value"
        )
        for g in root.iter(f"{SVG_NS}g")
        if g.get("class") == "bar"
    }


def test_report_is_self_contained(tmp_path: Path) -> None:
    path = write_report(drill(id="run-1"), tmp_path / "out.html")
    document = path.read_text(encoding="utf-8")
    tags = _parse(document).tags
    assert not [t for t, _ in tags if t in {"script", "link", "img", "iframe", "object"}]
    assert not [a for _, a in tags if "src" in a or "href" in a]
    assert "http://" not in document.replace("http://www.w3.org/2000/svg", "")
    assert "https://" not in document
    assert sum(t == "svg" for t, _ in tags) == 3


def test_header_overall_figures_and_tables() -> None:
    text = " ".join(_parse(render_report(drill(id="run-1"))).text)
    for expected in (
        "small-museum",
        "Seed",
        "42",
        "2 site-day(s): 2026-11-23 00:00:00 UTC to 2026-11-25 00:00:00 UTC",
        "2026-11-29 10:00:00 UTC",
        "66.7% (4 of 6)",
        "dashboard 1.00, page_guard 0.50 (total 3)",
        "median 13 s, p90 27 s",
        "123,456",
        "closest incident inc-9 was in another room",
        "barrier_breach, vibration",
        "Vibration at case 3",
    ):
        assert expected in text, expected
    document = render_report(drill())
    assert document.count('<span class="missed">missed</span>') == 2
    assert document.count('<span class="detected">detected</span>') == 4


def test_names_from_site_files_are_escaped() -> None:
    evil = "<script>alert(1)</script>"
    quote = 'x" onload="alert(2)'
    result = drill(
        site_id=evil,
        scenarios=[hit(evil, 1, 5.0, quote, rules=(evil,), rooms=(quote,))],
        false_incidents=[],
    )
    document = render_report(result)
    assert "<script>" not in document
    assert 'onload="' not in document
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in document
    for chart in render_all(result):
        ET.fromstring(chart.svg)  # still well-formed XML


def test_detection_chart_counts_per_scenario_kind() -> None:
    chart = detection(drill())
    assert _bars(chart.svg) == {
        "Theft": "3 of 3 detected",
        "Tailgating": "1 of 2 detected, 1 missed",
        "Insider": "0 of 1 detected, 1 missed",
    }
    assert "Tailgating 1 of 2 detected, 1 missed" in chart.alt


def test_time_to_detect_chart_gives_median_max_and_misses() -> None:
    bars = _bars(time_to_detect(drill()).svg)
    assert bars["Theft"] == "6 s (max 20 s, n=3)"
    assert bars["Tailgating"] == "30 s (max 30 s, n=1)"
    assert bars["Insider"] == "not detected"


def test_false_per_day_chart_by_tier_in_ladder_order() -> None:
    chart = false_per_day(drill())
    assert list(_bars(chart.svg).items()) == [
        ("dashboard", "1.00/day (2)"),
        ("page guard", "0.50/day (1)"),
    ]
    empty = false_per_day(replace(drill(), false_incidents=[]))
    assert "no false incidents" in empty.alt


def test_empty_drill_still_renders() -> None:
    result = drill(scenarios=[], false_incidents=[])
    document = render_report(result)
    assert "0.0% (0 of 0)" in document
    assert "no scenarios were injected" in document


def test_report_path_problems_are_named(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match=r"folder .*missing does not exist"):
        write_report(drill(), tmp_path / "missing" / "out.html")
    with pytest.raises(IsADirectoryError, match="is a directory"):
        write_report(drill(), tmp_path)
    assert re.search(r"<title>Drill report - small-museum</title>", render_report(drill()))
