"""A decision point over the access test site, and a terse way to ask it."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from artguard.access.pdp import DecisionPoint
from artguard.access.request import AccessRequest, Decision
from artguard.site import Site, load_site

SITE_PATH = Path(__file__).parents[1] / "fixtures" / "access-site.yaml"
LONDON = ZoneInfo("Europe/London")
TUESDAY_10 = datetime(2026, 11, 24, 10, 0, tzinfo=LONDON)


def access_site() -> Site:
    return load_site(SITE_PATH)


class Door:
    """Asks the decision point and, like a real door, acts on the answer (records it)."""

    def __init__(self, site: Site | None = None, **policy: Any) -> None:
        self.pdp = DecisionPoint(site or access_site())
        if policy:
            self.pdp.policy = self.pdp.policy.model_copy(update=policy)
        self.now = TUESDAY_10

    def ask(
        self,
        credential: str,
        reader: str,
        *factors: str,
        after: float = 1.0,
        record: bool = True,
    ) -> Decision:
        self.now += timedelta(seconds=after)
        request = AccessRequest.make(credential, reader, self.now, factors or ("card",))
        decision = self.pdp.decide(request)
        if record:
            self.pdp.record(decision)
        return decision
