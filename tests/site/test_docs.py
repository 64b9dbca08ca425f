"""docs/site-model.md documents every key of every section, and no key that does not exist."""

from __future__ import annotations

import re

import pytest
from pydantic import BaseModel

from artguard.site import (
    AccessPolicy,
    Artwork,
    Barrier,
    Camera,
    Conservation,
    ConservationRates,
    Credential,
    Door,
    EvidenceSettings,
    Floor,
    Holiday,
    Person,
    Policies,
    Privacy,
    Retention,
    Role,
    Room,
    Schedule,
    Sensor,
    SiteInfo,
    TimeWindow,
    VisitorPolicy,
    parse_site,
)

from .helpers import REPO

DOC = (REPO / "docs" / "site-model.md").read_text(encoding="utf-8")

SECTIONS: dict[str, type[BaseModel]] = {
    "site": SiteInfo,
    "floors[]": Floor,
    "schedules[]": Schedule,
    "schedules[].windows[]": TimeWindow,
    "holidays[]": Holiday,
    "rooms[]": Room,
    "rooms[].conservation": Conservation,
    "rooms[].conservation.max_rate_per_hour": ConservationRates,
    "artworks[]": Artwork,
    "artworks[].barriers[]": Barrier,
    "cameras[]": Camera,
    "doors[]": Door,
    "sensors[]": Sensor,
    "roles[]": Role,
    "people[]": Person,
    "people[].credentials[]": Credential,
    "policies": Policies,
    "policies.access": AccessPolicy,
    "policies.visitors": VisitorPolicy,
    "retention": Retention,
    "privacy": Privacy,
    "evidence": EvidenceSettings,
}


def documented_keys(heading: str) -> list[str]:
    match = re.search(rf"^### `{re.escape(heading)}`\n(.*?)(?=^#)", DOC, re.S | re.M)
    assert match, f"no section '### `{heading}`' in docs/site-model.md"
    return re.findall(r"^\| `([^`]+)` \|", match.group(1), re.M)


@pytest.mark.parametrize(("heading", "model"), SECTIONS.items())
def test_every_key_is_documented(heading: str, model: type[BaseModel]) -> None:
    keys = [info.alias or name for name, info in model.model_fields.items()]
    assert documented_keys(heading) == keys


def test_every_model_field_has_a_description() -> None:
    for model in SECTIONS.values():
        for name, info in model.model_fields.items():
            assert info.description, f"{model.__name__}.{name} has no description"


def test_the_example_in_the_docs_is_a_valid_site() -> None:
    example = re.search(r"^## Example\n.*?```yaml\n(.*?)```", DOC, re.S | re.M)
    assert example
    site = parse_site(example.group(1), file="docs/site-model.md")
    assert site.door_for_reader("r-hall-g1").to_room == "gallery-1"
