"""A drill's report as one self-contained HTML file: inline CSS and inline SVG charts, no
script, no external asset, so it can be mailed or archived and opens anywhere.

Scenario, room, rule and incident names come from site files and the run: every piece of text
is escaped (:func:`html.escape`), and the charts escape their own (:mod:`artguard.reports.svg`).
"""

from __future__ import annotations

from datetime import datetime
from html import escape
from pathlib import Path

from artguard import __version__
from artguard.drill.charts import render_all, scenario_label
from artguard.drill.result import DrillResult
from artguard.drill.summary import DrillFigures
from artguard.reports import format as fmt

STYLE = """
body { font: 14px/1.45 "DejaVu Sans", Helvetica, Arial, sans-serif; color: #1a202c;
  margin: 1.5rem auto; max-width: 60rem; padding: 0 1rem; }
h1 { font-size: 1.5rem; margin: 0 0 .3rem; } h2 { font-size: 1.15rem; margin: 1.6rem 0 .5rem; }
.facts { display: grid; grid-template-columns: max-content 1fr; gap: .15rem 1rem; margin: 0; }
.facts dt { color: #4a5568; } .facts dd { margin: 0; }
table { border-collapse: collapse; width: 100%; font-size: 13px; }
th, td { text-align: left; padding: .3rem .4rem; border-bottom: 1px solid #cbd5e0;
  vertical-align: top; }
th { background: #e2e8f0; } td.num { font-variant-numeric: tabular-nums; text-align: right; }
.missed { color: #9b2c2c; font-weight: 700; } .detected { color: #276749; font-weight: 700; }
figure { margin: 1rem 0; } figure svg { max-width: 100%; height: auto; }
footer { margin-top: 2rem; color: #4a5568; font-size: 12px; }
"""


def _t(value: object) -> str:
    return escape(str(value), quote=True)


def _when(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S UTC") if moment else "-"


def _facts(rows: list[tuple[str, str]]) -> str:
    items = "".join(f"<dt>{_t(k)}</dt><dd>{_t(v)}</dd>" for k, v in rows)
    return f'<dl class="facts">{items}</dl>'


def _table(columns: list[str], rows: list[list[str]], numeric: set[int], caption: str) -> str:
    head = "".join(f'<th scope="col">{_t(c)}</th>' for c in columns)
    body = []
    for row in rows:
        cells = []
        for i, cell in enumerate(row):
            cls = ' class="num"' if i in numeric else ""
            cells.append(f"<td{cls}>{cell}</td>")  # cells arrive escaped (some carry markup)
        body.append("<tr>" + "".join(cells) + "</tr>")
    return (
        f'<table><caption class="sr">{_t(caption)}</caption><thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(body)}</tbody></table>"
    )


def overall(result: DrillResult) -> list[tuple[str, str]]:
    """The headline figures as (label, value) lines, as the report and the CLI show them."""
    f = DrillFigures.of(result)
    per_day = result.false_per_day()
    tiers = ", ".join(f"{tier} {rate:.2f}" for tier, rate in per_day.items()) or "none"
    return [
        ("Detection rate", f"{fmt.percent(f.detection_rate)} ({f.detected} of {f.scenarios})"),
        ("False incidents per site-day", f"{tiers} (total {f.false_incidents})"),
        ("High-risk false incidents per site-day", f"{f.false_high_per_day:.2f}"),
        ("Time to detect", f"median {fmt.seconds(f.ttd_median_s)}, p90 {fmt.seconds(f.ttd_p90_s)}"),
        ("Events through the pipeline", f"{f.events:,}"),
        ("Wall time", f"{f.wall_seconds:.1f} s"),
    ]


def _scenario_rows(result: DrillResult) -> list[list[str]]:
    rows = []
    for o in result.scenarios:
        status = (
            '<span class="detected">detected</span>'
            if o.detected
            else '<span class="missed">missed</span>'
        )
        rows.append(
            [
                _t(scenario_label(o.scenario)),
                _t(_when(o.start)),
                _t(", ".join(o.rooms) or "-"),
                status,
                _t(fmt.seconds(o.time_to_detect_s)),
                _t(o.pattern or "-"),
                _t(fmt.score(o.score)),
                _t(o.tier or "-"),
                _t(", ".join(o.rules) or "-"),
                _t(o.why_missed or ""),
            ]
        )
    return rows


def _false_rows(result: DrillResult) -> list[list[str]]:
    return [
        [
            _t(_when(i.first_alert_time)),
            _t(i.title),
            _t(i.pattern),
            _t(i.room or "-"),
            _t(fmt.score(i.score)),
            _t(i.tier),
        ]
        for i in result.false_incidents
    ]


def render_report(result: DrillResult) -> str:
    """The whole report as an HTML document."""
    title = f"Drill report - {result.site_id}"
    header = _facts(
        [
            ("Site", result.site_id),
            ("Seed", str(result.seed)),
            (
                "Simulated",
                f"{result.days:g} site-day(s): {_when(result.start)} to {_when(result.end)}",
            ),
            ("Finished", _when(result.finished_time)),
            ("Run", result.id or "not stored"),
        ]
    )
    charts = "".join(
        f'<figure data-chart="{_t(c.name)}">{c.svg}</figure>' for c in render_all(result)
    )
    scenarios = _table(
        [
            "Scenario",
            "Start",
            "Rooms",
            "Result",
            "Time to detect",
            "Pattern",
            "Score",
            "Tier",
            "Rules",
            "Why missed",
        ],
        _scenario_rows(result),
        {4, 6},
        "Every injected scenario",
    )
    false = (
        _table(
            ["First alert", "Title", "Pattern", "Room", "Score", "Tier"],
            _false_rows(result),
            {4},
            "Incidents no scenario explains",
        )
        if result.false_incidents
        else "<p>None.</p>"
    )
    return (
        "<!doctype html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{_t(title)}</title><style>{STYLE}.sr {{ position: absolute; left: -9999px; }}"
        "</style></head><body>"
        f"<header><h1>{_t(title)}</h1>{header}</header>"
        f"<main><h2>Overall</h2>{_facts(overall(result))}"
        f"<h2>Charts</h2>{charts}"
        f"<h2>Scenarios</h2>{scenarios}"
        f"<h2>False incidents</h2>{false}</main>"
        f"<footer>artguard {_t(__version__)}; times are simulated site time (UTC).</footer>"
        "</body></html>\n"
    )


def write_report(result: DrillResult, path: str | Path) -> Path:
    """Write :func:`render_report` to ``path`` (UTF-8); returns the path written."""
    target = Path(path)
    if target.is_dir():
        raise IsADirectoryError(f"--report {target}: is a directory; give a file name")
    if not target.parent.is_dir():
        raise FileNotFoundError(f"--report {target}: folder {target.parent} does not exist")
    target.write_text(render_report(result), encoding="utf-8")
    return target
