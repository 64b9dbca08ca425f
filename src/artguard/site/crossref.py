"""Checks that need the whole site: ids that must exist, be unique, or agree with each other.

Runs on a schema-valid :class:`~artguard.site.model.Site` (possibly a partial one built from
the items that did validate) and returns :class:`~artguard.site.problems.Issue` values whose
``loc`` indexes the site's own lists; the loader ties them to lines. The checks themselves
live in :mod:`~artguard.site.crossref_plan` (floor plan, artworks, cameras),
:mod:`~artguard.site.crossref_vision` (cameras' zones, lines and speakers) and
:mod:`~artguard.site.crossref_access` (doors, sensors, people, policies).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Set
from datetime import date

from artguard.site.checker import SECTIONS, Checker
from artguard.site.crossref_access import check_doors, check_people, check_policies, check_sensors
from artguard.site.crossref_plan import check_artworks, check_cameras, check_rooms
from artguard.site.crossref_response import check_response_policy
from artguard.site.crossref_vision import check_camera_vision
from artguard.site.model import Site
from artguard.site.playbooks import check_playbooks
from artguard.site.problems import Issue, Loc
from artguard.site.procedures import check_procedures

__all__ = ["SECTIONS", "cross_check"]


def cross_check(
    site: Site,
    declared: Mapping[str, Iterable[str]] | None = None,
    unknowable: Set[str] = frozenset(),
) -> list[Issue]:
    """All cross-reference issues in ``site`` (see :class:`Checker` for the arguments)."""
    checker = Checker(site, declared, unknowable)
    for check in (
        check_unique_ids,
        check_device_ids,
        check_rooms,
        check_artworks,
        check_cameras,
        check_camera_vision,
        check_doors,
        check_sensors,
        check_people,
        check_policies,
        check_response_policy,
        check_procedures,
        check_playbooks,
    ):
        check(checker)
    return checker.issues


def check_unique_ids(c: Checker) -> None:
    """Ids are unique within each section; holidays are listed once."""
    for section, word in SECTIONS.items():
        first: dict[str, int] = {}
        for i, item in enumerate(getattr(c.site, section)):
            if item.id in first:
                c.add(
                    (section, i, "id"),
                    f"duplicate {word} id {item.id!r}; each {word} needs its own id",
                    also=(section, first[item.id], "id"),
                )
            else:
                first[item.id] = i
    dates: dict[date, int] = {}
    for i, holiday in enumerate(c.site.holidays):
        if holiday.date in dates:
            c.add(
                ("holidays", i, "date"),
                f"{holiday.date.isoformat()} is listed twice",
                also=("holidays", dates[holiday.date], "date"),
            )
        dates.setdefault(holiday.date, i)


def check_device_ids(c: Checker) -> None:
    """Readers, locks, cameras, sensors and doors share one id space (events name them)."""
    devices: list[tuple[str, str, Loc]] = []
    for i, camera in enumerate(c.site.cameras):
        devices.append((camera.id, "camera", ("cameras", i, "id")))
    for i, door in enumerate(c.site.doors):
        devices.append((door.id, "door", ("doors", i, "id")))
        devices.extend(
            (reader, "reader", ("doors", i, "readers", j)) for j, reader in enumerate(door.readers)
        )
        devices.extend(
            (reader, "reader", ("doors", i, "exit_readers", j))
            for j, reader in enumerate(door.exit_readers)
        )
        if door.lock:
            devices.append((door.lock, "lock", ("doors", i, "lock")))
    for i, sensor in enumerate(c.site.sensors):
        devices.append((sensor.id, "sensor", ("sensors", i, "id")))
    seen: dict[str, tuple[str, Loc]] = {}
    for device_id, kind, loc in devices:
        if device_id not in seen:
            seen[device_id] = (kind, loc)
            continue
        first_kind, first_loc = seen[device_id]
        if first_kind == kind and kind in {"camera", "door", "sensor"}:
            continue  # already reported as a duplicate id of its section
        c.add(
            loc,
            f"device id {device_id!r} is already used by a {first_kind}; every reader, "
            "lock, camera, sensor and door needs its own id",
            also=first_loc,
        )
