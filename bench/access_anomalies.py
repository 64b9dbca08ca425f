"""Access anomaly detection: precision and recall on injected anomalies, false alerts on normal.

Data: a generated badge history of the demo museum (``artguard.demo.access_history``): each
person's habitual doors and times within their shift. The baseline learns from ``--learn-days``
of normal history; then ``--test-days`` more are decided one by one (state and baseline
updated online, as in service) with ``--per-kind`` anomalies of each kind injected. A request
counts as flagged for a kind when its decision carries that ``anomaly.<kind>`` finding (each
finding also raises an ``access_anomaly`` alert in service).

    .venv/bin/python bench/access_anomalies.py
    .venv/bin/python bench/access_anomalies.py --seeds 1,2,3 --per-kind 30
"""

from __future__ import annotations

import argparse
from collections import Counter
from datetime import date, timedelta
from pathlib import Path

from artguard.access.anomaly import BehaviourRisk
from artguard.access.baseline import AccessBaseline
from artguard.access.pdp import DecisionPoint
from artguard.demo.access_history import ANOMALY_KINDS, HistoryGenerator
from artguard.site import load_site

DEMO_SITE = Path(__file__).resolve().parent.parent / "src" / "artguard" / "demo" / "site.yaml"


def run(
    seed: int, learn_days: int, test_days: int, per_kind: int
) -> tuple[Counter, Counter, Counter, int, int, Counter]:
    site = load_site(DEMO_SITE)
    generator = HistoryGenerator(site, seed=seed)
    start = date(2026, 9, 7)
    baseline = AccessBaseline(site.tz)
    baseline.learn(generator.grants(start, learn_days))
    pdp = DecisionPoint(site, risk_sources=[BehaviourRisk(site, baseline)])
    events = generator.with_anomalies(start + timedelta(days=learn_days), test_days, per_kind)
    tp: Counter[str] = Counter()
    fn: Counter[str] = Counter()
    fp: Counter[str] = Counter()
    normal = flagged_normal = 0
    outcomes: Counter[str] = Counter()
    for event in events:
        decision = pdp.decide(event.request)
        pdp.record(decision)
        flagged = {
            f.rule.removeprefix("anomaly.")
            for f in decision.findings
            if f.rule.startswith("anomaly.")
        }
        if not event.injected:
            normal += 1
            outcomes[decision.outcome] += 1
            flagged_normal += bool(flagged)
        elif event.anomaly is None:
            continue  # the setting of an injected scenario (a genuine badge before its copy)
        elif event.anomaly in flagged:
            tp[event.anomaly] += 1
        else:
            fn[event.anomaly] += 1
        if not event.injected:
            for kind in flagged:
                fp[kind] += 1
    return tp, fn, fp, normal, flagged_normal, outcomes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", default="1,2,3")
    parser.add_argument("--learn-days", type=int, default=28)
    parser.add_argument("--test-days", type=int, default=14)
    parser.add_argument("--per-kind", type=int, default=20)
    args = parser.parse_args()
    tp: Counter[str] = Counter()
    fn: Counter[str] = Counter()
    fp: Counter[str] = Counter()
    normal = flagged = 0
    outcomes: Counter[str] = Counter()
    for seed in (int(s) for s in args.seeds.split(",")):
        a, b, c, n, f, o = run(seed, args.learn_days, args.test_days, args.per_kind)
        tp, fn, fp, outcomes = tp + a, fn + b, fp + c, outcomes + o
        normal, flagged = normal + n, flagged + f
    print(
        f"demo site, seeds {args.seeds}: learn {args.learn_days} d, test {args.test_days} d, "
        f"{args.per_kind} injected per kind per seed"
    )
    print(f"{'kind':22} {'precision':>9} {'recall':>7} {'TP':>5} {'FN':>5} {'FP':>5}")
    for kind in ANOMALY_KINDS:
        p_den = tp[kind] + fp[kind]
        r_den = tp[kind] + fn[kind]
        precision = tp[kind] / p_den if p_den else float("nan")
        recall = tp[kind] / r_den if r_den else float("nan")
        print(f"{kind:22} {precision:9.3f} {recall:7.3f} {tp[kind]:5} {fn[kind]:5} {fp[kind]:5}")
    all_tp, all_fp, all_fn = sum(tp.values()), sum(fp.values()), sum(fn.values())
    print(
        f"{'all':22} {all_tp / max(all_tp + all_fp, 1):9.3f} "
        f"{all_tp / max(all_tp + all_fn, 1):7.3f} {all_tp:5} {all_fn:5} {all_fp:5}"
    )
    print(
        f"normal events: {normal} ({dict(outcomes)}); flagged {flagged} = "
        f"{1000 * flagged / max(normal, 1):.2f} false alerts per 1,000 normal access events"
    )


if __name__ == "__main__":
    main()
