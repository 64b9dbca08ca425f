"""Learning normal visitor behaviour from the stored detection events (``artguard visitors
learn``): the same watch as live, run over the event log with learning on and flags ignored."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine

from artguard.events import Detection, EventBase
from artguard.site import Site
from artguard.store.events import load_events
from artguard.visitors.model import BehaviourModel
from artguard.visitors.watch import VisitorWatch

BATCH = 2000


@dataclass(frozen=True)
class LearnResult:
    model: BehaviourModel
    events: int
    visitors: int
    first: datetime | None
    last: datetime | None


def learn_from_events(site: Site, events: Iterable[EventBase]) -> LearnResult:
    """Learn from detection events in time order (an iterable of ``Detection``)."""
    watch = VisitorWatch(site, BehaviourModel(), learn=True)
    count, first, last = 0, None, None
    for event in events:
        if not isinstance(event, Detection):
            continue
        watch.on_detection(event)
        count += 1
        first = first or event.site_time
        last = event.site_time
    if last is not None:
        watch.finish_all(last)
    return LearnResult(watch.model, count, watch.visitors_seen, first, last)


def learn_from_store(engine: Engine, site: Site, since: datetime | None = None) -> LearnResult:
    """Learn from every stored detection event (received since ``since``), from scratch."""

    def stored() -> Iterator[EventBase]:
        after = 0
        with engine.connect() as conn:
            while True:
                rows = load_events(
                    conn, after_seq=after, limit=BATCH, kinds=["detection"], since=since
                )
                if not rows:
                    return
                for seq, event in rows:
                    after = seq
                    yield event

    return learn_from_events(site, stored())
