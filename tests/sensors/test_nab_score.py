"""NAB scoring rules on hand-made windows with scores worked out by hand."""

from __future__ import annotations

import math
from datetime import datetime, timedelta

import pytest

from artguard.sensors.nab_score import (
    PROBATION,
    PROFILES,
    best_threshold,
    label_file,
    probation_length,
    scaled_sigmoid,
    score_corpus,
    score_file,
    window_indices,
)

STANDARD = PROFILES["standard"]
ROWS = 1000  # probation: the first 150 rows
WINDOW = (500, 599)  # 100 rows wide


def scores_with(hits: dict[int, float]) -> list[float]:
    return [hits.get(i, 0.0) for i in range(ROWS)]


def test_scaled_sigmoid_matches_nabs_published_values() -> None:
    assert scaled_sigmoid(-1.0) == pytest.approx(0.98661, abs=1e-5)
    assert scaled_sigmoid(-0.5) == pytest.approx(0.84828, abs=1e-5)
    assert scaled_sigmoid(0.0) == 0.0
    assert scaled_sigmoid(1.0) == pytest.approx(-0.98661, abs=1e-5)
    assert scaled_sigmoid(3.0) == -1.0


def test_probation_is_15_percent_capped_at_750_rows() -> None:
    assert probation_length(1000) == 150
    assert probation_length(10000) == 750


def test_labels_mark_probation_windows_and_outside() -> None:
    f = label_file("a/x.csv", ROWS, [WINDOW], STANDARD)
    assert f.labels[100] == PROBATION
    assert f.labels[400] is None
    assert f.labels[500] == 0 and f.labels[599] == 0 and f.labels[600] is None


def test_earliest_detection_in_a_window_scores_one() -> None:
    f = label_file("a/x.csv", ROWS, [WINDOW], STANDARD)
    result = score_file(f, scores_with({500: 1.0, 550: 1.0}), threshold=0.5)
    assert result.score == pytest.approx(1.0)  # only the earliest counts, no FP for the rest
    assert (result.detected_windows, result.missed_windows, result.false_positives) == (1, 0, 0)


def test_detection_at_the_right_edge_scores_almost_nothing() -> None:
    f = label_file("a/x.csv", ROWS, [WINDOW], STANDARD)
    expected = (2 / (1 + math.exp(-0.05)) - 1) / scaled_sigmoid(-1.0)  # position -1/100
    assert score_file(f, scores_with({599: 1.0}), 0.5).score == pytest.approx(expected)


def test_false_positives_cost_by_distance_from_the_window() -> None:
    f = label_file("a/x.csv", ROWS, [WINDOW], STANDARD)
    before = score_file(f, scores_with({300: 1.0, 500: 1.0}), 0.5)
    assert before.score == pytest.approx(1.0 - 0.11)  # no window before it: full cost
    after = score_file(f, scores_with({500: 1.0, 650: 1.0}), 0.5)
    position = (650 - 599) / 99
    assert after.score == pytest.approx(1.0 + 0.11 * scaled_sigmoid(position))
    assert after.false_positives == 1


def test_missed_window_and_probation_detections() -> None:
    f = label_file("a/x.csv", ROWS, [WINDOW], STANDARD)
    missed = score_file(f, scores_with({100: 1.0}), 0.5)  # in probation: ignored
    assert missed.score == -1.0 and missed.missed_windows == 1
    low_fn = label_file("a/x.csv", ROWS, [WINDOW], PROFILES["reward_low_fn"])
    assert score_file(low_fn, scores_with({}), 0.5).score == -2.0


def test_best_threshold_trades_false_positives_for_detections() -> None:
    f = label_file("a/x.csv", ROWS, [WINDOW], STANDARD)
    threshold, total = best_threshold([f], [scores_with({300: 0.9, 500: 0.8})])
    assert threshold == 0.8
    assert total == pytest.approx(1.0 - 0.11)


def test_normalised_score_null_is_0_perfect_is_100() -> None:
    f = label_file("a/x.csv", ROWS, [WINDOW], STANDARD)
    assert score_corpus([f], [scores_with({500: 1.0})], STANDARD).score == pytest.approx(100.0)
    assert score_corpus([f], [scores_with({})], STANDARD).score == pytest.approx(0.0)
    late = score_corpus([f], [scores_with({599: 1.0})], STANDARD)
    right_edge = (2 / (1 + math.exp(-0.05)) - 1) / scaled_sigmoid(-1.0)
    assert late.score == pytest.approx(100 * (right_edge + 1) / 2)
    assert late.by_category == {"a": pytest.approx(late.score)}


def test_window_indices_from_timestamps_and_a_window_between_rows() -> None:
    start = datetime(2026, 1, 1)
    times = [start + timedelta(minutes=5 * i) for i in range(10)]
    assert window_indices(times, [(times[2], times[4])]) == [(2, 4)]
    with pytest.raises(ValueError, match="holds no row"):
        window_indices(times, [(times[2] + timedelta(minutes=1), times[2] + timedelta(minutes=2))])


def test_score_count_must_match_rows() -> None:
    f = label_file("a/x.csv", ROWS, [WINDOW], STANDARD)
    with pytest.raises(ValueError, match=r"a/x\.csv: 3 anomaly scores for 1000 rows"):
        score_file(f, [0.0, 0.0, 0.0], 0.5)
