"""The site file's playbooks, notifications and door_control sections: schema and references."""

from __future__ import annotations

import pytest

from artguard.site import SiteError
from artguard.site.playbooks import Notifications
from tests.actions.helpers import THEFT_PLAYBOOK, site_with, webhook_channel


def _problems(extra: str) -> list[str]:
    with pytest.raises(SiteError) as caught:
        site_with(extra)
    return [f"{p.field}: {p.message}" for p in caught.value.problems]


def test_a_full_playbook_section_loads() -> None:
    site = site_with(
        THEFT_PLAYBOOK
        + webhook_channel(9)
        + """
door_control:
  timeout: 3s
  default: {transport: mqtt}
  doors:
    d-vault: {transport: http, url: "http://10.0.0.5/locks/{door}", timeout: 8s}
    d-front: {transport: none}
"""
    )
    playbook = site.playbooks[0]
    assert [a.name for a in playbook.do] == ["lock_doors", "notify"]
    assert playbook.matches("theft_in_progress", 0.8, {"hall"})
    assert not playbook.matches("theft_in_progress", 0.69, {"hall"})
    assert not playbook.matches("after_hours_intrusion", 0.9, {"hall"})
    control = site.door_control
    assert control.route("d-front") is None  # transport none: no route
    assert control.route("d-vault").transport == "http"  # type: ignore[union-attr]
    assert control.timeout_for("d-vault").total_seconds() == 8
    assert control.timeout_for("d-front").total_seconds() == 3


def test_rooms_restrict_a_playbook() -> None:
    site = site_with(
        """
playbooks:
  - id: vault-only
    when: {patterns: [any], rooms: [vault]}
    do: [{threat_level: elevated}]
"""
    )
    playbook = site.playbooks[0]
    assert playbook.matches(None, 0.1, {"gallery", "vault"})
    assert not playbook.matches("theft_in_progress", 0.9, {"gallery"})


def test_unknown_references_are_named_with_their_path() -> None:
    problems = _problems(
        webhook_channel(9)
        + """
playbooks:
  - id: theft
    when: {patterns: [theft_in_progres], rooms: [atrium]}
    do:
      - lock_doors: [d-back]
      - record: {cameras: [cam-9], seconds: 30}
      - notify: {channel: hoook}
  - id: theft
    when: {patterns: [any]}
    do: [{threat_level: lockdown}]
door_control:
  doors: {d-side: {transport: mqtt}}
"""
    )
    text = "\n".join(problems)
    assert "playbooks[theft].when.patterns[0]: unknown pattern 'theft_in_progres'" in text
    assert "did you mean 'theft_in_progress'" in text
    assert "playbooks[theft].when.rooms[0]: unknown room 'atrium'" in text
    assert "playbooks[theft].do[0].lock_doors[0]: unknown door 'd-back'" in text
    assert "playbooks[theft].do[1].record.cameras[0]: unknown camera 'cam-9'" in text
    assert "playbooks[theft].do[2].notify.channel: unknown channel 'hoook'" in text
    assert "duplicate playbook id 'theft'" in text
    assert "door_control.doors.d-side: unknown door 'd-side'" in text


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        (
            "playbooks: [{id: p, when: {patterns: [any]}, do: [{threat_level: elevated, "
            "notify: {}}]}]",
            "exactly one of lock_doors, threat_level, notify, record (got threat_level, notify)",
        ),
        (
            "playbooks: [{id: p, when: {patterns: [any]}, do: [{notify: {message: '{who}'}}]}]",
            "unknown placeholder {who}",
        ),
        (
            "playbooks: [{id: p, when: {patterns: [any]}, do: [{threat_level: normal}]}]",
            "threat_level",
        ),
        (
            "notifications: {channels: {m: {type: email, host: smtp, sender: a@b, to: [c@d], "
            "password_env: SMTP_PASSWORD}}}",
            "password_env needs a username",
        ),
        (
            "notifications: {channels: {m: {type: email, host: smtp, sender: a@b, to: [c@d], "
            "password: hunter2}}}",
            "password",
        ),
        ("notifications: {channels: {q: {type: mqtt, topic: 'a/#'}}}", "wildcards"),
        ("door_control: {default: {transport: http}}", "an http route needs a url"),
    ],
)
def test_bad_entries_say_what_is_wrong(extra: str, expected: str) -> None:
    assert any(expected in p for p in _problems("\n" + extra + "\n")), _problems(
        "\n" + extra + "\n"
    )


def test_audience_channels() -> None:
    notifications = Notifications.model_validate(
        {
            "channels": {
                "ops": {"type": "mqtt", "topic": "pager/ops"},
                "desk": {"type": "webhook", "url": "https://chat.example/hook"},
            },
            "audiences": {"supervisor": ["ops", "desk"], "default": ["desk"]},
        }
    )
    assert notifications.channels_for("supervisor", []) == ["ops", "desk"]
    assert notifications.channels_for("guard", []) == ["desk"]  # the default audience
    assert notifications.channels_for("guard", ["ops"]) == ["ops"]  # explicit wins
    assert notifications.channels_for("channel:ops", []) == ["ops"]
