"""A drill's result as the plain-text table ``artguard drill`` prints."""

from __future__ import annotations

import statistics

from artguard.drill.gate import HIGH_RISK_TIER, Verdict, false_high_risk_per_day
from artguard.drill.result import DrillResult
from artguard.site.response_policy import TIERS


def seconds(value: float | None) -> str:
    if value is None:
        return "-"
    if value < 120:
        return f"{value:.0f} s"
    if value < 7200:
        return f"{value / 60:.1f} min"
    return f"{value / 3600:.1f} h"


def percentile(values: list[float], q: float) -> float | None:
    """The ``q`` quantile (0..1) of ``values``, interpolated linearly between ranks."""
    if not values:
        return None
    ordered = sorted(values)
    k = (len(ordered) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def scenario_table(result: DrillResult) -> list[str]:
    """One line per injected attack, in time order."""
    site_tz = result.start.tzinfo
    header = (
        f"{'scenario':<24} {'at':<11} {'detected':<8} {'ttd':>7}  {'pattern':<26} "
        f"{'score':>5}  {'tier':<10}"
    )
    lines = [header, "-" * len(header)]
    for o in sorted(result.scenarios, key=lambda o: o.start):
        at = o.start.astimezone(site_tz).strftime("%a %H:%M")
        score = f"{o.score:.2f}" if o.score is not None else "-"
        lines.append(
            f"{o.scenario:<24} {at:<11} {'yes' if o.detected else 'NO':<8} "
            f"{seconds(o.time_to_detect_s):>7}  {(o.pattern or '-'):<26} {score:>5}  "
            f"{(o.tier or '-'):<10}"
        )
        if not o.detected and o.why_missed:
            lines.append(f"{'':<24}   missed: {o.why_missed}")
    return lines


def overall(result: DrillResult, verdict: Verdict | None = None) -> list[str]:
    times = result.detection_times()
    detected = sum(o.detected for o in result.scenarios)
    per_day = result.false_per_day()
    by_tier = ", ".join(f"{t} {per_day[t]:.2f}" for t in TIERS if t in per_day) or "none"
    speedup = result.extra.get("speedup")
    lines = [
        f"detection rate        {100 * result.detection_rate:.1f}% "
        f"({detected} of {len(result.scenarios)} attacks)",
        f"false incidents/day   {by_tier} "
        f"({len(result.false_incidents)} over {result.days:g} site-day(s))",
        f"false high-risk/day   {false_high_risk_per_day(result):.2f} (tier {HIGH_RISK_TIER}+)",
        f"time to detect        median {seconds(statistics.median(times) if times else None)}, "
        f"p90 {seconds(percentile(times, 0.9))}",
        f"events fed            {result.events}",
        f"wall time             {result.wall_seconds:.1f} s"
        + (f" (x{speedup:,.0f} real time)" if speedup else ""),
    ]
    nuisances = result.extra.get("nuisances") or []
    if nuisances:
        raised = sum(bool(n["incidents"]) for n in nuisances)
        high = sum(bool(n["high_risk"]) for n in nuisances)
        lines.append(
            f"nuisances             {len(nuisances)} simulated, {raised} raised an incident, "
            f"{high} high-risk"
        )
    for key, label in (
        ("behaviours_missing", "not simulated"),
        ("not_placed", "not placed"),
        ("no_truth", "no ground truth"),
    ):
        if result.extra.get(key):
            lines.append(f"{label:<22}{', '.join(result.extra[key])}")
    if verdict is not None:
        lines.append("gate                  " + ("PASS" if verdict.passed else "FAIL"))
        lines.extend("  " + line for line in verdict.summary().splitlines())
    return lines


def false_table(result: DrillResult, limit: int = 15) -> list[str]:
    if not result.false_incidents:
        return []
    causes = result.extra.get("false_causes") or {}
    site_tz = result.start.tzinfo
    lines = ["false incidents (no attack explains them):"]
    ordered = sorted(result.false_incidents, key=lambda f: (-TIERS.index(f.tier), -f.score))  # type: ignore[arg-type]
    for f in ordered[:limit]:
        cause = f" [nuisance: {causes[f.incident_id]}]" if f.incident_id in causes else ""
        lines.append(
            f"  {f.first_alert_time.astimezone(site_tz):%a %H:%M}  {f.tier:<10} {f.score:.2f}  "
            f"{f.pattern:<26} {f.title}{cause}"
        )
    if len(ordered) > limit:
        lines.append(f"  ... and {len(ordered) - limit} more")
    return lines


def render(result: DrillResult, verdict: Verdict | None = None) -> list[str]:
    """Title, the per-scenario table, the false incidents and the overall figures."""
    lines = [
        f"drill of site {result.site_id}: {result.days:g} day(s) from "
        f"{result.start.isoformat()}, seed {result.seed}",
        "",
        *scenario_table(result),
    ]
    false = false_table(result)
    if false:
        lines += ["", *false]
    return [*lines, "", *overall(result, verdict)]
