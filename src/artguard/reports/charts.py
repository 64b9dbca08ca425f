"""The KPI charts as accessible SVG, drawn from the dict that
:func:`artguard.triage.kpis.incident_kpis` returns (pure Python, no plotting library).

Every chart has a visible title, an SVG ``<title>`` and ``<desc>`` (the desc is the chart's text
alternative: every value in words, also returned as :attr:`Chart.alt`), a text label with its
value beside every bar, and a second cue besides colour where two series share a chart (p90
bars are dashed outlines and are labelled "p90"). The dashboard shows them as ``<img>`` from
``GET /api/reports/charts/{name}.svg``; the weekly PDF embeds the very same SVG.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo
from typing import Any

from artguard.reports import format as fmt
from artguard.reports.svg import INK, MUTED, Canvas, esc
from artguard.site import Site
from artguard.triage.patterns import LABELS as PATTERN_LABELS

WIDTH = 640
LABEL_RIGHT = 196  # labels end here (text-anchor end)
BAR_X = 204
BAR_W = 240  # room on the right for the value text (about 28 characters)
ROW_H = 26
TOP = 44  # below the visible title
MAX_BARS = 15  # count charts show the largest; the rest are summed in one "other" bar
MAX_DAY_COLUMNS = 92  # a longer period shows only the days that had incidents

BLUE = "#2b6cb0"
LIGHT_BLUE = "#bee3f8"
ORANGE = "#c05621"
GREEN = "#2f855a"
LIGHT_GREEN = "#c6f6d5"


@dataclass(frozen=True)
class Chart:
    """One rendered chart: ``alt`` is its text alternative (also the SVG ``<desc>``)."""

    name: str
    title: str
    alt: str
    svg: str


@dataclass(frozen=True)
class Bar:
    label: str
    value: float  # position on the chart's scale
    text: str  # the value as a reader sees it
    secondary: bool = False  # drawn as a dashed outline (p90, single devices)


class UnknownChart(ValueError):
    def __init__(self, name: str) -> None:
        super().__init__(f"unknown chart {name!r}; expected one of {', '.join(CHARTS)}")
        self.name = name


def _clip(label: str, size: float, room: float) -> str:
    """``label`` shortened with an ellipsis to fit ``room`` px at font ``size`` (estimated)."""
    fits = max(4, int(room / (0.58 * size)))
    return label if len(label) <= fits else label[: fits - 1] + "…"


def _alt(title: str, bars: Sequence[Bar], empty: str) -> str:
    if not bars:
        return f"{title}: {empty}."
    return f"{title}: " + "; ".join(f"{b.label} {b.text}" for b in bars) + "."


def hbar_chart(
    name: str,
    title: str,
    bars: Sequence[Bar],
    *,
    position: Callable[[float], float],
    colour: str,
    light: str,
    empty: str,
    ticks: Sequence[tuple[float, str]] = (),
    note: str | None = None,
) -> Chart:
    """Horizontal bars, one row each. ``position`` maps a value to 0..1 of the bar width;
    ``ticks`` are (value, label) grid lines; ``note`` is a line under the chart."""
    text_alt = _alt(title, bars, empty)
    canvas = Canvas(WIDTH, title, text_alt)
    canvas.text(8, 24, title, size=16)
    if not bars:
        canvas.text(8, TOP + 18, empty, fill=MUTED)
        return Chart(name, title, text_alt, canvas.render(TOP + 36, name))
    bottom = TOP + ROW_H * len(bars)
    for value, label in ticks:  # grid first, so the bars are drawn over it
        x = BAR_X + BAR_W * min(1.0, max(0.0, position(value)))
        canvas.line(x, TOP - 4, x, bottom + 2)
        canvas.text(x, bottom + 16, label, size=10, anchor="middle", fill=MUTED)
    canvas.line(BAR_X, TOP - 4, BAR_X, bottom + 2, stroke=INK)
    for row, bar in enumerate(bars):
        y = TOP + ROW_H * row
        width = BAR_W * min(1.0, max(0.0, position(bar.value)))
        canvas.group(class_="bar", data_label=bar.label, data_value=f"{bar.value:g}")
        canvas.add(f"<title>{esc(f'{bar.label}: {bar.text}')}</title>")
        canvas.text(LABEL_RIGHT, y + 17, _clip(bar.label, 12, LABEL_RIGHT - 8), anchor="end")
        if bar.secondary:
            canvas.rect(
                BAR_X, y + 4, width, ROW_H - 8, light, stroke=colour, stroke_dasharray="4 2"
            )
        else:
            canvas.rect(BAR_X, y + 4, width, ROW_H - 8, colour)
        canvas.text(BAR_X + width + 6, y + 17, bar.text, class_="value")
        canvas.end()
    y = bottom + (18 if ticks else 0)
    if note:
        canvas.text(8, y + 18, note, size=11, fill=MUTED)
        y += 22
    return Chart(name, title, text_alt, canvas.render(y + 10, name))


def _linear(top: float) -> Callable[[float], float]:
    top = max(top, 1.0)
    return lambda v: v / top


def _count_chart(
    name: str, title: str, counts: dict[str, int], label: Callable[[str], str], kind: str
) -> Chart:
    ordered = sorted(counts.items(), key=lambda kv: (-kv[1], label(kv[0])))
    bars = [Bar(label(key), n, str(n)) for key, n in ordered[:MAX_BARS]]
    rest = ordered[MAX_BARS:]
    if rest:
        total = sum(n for _, n in rest)
        bars.append(Bar(f"{len(rest)} other {kind}", total, str(total), secondary=True))
    return hbar_chart(
        name,
        title,
        bars,
        position=_linear(max((b.value for b in bars), default=1)),
        colour=BLUE,
        light=LIGHT_BLUE,
        empty="no incidents in this period",
    )


def pattern_label(pattern: str) -> str:
    if pattern == "unknown":
        return "No pattern"
    return PATTERN_LABELS.get(pattern, pattern.replace("_", " ").capitalize())


def room_labeller(site: Site | None) -> Callable[[str], str]:
    def label(room_id: str) -> str:
        if room_id == "unknown":
            return "No room"
        if site is not None:
            try:
                return site.room(room_id).name
            except KeyError:
                return room_id
        return room_id

    return label


def by_pattern(kpis: dict[str, Any], site: Site | None = None) -> Chart:
    return _count_chart(
        "by-pattern", "Incidents by pattern", kpis["by_pattern"], pattern_label, "patterns"
    )


def by_room(kpis: dict[str, Any], site: Site | None = None) -> Chart:
    return _count_chart(
        "by-room", "Incidents by room", kpis["by_room"], room_labeller(site), "rooms"
    )


def false_alarm_rate(kpis: dict[str, Any], site: Site | None = None) -> Chart:
    rate = kpis["false_alarm_rate"]
    verdicts = kpis["verdicts"]
    closed = verdicts["false_alarm"] + verdicts["resolved"]
    bars = []
    if rate is not None:
        text = f"{fmt.percent(rate)} ({verdicts['false_alarm']} of {closed} closed)"
        bars.append(Bar("False alarms", rate, text))
    return hbar_chart(
        "false-alarm-rate",
        "False-positive rate",
        bars,
        position=lambda v: v,
        colour=ORANGE,
        light=LIGHT_BLUE,
        empty="no closed incidents: no verdicts yet",
        ticks=[(q / 4, f"{25 * q}%") for q in range(5)],
        note="Share of the closed incidents that operators closed as a false alarm.",
    )


_LOG_TICKS = (
    (1, "1 s"),
    (10, "10 s"),
    (60, "1 min"),
    (600, "10 min"),
    (3600, "1 h"),
    (36_000, "10 h"),
    (86_400, "1 d"),
    (604_800, "1 w"),
)


def response_times(kpis: dict[str, Any], site: Site | None = None) -> Chart:
    bars: list[Bar] = []
    for key, label in (
        ("time_to_detect_s", "Detect"),
        ("time_to_acknowledge_s", "Acknowledge"),
        ("time_to_resolve_s", "Resolve"),
    ):
        summary = kpis[key]
        if not summary["count"]:
            continue
        n = summary["count"]
        bars.append(Bar(f"{label}: median", summary["median"], f"{fmt.seconds(summary['median'])}"))
        bars.append(
            Bar(f"{label}: p90", summary["p90"], f"{fmt.seconds(summary['p90'])} (n={n})", True)
        )
    return durations_chart(
        "response-times",
        "Time to detect, acknowledge, resolve",
        bars,
        empty="no incidents in this period",
        note="Median: solid bar; 90th percentile (p90): dashed outline. Log scale.",
    )


def durations_chart(name: str, title: str, bars: list[Bar], *, empty: str, note: str) -> Chart:
    """Bars of durations in seconds on a log scale, ticked in readable units up to the
    longest (seconds to days side by side in one chart)."""
    top = max((b.value for b in bars), default=1.0)
    ticks = [t for t in _LOG_TICKS if t[0] <= top]
    ticks += [t for t in _LOG_TICKS if t[0] > top][:1]
    top_tick = ticks[-1][0]

    def position(value: float) -> float:
        return math.log10(max(value, 1.0)) / math.log10(top_tick) if top_tick > 1 else 0.0

    return hbar_chart(
        name,
        title,
        bars,
        position=position,
        colour=BLUE,
        light=LIGHT_BLUE,
        empty=empty,
        ticks=ticks,
        note=note,
    )


def uptime(kpis: dict[str, Any], site: Site | None = None) -> Chart:
    up = kpis.get("uptime")
    bars: list[Bar] = []
    for kind, label in (("cameras", "Cameras"), ("sensors", "Sensors")):
        part = up.get(kind) if up else None
        if not part or not part["devices"] or part["mean"] is None:
            continue
        text = f"{fmt.percent(part['mean'])} mean, {part['judged']} of {part['devices']} judged"
        bars.append(Bar(label, part["mean"], text))
        for device in part["worst"][:3]:
            value = part["by_device"][device]["uptime"]
            bars.append(Bar(f"lowest: {device}", value, fmt.percent(value), True))
    empty = (
        "no cameras or periodic sensors to judge"
        if up
        else "uptime needs a period with a start (since)"
    )
    return hbar_chart(
        "uptime",
        "Device uptime",
        bars,
        position=lambda v: v,
        colour=GREEN,
        light=LIGHT_GREEN,
        empty=empty,
        ticks=[(q / 4, f"{25 * q}%") for q in range(5)],
        note="Mean per kind (solid); the devices with the lowest uptime (dashed).",
    )


def _days(kpis: dict[str, Any], zone: tzinfo) -> list[date]:
    present = [date.fromisoformat(day) for day in kpis["per_day_by_pattern"]]
    period = kpis["period"]
    if not period["since"]:
        return present
    since = datetime.fromisoformat(period["since"])
    until = datetime.fromisoformat(period["until"]) if period["until"] else datetime.now(UTC)
    first = since.astimezone(zone).date()
    last = (until - timedelta(microseconds=1)).astimezone(zone).date()
    if (last - first).days + 1 > MAX_DAY_COLUMNS:
        return present
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


def per_day(kpis: dict[str, Any], site: Site | None = None) -> Chart:
    zone: tzinfo = site.tz if site is not None else UTC
    title = "Incidents per day"
    per = kpis["per_day_by_pattern"]
    days = _days(kpis, zone)
    counts = [sum(per.get(d.isoformat(), {}).values()) for d in days]
    details = []
    for d, n in zip(days, counts, strict=True):
        if n:
            patterns = per[d.isoformat()]
            breakdown = ", ".join(f"{pattern_label(p)} {c}" for p, c in sorted(patterns.items()))
            details.append(f"{d.isoformat()} {n} ({breakdown})")
    quiet = counts.count(0)
    if quiet:
        details.append(f"no incidents on the other {quiet} day(s)" if details else "none")
    alt = f"{title}: " + ("; ".join(details) or "no incidents in this period") + "."
    canvas = Canvas(WIDTH, title, alt)
    canvas.text(8, 24, title, size=16)
    left, right, plot_top, plot_h = 40.0, WIDTH - 16.0, float(TOP + 14), 160.0
    base = plot_top + plot_h
    if not days:
        canvas.text(8, TOP + 18, "no incidents in this period", fill=MUTED)
        return Chart("per-day", title, alt, canvas.render(TOP + 36, "per-day"))
    top = max(max(counts), 1)
    column = (right - left) / len(days)
    small, dense = len(days) > 14, len(days) > 31
    canvas.line(left, base, right, base, stroke=INK)
    canvas.text(left - 6, base + 4, "0", size=10, anchor="end", fill=MUTED)
    canvas.line(left, plot_top, right, plot_top)
    canvas.text(left - 6, plot_top + 4, str(top), size=10, anchor="end", fill=MUTED)
    for i, (day, n) in enumerate(zip(days, counts, strict=True)):
        x = left + i * column
        h = plot_h * n / top
        centre = x + column / 2
        canvas.group(class_="bar", data_label=day.isoformat(), data_value=str(n))
        canvas.add(f"<title>{day.isoformat()}: {n}</title>")
        canvas.rect(x + column * 0.15, base - h, column * 0.7, h, BLUE)
        if n or not dense:
            size = 10 if small else 12
            canvas.text(centre, base - h - 4, str(n), size=size, anchor="middle", class_="value")
        labelled = not dense or i % 7 == 0  # 32+ columns are too narrow to label each
        if labelled and small:
            canvas.text(centre, base + 14, str(day.day), size=9, anchor="middle", fill=MUTED)
        elif labelled:
            canvas.text(centre, base + 14, day.strftime("%a"), size=10, anchor="middle")
            canvas.text(
                centre, base + 27, day.strftime("%d %b"), size=10, anchor="middle", fill=MUTED
            )
        canvas.end()
    height = base + 30
    if small:
        months = list(dict.fromkeys(d.strftime("%b %Y") for d in days))
        canvas.text(left, base + 30, "Days of " + ", ".join(months), size=10, fill=MUTED)
        height = base + 36
    return Chart("per-day", title, alt, canvas.render(height + 6, "per-day"))


CHARTS: dict[str, Callable[[dict[str, Any], Site | None], Chart]] = {
    "false-alarm-rate": false_alarm_rate,
    "response-times": response_times,
    "by-pattern": by_pattern,
    "by-room": by_room,
    "per-day": per_day,
    "uptime": uptime,
}
"""Chart name (as in ``/api/reports/charts/{name}.svg``) -> renderer, in report order."""


def render(name: str, kpis: dict[str, Any], site: Site | None = None) -> Chart:
    """The chart ``name``; :class:`UnknownChart` naming the choices if there is none."""
    try:
        renderer = CHARTS[name]
    except KeyError:
        raise UnknownChart(name) from None
    return renderer(kpis, site)


def render_all(kpis: dict[str, Any], site: Site | None = None) -> list[Chart]:
    """Every chart, in report order."""
    return [renderer(kpis, site) for renderer in CHARTS.values()]
