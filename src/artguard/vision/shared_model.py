"""One loaded model shared by every camera thread: calls in arrival order, with their cost.

The cameras take turns on the model's copies. The turn order matters for latency: with a plain
lock, whichever thread the OS wakes first wins, so under load one camera can lose several turns
in a row and its frame waits many inferences (8 cameras on an overloaded machine: the slowest
analysed 0.95 frames/s, the mean was 2.8; served first come, first served, 5 busy cameras got
1.48-1.51 each). :class:`TakingTurnsPool` admits callers in arrival order, so a frame waits at
most one inference per other camera.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from artguard.vision.detections import Detections
from artguard.vision.detectors.base import Image

M = TypeVar("M")


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


class TakingTurnsPool(Generic[M]):
    """Several copies of a model, each used by one caller at a time; callers are admitted
    first come, first served and take whichever copy is free.

    Why copies: on this 2-core machine one CenterNet session with two intra-op threads
    manages 21 runs/s, two single-threaded sessions side by side 40 runs/s (the threads of
    one inference spend much of their time waiting for each other). With many cameras there
    is always more than one frame waiting, so copies double the detector's throughput.
    """

    def __init__(self, models: Sequence[M]) -> None:
        if not models:
            raise ValueError("a pool needs at least one model")
        self._free: list[M] = list(models)
        self._cond = threading.Condition(threading.Lock())
        self._next = 0
        self._serving = 0
        self.size = len(models)
        self.use = ModelUse()

    def run(self, call: Callable[[M, Image], Detections], image: Image) -> Detections:
        asked = time.perf_counter()
        with self._cond:
            ticket = self._next
            self._next += 1
            while self._serving != ticket or not self._free:
                self._cond.wait()
            self._serving += 1
            model = self._free.pop()
            self._cond.notify_all()
        started = time.perf_counter()
        try:
            return call(model, image)
        finally:
            ended = time.perf_counter()
            with self._cond:
                self._free.append(model)
                self.use.calls += 1
                self.use.waiting += started - asked
                self.use.running += ended - started
                self._cond.notify_all()
