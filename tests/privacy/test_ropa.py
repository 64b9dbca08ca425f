"""The record of processing is generated from the site file, retention and roles included."""

from __future__ import annotations

import json
from html.parser import HTMLParser

from artguard.auth.roles import ROLE_PERMISSIONS
from artguard.privacy.ropa import DATA_KINDS, build_ropa, to_html, to_markdown
from artguard.site import Retention, Site, parse_site
from artguard.site.durations import format_duration
from tests.conftest import SMALL_SITE

CUSTOM = """retention:
  events: 14d
  access: 45d
  watch_flags: 2d
  biometric_templates: 180d
  snapshots: 10d
  originals: 3d
privacy: {blur_faces: false, keep_originals: true}
"""


def _custom_site() -> Site:
    text = SMALL_SITE.read_text()
    lines = [line for line in text.splitlines() if not line.startswith("retention:")]
    return parse_site("\n".join(lines) + "\n" + CUSTOM, "custom.yaml")


def test_every_retention_key_is_listed_with_the_sites_value() -> None:
    site = _custom_site()
    ropa = build_ropa(site)
    json.dumps(ropa, allow_nan=False)  # plain JSON all through (the API returns it)
    listed = {row["key"]: row["kept"] for row in ropa["retention"]}
    assert set(listed) == set(Retention.model_fields)
    for key in Retention.model_fields:
        assert listed[key] == format_duration(getattr(site.retention, key))
    assert listed["access"] == "45d" and listed["biometric_templates"] == "180d"
    assert listed["watch_flags"] == "2d" and listed["events"] == "14d"
    markdown = to_markdown(ropa)
    for key in Retention.model_fields:
        assert f"| `{key}` | {listed[key]} |" in markdown


def test_each_kind_says_purpose_basis_retention_roles_and_safeguards() -> None:
    site = _custom_site()
    kinds = {k["id"]: k for k in build_ropa(site)["data_kinds"]}
    assert set(kinds) == {k.id for k in DATA_KINDS}
    assert {"video", "snapshots", "face_templates", "access", "sensor_data"} <= set(kinds)
    assert "visitor_tracks" in kinds
    for kind in kinds.values():
        assert kind["purpose"] and kind["legal_basis"] and kind["safeguards"]
    assert kinds["access"]["retention"] == {"access": "45d"}
    assert kinds["face_templates"]["retention"] == {"biometric_templates": "180d"}
    # roles come from the role table: whoever holds audit.read sees the audit log
    assert kinds["audit"]["who_can_see"] == [
        r for r, held in ROLE_PERMISSIONS.items() if "audit.read" in held
    ]
    assert "curator" not in kinds["access"]["who_can_see"]
    # safeguards follow the site's privacy settings
    assert any("BLURRING IS OFF" in s for s in kinds["snapshots"]["safeguards"])
    assert any("originals kept for 3d" in s for s in kinds["snapshots"]["safeguards"])


def test_automated_decisions_show_the_sites_thresholds() -> None:
    site = parse_site(SMALL_SITE.read_text())
    groups = build_ropa(site)["automated_decisions"]
    alerts = {r["rule"]: r for r in groups[1]["rules"]}
    window = alerts["door_forced"]["settings"]["site:policies.forced_open_grant_window_seconds"]
    assert window == site.policies.forced_open_grant_window_seconds
    access = {r["rule"]: r for r in groups[0]["rules"]}
    assert access["risk.*"]["settings"]["site:policies.access.deny_risk"] == (
        site.policies.access.deny_risk
    )
    assert access["face.*"]["models"] == ["face_verifier"]


def test_html_is_well_formed_and_escaped() -> None:
    html = to_html(build_ropa(parse_site(SMALL_SITE.read_text())))

    class Checker(HTMLParser):
        def __init__(self) -> None:
            super().__init__()
            self.stack: list[str] = []

        def handle_starttag(self, tag: str, attrs: object) -> None:
            if tag not in {"meta", "br"}:
                self.stack.append(tag)

        def handle_endtag(self, tag: str) -> None:
            assert self.stack and self.stack.pop() == tag, tag

    checker = Checker()
    checker.feed(html)
    assert checker.stack == [] and "<h2>Retention</h2>" in html
