"""The learned model's counts: quantiles err high, flows, and a JSON round trip that refuses
malformed input by name."""

from __future__ import annotations

import math
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from artguard.visitors.model import SECONDS_EDGES, BehaviourModel, Histogram, band_of


def test_histogram_quantile_is_the_upper_edge_of_its_bin() -> None:
    h = Histogram(SECONDS_EDGES)
    for value in [4, 4, 4, 4, 4, 4, 4, 4, 4, 50]:
        h.add(value)
    assert h.quantile(0.5) == 5  # 4 s falls in the (3, 5] bin
    assert h.quantile(0.99) == 60
    h.add(10_000)
    assert math.isinf(h.quantile(1.0))


def test_band_is_three_local_hours() -> None:
    london = ZoneInfo("Europe/London")
    assert band_of(datetime(2026, 7, 1, 11, 30, tzinfo=UTC), london) == "12-15"  # BST
    assert band_of(datetime(2026, 12, 1, 11, 30, tzinfo=UTC), london) == "09-12"


def test_flow_needs_samples_and_agreement() -> None:
    model = BehaviourModel()
    for _ in range(30):
        model.add_direction("hall", "12-15", (1.0, 1.0), 1.0, 0.0)
    found = model.dominant_flow("hall", "12-15", (1.5, 0.5), min_samples=20, coherence=0.6)
    assert found is not None and found[0] == pytest.approx((1.0, 0.0))
    for _ in range(30):
        model.add_direction("hall", "12-15", (1.0, 1.0), -1.0, 0.0)  # now both ways
    assert model.dominant_flow("hall", "12-15", (1.0, 1.0), min_samples=20, coherence=0.6) is None
    assert model.dominant_flow("hall", "09-12", (9.0, 9.0), min_samples=20, coherence=0.6) is None


def test_json_round_trip_and_malformed_input() -> None:
    model = BehaviourModel()
    model.add_speed("hall", "12-15", 1.3)
    model.add_visits("aw", 3)
    model.add_dwell("z-exit", 12)
    again = BehaviourModel.from_json(model.to_json())
    assert again.to_json() == model.to_json()
    assert again.visits["aw"].quantile(0.99) == 3
    with pytest.raises(ValueError, match="version"):
        BehaviourModel.from_json({"version": 7})
    broken = model.to_json()
    del broken["flow"]
    with pytest.raises(ValueError, match=r"malformed visitor model.*flow"):
        BehaviourModel.from_json(broken)
