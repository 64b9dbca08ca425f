"""A two-person site with face templates, access decisions and alerts for privacy tests.

p-1 (Alex Guard, badge-1) is granted at the front door; p-2 (Blair Keeper, badge-2) is denied at
the vault five times, which locks the card out and raises an ``access_lockout`` alert naming
Blair; the front door is then forced (a ``door_forced`` alert naming nobody). Both have an
encrypted face template.
"""

from __future__ import annotations

import base64
import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import numpy as np
import pytest

from artguard.access.request import AccessRequest
from artguard.biometrics.templates import Consent
from artguard.config import Settings
from artguard.runtime import Runtime
from artguard.site import Site, parse_site
from tests.conftest import NIGHT, NOON, SMALL_SITE, at, door

PEOPLE = """people:
  - id: p-1
    name: Alex Guard
    role: guard
    schedule: day-shift
    zones: ["*"]
    credentials: [{id: badge-1, type: card}, {id: face-1, type: face}]
  - id: p-2
    name: Blair Keeper
    role: guard
    zones: [hall, gallery]
    credentials: [{id: badge-2, type: card}]
"""


@pytest.fixture(scope="session")
def two_people_site() -> Site:
    text = SMALL_SITE.read_text()
    start = text.index("people:\n")
    end = text.index("policies:\n")
    return parse_site(text[:start] + PEOPLE + text[end:], "two-people.yaml")


@pytest.fixture
def template_key() -> bytes:
    return secrets.token_bytes(32)


@pytest.fixture
def key_settings(tmp_path: Path, template_key: bytes) -> Settings:
    encoded = base64.urlsafe_b64encode(template_key).decode()
    return Settings(data_dir=tmp_path / "var", environ={"ARTGUARD_BIOMETRIC_KEY": encoded})


@dataclass(frozen=True)
class Populated:
    runtime: Runtime
    grant_event_id: str
    """The stored access_decision event of p-1's grant."""


def descriptors(seed: int) -> np.ndarray:
    return np.random.default_rng(seed).normal(size=(2, 128)).astype(np.float32)


def consent(person: str) -> Consent:
    return Consent(person, "op:dana", "biometric-consent-v2", NOON)


async def populate(runtime: Runtime) -> Populated:
    assert runtime.templates is not None
    runtime.templates.enrol("p-1", descriptors(1), consent("Alex Guard"), now=NOON)
    runtime.templates.enrol("p-2", descriptors(2), consent("Blair Keeper"), now=NOON)
    granted = await runtime.access.decide(AccessRequest.make("badge-1", "r-front", NOON))
    assert granted.outcome == "grant", granted.reasons
    for n in range(5):
        when = NOON + timedelta(minutes=1, seconds=n)
        denied = await runtime.access.decide(AccessRequest.make("badge-2", "r-vault", when))
        assert denied.outcome == "deny", denied.reasons
    forced = door("d-front", "dc-front", "open", at(NIGHT, 0))  # closed to the public
    await runtime.ingest.submit([forced], token=None, source="test", trusted=True)
    await runtime.bus.drain()
    from sqlalchemy import select

    from artguard.store.tables import events

    with runtime.engine.connect() as conn:
        grant_id = conn.execute(
            select(events.c.id).where(
                events.c.kind == "access_decision", events.c.payload.like('%"badge-1"%')
            )
        ).scalar_one()
    return Populated(runtime, grant_id)


@pytest.fixture
async def populated(key_settings: Settings, two_people_site: Site) -> AsyncIterator[Populated]:
    runtime = Runtime(key_settings, two_people_site, live_clock=False)
    await runtime.start()
    try:
        yield await populate(runtime)
    finally:
        await runtime.stop()
