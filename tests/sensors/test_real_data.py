"""The detector and the conservation rule on real data (skipped when the data is absent)."""

from __future__ import annotations

import csv
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from artguard.sensors.conservation_rule import ConservationRule
from artguard.sensors.detector import StreamingDetector
from artguard.sensors.nab_corpus import load_corpus
from artguard.sensors.nab_score import PROFILES, label_file, score_corpus

from .helpers import reading, site_with_conservation

DATA = Path(__file__).resolve().parents[3] / "shared" / "data"
NAB = DATA / "nab"
UCI = DATA / "uci_occupancy"


@pytest.mark.skipif(not (NAB / "labels").is_dir(), reason=f"NAB data not at {NAB}")
def test_nab_subset_score() -> None:
    """realKnownCause + realTraffic (14 files, 85k rows); the full run is bench/nab.py."""
    files = load_corpus(NAB, ["realKnownCause", "realTraffic"])
    scores = []
    for f in files:
        detector = StreamingDetector()
        scores.append([detector.update(t, v) for t, v in zip(f.timestamps, f.values, strict=True)])
    profile = PROFILES["standard"]
    labelled = [label_file(f.name, len(f.values), f.windows, profile) for f in files]
    report = score_corpus(labelled, scores, profile)
    # measured 54.2 (NAB's windowed Gaussian: 38.0 on the same files)
    assert report.score > 50.0
    assert sum(r.detected_windows for r in report.files) >= 20  # measured 22


@pytest.mark.skipif(not UCI.is_dir(), reason=f"UCI occupancy data not at {UCI}")
def test_office_heating_ramps_break_a_1c_per_hour_limit() -> None:
    """An office's heating switching on and off moves it ~1 C an hour: caught, nights quiet."""
    site = site_with_conservation("    conservation: {max_rate_per_hour: {temperature: 1.0}}\n")
    rule = ConservationRule(site)
    brussels = ZoneInfo("Europe/Brussels")
    alerts = []
    for name in ("datatraining.txt", "datatest2.txt"):
        with (UCI / name).open(newline="", encoding="utf-8") as handle:
            for row in list(csv.reader(handle))[1:]:
                at = datetime.fromisoformat(row[1]).replace(tzinfo=brussels)
                alerts += rule.on_event(reading("t-vault", at, float(row[2])))
    hours = sorted(a.site_time.astimezone(brussels).hour for a in alerts)
    assert 4 <= len(alerts) <= 10
    assert all(9 <= h <= 13 or 18 <= h <= 20 for h in hours), hours  # on or off, never at night
    assert all("changing too fast" in a.title for a in alerts)
