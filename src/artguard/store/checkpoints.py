"""Named progress markers, e.g. the newest event time the rules have analysed."""

from __future__ import annotations

from sqlalchemy import Engine, select, update

from artguard.events import utcnow
from artguard.store.db import writing
from artguard.store.tables import checkpoints


def read_checkpoint(engine: Engine, name: str) -> str | None:
    with engine.connect() as conn:
        return conn.execute(
            select(checkpoints.c.value).where(checkpoints.c.name == name)
        ).scalar_one_or_none()


def write_checkpoint(engine: Engine, name: str, value: str) -> None:
    with writing(engine) as conn:
        changed = conn.execute(
            update(checkpoints)
            .where(checkpoints.c.name == name)
            .values(value=value, updated_time=utcnow())
        ).rowcount
        if not changed:
            conn.execute(checkpoints.insert().values(name=name, value=value, updated_time=utcnow()))
