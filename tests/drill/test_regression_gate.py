"""THE DRILL REGRESSION GATE (issue #7): part of ``make test``, about three minutes.

A drill over the demo site (:data:`DAYS` simulated days, every registered scenario
:data:`REPEAT` times, fixed seed) through the real pipeline must detect at least
:data:`~artguard.drill.gate.MIN_DETECTION_RATE` of the attacks, each by the pattern and
analytic its ground truth names, and raise at most
:data:`~artguard.drill.gate.MAX_FALSE_HIGH_RISK_PER_DAY` false high-risk incidents per
site-day. The thresholds live in :mod:`artguard.drill.gate` only. The figures are printed
straight to the terminal (shown with or without ``-s``) and repeated in the failure
message. Reproduce by hand with::

    artguard drill --site src/artguard/demo/site.yaml --days 3 --repeat 3 --seed 7 \\
        --workers 3 --no-store
"""

from __future__ import annotations

from collections import Counter

import pytest

from artguard.drill import gate, text
from artguard.drill.runner import DrillSpec, run_drill
from artguard.site import load_site
from artguard.twin.scenarios import scenario_names

DEMO_SITE = "src/artguard/demo/site.yaml"
DAYS = 3.0
REPEAT = 3
SEED = 7
WORKERS = 3
"""One process per simulated day: the CI machine has two cores."""


async def test_drill_regression_gate(capsys: pytest.CaptureFixture[str]) -> None:
    names = scenario_names()
    assert names, "no attack scenario is registered (artguard.twin.scenarios)"
    spec = DrillSpec(load_site(DEMO_SITE), days=DAYS, seed=SEED, scenarios=names, repeat=REPEAT)
    result = await run_drill(spec, workers=WORKERS)
    verdict = gate.evaluate(result)
    report = "\n".join(text.render(result, verdict))

    with capsys.disabled():  # on the terminal whether or not pytest captures output
        print("\n\ndrill regression gate:\n" + report, flush=True)

    injected = Counter(i["scenario"] for i in result.extra["injections"])
    short = {n: injected.get(n, 0) for n in names if injected.get(n, 0) < REPEAT}
    assert not short, f"scenarios injected fewer than {REPEAT} times: {short}\n{report}"
    assert not result.extra["no_truth"], f"scenarios that recorded no truth\n{report}"
    assert not result.extra["rejected"], f"the pipeline rejected twin events\n{report}"
    assert verdict.passed, f"drill gate failed:\n{report}"
