"""A shared model serves the camera threads in arrival order and counts waiting and running."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

from artguard.vision.detections import Detections
from artguard.vision.detectors.base import Image
from artguard.vision.service import SharedDetector
from artguard.vision.shared_model import TakingTurnsPool


def _model_call(model: list[int], i: int) -> Detections:
    model.append(i)
    return Detections.empty()


def test_callers_are_served_first_come_first_served() -> None:
    calls: list[int] = []
    pool = TakingTurnsPool([calls])
    gate = threading.Event()

    def blocking(model: list[int], _: object) -> Detections:
        gate.wait(5)
        return Detections.empty()

    first = threading.Thread(target=pool.run, args=(blocking, None))
    first.start()
    threads = []
    for i in range(6):  # queue six callers behind the one holding the only copy
        t = threading.Thread(target=pool.run, args=(_model_call, i))
        t.start()
        threads.append(t)
        deadline = time.monotonic() + 5
        while pool._next != i + 2 and time.monotonic() < deadline:
            time.sleep(0.001)
    gate.set()
    for t in [first, *threads]:
        t.join(5)
    assert calls == list(range(6))


def test_a_copy_is_given_back_when_the_call_raises() -> None:
    pool = TakingTurnsPool([object()])

    def failing(model: object, _: object) -> Detections:
        raise RuntimeError("inference failed")

    with pytest.raises(RuntimeError):
        pool.run(failing, None)
    done = threading.Event()
    threading.Thread(
        target=lambda: (pool.run(lambda m, i: Detections.empty(), None), done.set())
    ).start()
    assert done.wait(2), "the copy was not given back"
    assert pool.use.calls == 2


def test_copies_run_side_by_side() -> None:
    pool = TakingTurnsPool([SlowDetector(), SlowDetector()])
    image = np.zeros((8, 8, 3), np.uint8)
    threads = [
        threading.Thread(target=pool.run, args=(lambda d, im: d.detect(im), image))
        for _ in range(4)
    ]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert time.perf_counter() - started < 0.075, "two copies: four 20 ms calls in two rounds"
    assert pool.use.calls == 4


class SlowDetector:
    name = "slow-test"

    def detect(self, image: Image) -> Detections:
        time.sleep(0.02)
        return Detections.empty()


def test_shared_detector_counts_waiting_and_running() -> None:
    shared = SharedDetector(SlowDetector())
    image = np.zeros((8, 8, 3), np.uint8)
    threads = [threading.Thread(target=shared.detect, args=(image,)) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    use = shared.use
    assert use.calls == 4
    assert 0.08 <= use.running < 0.5
    assert use.waiting >= 0.015, "calls that arrived while another ran waited for it"
    assert shared.use.as_dict()["calls"] == 4
