"""A drill's charts as accessible SVG, drawn with the KPI charts' bar chart
(:func:`artguard.reports.charts.hbar_chart`): detection and time to detect per scenario,
false incidents per day by tier. The HTML report, the weekly report and the dashboard show
the same SVG."""

from __future__ import annotations

from collections.abc import Callable

from artguard.drill.result import DrillResult
from artguard.drill.summary import by_scenario
from artguard.reports import format as fmt
from artguard.reports.charts import (
    GREEN,
    LIGHT_BLUE,
    LIGHT_GREEN,
    ORANGE,
    Bar,
    Chart,
    durations_chart,
    hbar_chart,
)
from artguard.site.response_policy import TIERS


def scenario_label(name: str) -> str:
    return name.replace("_", " ").capitalize()


def detection(result: DrillResult) -> Chart:
    """Share of each scenario's injections detected; the text says how many were missed."""
    bars = [
        Bar(
            scenario_label(f.scenario),
            f.rate,
            f"{f.detected} of {f.runs} detected" + (f", {f.missed} missed" if f.missed else ""),
            secondary=f.missed > 0,
        )
        for f in by_scenario(result)
    ]
    return hbar_chart(
        "drill-detection",
        "Detection per scenario",
        bars,
        position=lambda v: v,
        colour=GREEN,
        light=LIGHT_GREEN,
        empty="no scenarios were injected",
        ticks=[(q / 4, f"{25 * q}%") for q in range(5)],
        note="All detected: solid bar; some missed: dashed outline.",
    )


def time_to_detect(result: DrillResult) -> Chart:
    """Median time to detect per scenario (log scale); the text adds the slowest and the n
    (kept short: a full-width bar leaves room for about 28 characters)."""
    bars = []
    for f in by_scenario(result):
        label = scenario_label(f.scenario)
        if f.ttd_median_s is None:
            bars.append(Bar(label, 0.0, "not detected", secondary=True))
            continue
        text = f"{fmt.seconds(f.ttd_median_s)} (max {fmt.seconds(f.ttd_max_s)}, n={f.detected})"
        bars.append(Bar(label, f.ttd_median_s, text))
    return durations_chart(
        "drill-time-to-detect",
        "Time to detect per scenario",
        bars,
        empty="no scenarios were injected",
        note="Median of the detected injections, in simulated time. Log scale.",
    )


def false_per_day(result: DrillResult) -> Chart:
    """False incidents per simulated site-day, one bar per escalation tier that had any."""
    rates = result.false_per_day()
    counts: dict[str, int] = {}
    for incident in result.false_incidents:
        counts[incident.tier] = counts.get(incident.tier, 0) + 1
    order = {tier: n for n, tier in enumerate(TIERS)}
    tiers = sorted(rates, key=lambda t: (order.get(t, len(order)), t))
    bars = [
        Bar(tier.replace("_", " "), rates[tier], f"{rates[tier]:.2f}/day ({counts[tier]})")
        for tier in tiers
    ]
    return hbar_chart(
        "drill-false-per-day",
        "False incidents per site-day by tier",
        bars,
        position=lambda v: v / max((b.value for b in bars), default=1.0),
        colour=ORANGE,
        light=LIGHT_BLUE,
        empty="no false incidents",
        note=f"Incidents no injected scenario explains, over {result.days:g} simulated day(s).",
    )


CHARTS: dict[str, Callable[[DrillResult], Chart]] = {
    "drill-detection": detection,
    "drill-time-to-detect": time_to_detect,
    "drill-false-per-day": false_per_day,
}
"""Chart name (as in ``/api/drills/{id}/charts/{name}.svg``) -> renderer, in report order."""


def render_all(result: DrillResult) -> list[Chart]:
    return [renderer(result) for renderer in CHARTS.values()]
