"""Escalation rules as pure functions, and the ``policies.response`` section that sets them."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest

from artguard.site import SiteError, check_site
from artguard.site.response_policy import PATTERN_NAMES, ResponsePolicy
from artguard.triage import escalation as esc
from artguard.triage.patterns import LABELS
from tests.conftest import NIGHT
from tests.triage.escalation_helpers import escalation_site, site_text

REPO = Path(__file__).resolve().parents[2]
POLICY = ResponsePolicy()


@pytest.mark.parametrize(
    ("score", "pattern", "tier"),
    [
        (0.05, "loitering", "log"),
        (0.1, "loitering", "dashboard"),
        (0.39, "door_held_open", "dashboard"),
        (0.5, "door_forced", "page_guard"),
        (0.75, "door_forced", "supervisor"),
        (0.93, "after_hours_intrusion", "lockdown"),
        (None, "door_forced", "log"),
    ],
)
def test_tier_follows_the_score(score: float | None, pattern: str, tier: str) -> None:
    assert esc.tier_for(score, pattern, POLICY).tier == tier


def test_a_pattern_never_goes_below_its_minimum_and_says_so() -> None:
    choice = esc.tier_for(0.2, "theft_in_progress", POLICY)
    assert choice.tier == "page_guard"
    assert choice.reason == "pattern theft_in_progress is never below page_guard (score 0.20)"
    # a higher score still wins over the minimum
    assert esc.tier_for(0.8, "theft_in_progress", POLICY).tier == "supervisor"
    assert esc.tier_for(0.05, "environmental_risk", POLICY).tier == "dashboard"


def test_reasons_name_the_threshold() -> None:
    assert esc.tier_for(0.75, "door_forced", POLICY).reason == (
        "score 0.75 >= 0.7 (supervisor threshold)"
    )
    assert "below the dashboard threshold 0.1" in esc.tier_for(0.02, "x", POLICY).reason


def test_deadlines_per_pattern_else_the_default() -> None:
    theft = esc.deadlines("theft_in_progress", POLICY, NIGHT)
    assert theft.acknowledge == NIGHT + timedelta(minutes=1)
    assert theft.resolve == NIGHT + timedelta(hours=1)
    other = esc.deadlines("door_forced", POLICY, NIGHT)
    assert other.acknowledge == NIGHT + timedelta(minutes=5)
    assert other.resolve == NIGHT + timedelta(hours=4)


def test_tightened_never_extends_a_deadline() -> None:
    early, late = NIGHT, NIGHT + timedelta(minutes=5)
    assert esc.tightened(None, late) == late
    assert esc.tightened(late, early) == early
    assert esc.tightened(early, late) == early


def test_a_missed_deadline_goes_one_tier_up_until_the_automatic_cap() -> None:
    assert esc.next_tier("dashboard", POLICY) == "page_guard"
    assert esc.next_tier("page_guard", POLICY) == "supervisor"
    assert esc.next_tier("supervisor", POLICY) is None  # the default cap
    assert esc.next_tier("lockdown", POLICY) is None
    bold = ResponsePolicy(max_auto_tier="lockdown")
    assert esc.next_tier("supervisor", bold) == "lockdown"
    shy = ResponsePolicy(max_auto_tier="dashboard")
    assert esc.next_tier("dashboard", shy) is None


def test_rising_several_tiers_notifies_each_audience_once() -> None:
    assert esc.audiences(None, "log") == {}
    assert esc.audiences(None, "supervisor") == {
        "dashboard": "dashboard",
        "guard": "page_guard",
        "supervisor": "supervisor",
    }
    assert esc.audiences("page_guard", "lockdown") == {"supervisor": "lockdown"}
    assert esc.audiences("dashboard", "page_guard") == {"guard": "page_guard"}


def test_needs_human_from_the_dashboard_up() -> None:
    assert not esc.needs_human("log")
    assert all(esc.needs_human(t) for t in ("dashboard", "page_guard", "supervisor", "lockdown"))


# -- the site file section --------------------------------------------------------------------


def test_pattern_names_match_the_recognised_patterns() -> None:
    assert set(PATTERN_NAMES) == set(LABELS)


def test_a_site_without_the_section_gets_the_defaults() -> None:
    policy = escalation_site().policies.response
    assert policy == ResponsePolicy()
    assert policy.minimum_for("theft_in_progress") == "page_guard"
    assert policy.guard_roles == ["guard"] and policy.supervisor_roles == ["security-supervisor"]


def test_overrides_merge_with_the_defaults() -> None:
    site = escalation_site(
        {
            "thresholds": {
                "dashboard": 0.2,
                "page_guard": 0.5,
                "supervisor": 0.8,
                "lockdown": 0.95,
            },
            "minimum_tier": {"tailgating": "page_guard"},
            "deadlines": {
                "theft_in_progress": {"acknowledge_within": "30s", "resolve_within": "2h"}
            },
            "default": {"acknowledge_within": "10m", "resolve_within": "8h"},
            "lockdown_raises_threat_level": True,
        }
    )
    policy = site.policies.response
    assert policy.minimum_for("tailgating") == "page_guard"
    assert policy.minimum_for("theft_in_progress") == "page_guard"  # kept from the defaults
    assert policy.deadlines_for("theft_in_progress").acknowledge_within == timedelta(seconds=30)
    assert policy.deadlines_for("touching_artwork").acknowledge_within == timedelta(minutes=2)
    assert policy.deadlines_for("door_forced").resolve_within == timedelta(hours=8)
    assert esc.tier_for(0.45, "door_forced", policy).tier == "dashboard"


@pytest.mark.parametrize(
    ("response", "message"),
    [
        ({"minimum_tier": {"theft": "page_guard"}}, "unknown pattern 'theft' in minimum_tier"),
        (
            {"deadlines": {"tailgate": {"acknowledge_within": "1m", "resolve_within": "1h"}}},
            "did you mean 'tailgating'",
        ),
        ({"thresholds": {"page_guard": 0.8}}, "page_guard (0.8) must be below supervisor (0.7)"),
        (
            {"default": {"acknowledge_within": "2h", "resolve_within": "1h"}},
            "acknowledge_within must not be longer than resolve_within",
        ),
        ({"minimum_tier": {"tailgating": "police"}}, "minimum_tier.tailgating"),
        ({"max_auto_tier": "log"}, "max_auto_tier must be dashboard or higher"),
        ({"default": {"acknowledge_within": "soon", "resolve_within": "1h"}}, "30d, 12h"),
        ({"escalate": True}, "escalate"),
    ],
)
def test_bad_policies_are_refused_with_the_place(response: dict, message: str) -> None:
    with pytest.raises(SiteError) as caught:
        escalation_site(response)
    text = str(caught.value)
    assert message in text and "policies.response" in text


def test_unknown_roles_are_reported_by_check(tmp_path: Path) -> None:
    path = tmp_path / "site.yaml"
    path.write_text(site_text({"supervisor_roles": ["control-room"]}), encoding="utf-8")
    problems = [str(p) for p in check_site(path)]
    assert len(problems) == 1
    assert "unknown role 'control-room'" in problems[0]
    assert "supervisor_roles" in problems[0]


def test_default_roles_missing_from_a_small_site_are_not_an_error(tmp_path: Path) -> None:
    path = tmp_path / "site.yaml"
    path.write_text(site_text(staff=False), encoding="utf-8")  # no security-supervisor role
    assert check_site(path) == []


def test_the_section_is_documented_key_by_key() -> None:
    doc = (REPO / "docs" / "site-model.md").read_text(encoding="utf-8")
    section = re.search(r"^### `policies\.response`\n(.*?)(?=^#)", doc, re.S | re.M)
    assert section, "no section policies.response in docs/site-model.md"
    keys = re.findall(r"^\| `([^`]+)` \|", section.group(1), re.M)
    assert keys == list(ResponsePolicy.model_fields)
    assert all(info.description for info in ResponsePolicy.model_fields.values())
