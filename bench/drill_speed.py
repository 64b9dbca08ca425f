"""Drill speed: one simulated site-day of the demo museum through the full pipeline.

Every behaviour of the twin (visitors, staff, sensors, doors, cameras) and, with
``--scenarios all``, every attack scenario once, fed through ingestion, rules, triage,
escalation and playbooks on a fresh SQLite database, as ``artguard drill`` runs it. Prints the
events fed, wall seconds, events per second, the speed-up over real time and whether the
site-day took under 60 s (issue #7's target). ``--profile`` runs it under cProfile and prints
the top costs.

    .venv/bin/python bench/drill_speed.py
    .venv/bin/python bench/drill_speed.py --scenarios all --profile
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import json
import logging
import pstats
import sys
from pathlib import Path

from artguard.drill.runner import DrillSpec, run_drill
from artguard.site import load_site
from artguard.twin.scenarios import scenario_names

DEMO_SITE = Path(__file__).resolve().parents[1] / "src" / "artguard" / "demo" / "site.yaml"
TARGET_S = 60.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--site", type=Path, default=DEMO_SITE)
    parser.add_argument("--days", type=float, default=1.0)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--scenarios", default="none", help="'none', 'all' or a comma list")
    parser.add_argument("--step", type=float, default=1.0, help="simulated seconds per step")
    parser.add_argument("--profile", action="store_true", help="print cProfile's top costs")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)
    if args.scenarios == "none":
        names: list[str] = []
    elif args.scenarios == "all":
        names = scenario_names()
    else:
        names = [n.strip() for n in args.scenarios.split(",") if n.strip()]
    spec = DrillSpec(
        load_site(args.site), days=args.days, seed=args.seed, scenarios=names, step_s=args.step
    )
    profiler = cProfile.Profile() if args.profile else None
    if profiler is not None:
        profiler.enable()
    result = asyncio.run(run_drill(spec))
    if profiler is not None:
        profiler.disable()
    per_day = result.wall_seconds / args.days
    figures = {
        "site": result.site_id,
        "days": args.days,
        "scenarios": len(names),
        "events": result.events,
        "badges": result.extra.get("badges"),
        "alerts": result.extra.get("alerts"),
        "incidents": result.extra.get("incidents"),
        "wall_s": round(result.wall_seconds, 2),
        "wall_s_per_site_day": round(per_day, 2),
        "events_per_s": round(result.events / result.wall_seconds, 1),
        "speedup": round(result.extra.get("speedup") or 0.0, 1),
        "under_60s_per_site_day": per_day < TARGET_S,
        "behaviours_missing": result.extra.get("behaviours_missing"),
    }
    if args.json:
        print(json.dumps(figures, indent=2))
    else:
        for key, value in figures.items():
            print(f"{key:<24}{value}")
    if profiler is not None:
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(30)
        out.write("\n--- by own time ---\n")
        pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(25)
        print(out.getvalue())
    return 0 if per_day < TARGET_S else 1


if __name__ == "__main__":
    sys.exit(main())
