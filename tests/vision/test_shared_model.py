"""A shared model serves the camera threads in arrival order and counts waiting and running."""

from __future__ import annotations

import threading
import time

import numpy as np

from artguard.vision.detections import Detections
from artguard.vision.detectors.base import Image
from artguard.vision.service import SharedDetector
from artguard.vision.shared_model import FairLock


def test_fair_lock_serves_waiters_first_come_first_served() -> None:
    lock = FairLock()
    order: list[int] = []

    def worker(i: int) -> None:
        with lock:
            order.append(i)

    threads = []
    with lock:
        for i in range(6):
            t = threading.Thread(target=worker, args=(i,))
            t.start()
            threads.append(t)
            deadline = time.monotonic() + 5
            while lock._next != i + 2 and time.monotonic() < deadline:  # queued behind us
                time.sleep(0.001)
    for t in threads:
        t.join(5)
    assert order == list(range(6))


def test_fair_lock_is_released_when_the_call_raises() -> None:
    lock = FairLock()
    try:
        with lock:
            raise RuntimeError("inference failed")
    except RuntimeError:
        pass
    done = threading.Event()

    def take() -> None:
        with lock:
            done.set()

    threading.Thread(target=take).start()
    assert done.wait(2), "the lock was left held"


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
