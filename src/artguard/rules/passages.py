"""Door passage counters: the people a sensor counted through a door, from its readings.

A ``passage_counter`` sensor (an overhead people counter, or a beam-break pair that tells the
direction by which beam breaks first) is fitted to a badged door and counts people passing
into the door's ``to_room``. It reports in one of two ways (``counting`` in the site file):

* ``cumulative`` (default): each reading is the counter's running total; the passages are the
  increase since the previous reading. The first reading only sets the baseline. A total that
  falls is a counter reset (power cycle, replacement): the new value becomes the baseline and
  nothing is counted, so a reset never looks like a crowd. With ``rollover`` (a 16-bit counter
  wraps at 65536) a fall that is consistent with a wrap is counted across the wrap. A jump of
  more than ``MAX_STEP`` at once is not believed either (a counter swapped for one at another
  total, or readings lost for a long time): it resynchronises too.
* ``per_passage``: each reading is the number of people just counted (usually 1); a 0 is a
  heartbeat.

Readings that are not whole numbers >= 0, or older than the counter's last reading (a late
or replayed message: counting them would see a reset that did not happen), count nothing.
Either way the counter must report when it counts (within a second or two), since passages
are matched to grants by the reading's time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from artguard.events import SensorReading
from artguard.site import Sensor

MAX_STEP = 20
"""The most people one reading may add: a staff door does not pass more between two reports."""


@dataclass(frozen=True)
class Passage:
    """People one reading counted through a door."""

    at: datetime
    count: int
    sensor_id: str
    event_id: str


@dataclass
class CounterState:
    """What one counter has reported: the total it is at and what was not believed."""

    total: int | None = None
    last_at: datetime | None = None
    resets: int = 0
    ignored: int = 0


class PassageCounter:
    """Turns one passage counter's readings into :class:`Passage` values."""

    def __init__(self, sensor: Sensor) -> None:
        if sensor.type != "passage_counter" or sensor.door is None:
            raise ValueError(f"sensor {sensor.id!r} is not a passage_counter fitted to a door")
        self.sensor = sensor
        self.door_id: str = sensor.door
        self.cumulative = (sensor.counting or "cumulative") == "cumulative"
        self.state = CounterState()

    def read(self, event: SensorReading) -> Passage | None:
        """The passage this reading reports, or None (a heartbeat, a baseline, a reset or a
        reading that is not believed)."""
        value = event.value
        state = self.state
        if value < 0 or value != int(value):
            state.ignored += 1
            return None
        if state.last_at is not None and event.site_time < state.last_at:
            state.ignored += 1
            return None
        state.last_at = event.site_time
        count = self._counted(int(value)) if self.cumulative else int(value)
        if count <= 0:
            return None
        return Passage(event.site_time, count, self.sensor.id, event.id)

    def _counted(self, total: int) -> int:
        state = self.state
        previous, state.total = state.total, total
        if previous is None:
            return 0
        step = total - previous
        if step < 0 and self.sensor.rollover is not None:
            step += self.sensor.rollover  # a wrap if small, otherwise still a reset below
        if step < 0 or step > MAX_STEP:
            state.resets += 1
            return 0
        return step
