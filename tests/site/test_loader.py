"""Loading: YAML-level problems, every problem at once, and the SiteError raised by load_site."""

from __future__ import annotations

from pathlib import Path

import pytest

from artguard.site import Problem, SiteError, check_site, load_site, parse_site

from .helpers import BASE, edit, line_of, problems_for


def test_all_problems_are_reported_at_once_in_file_order(tmp_path: Path) -> None:
    text = edit(BASE, "    security_level: 3\n", "    security_level: 9\n")  # schema: store
    text = edit(text, "    to_room: entrance-hall", "    to_room: entrance")  # cross-ref
    text = edit(text, "    role: curator", "    role: curator\n    role: guard  # again")
    text = edit(text, "  snapshots: 30d", "  snapshots: soon")  # schema: retention
    text = edit(
        text, "    zones: [entrance-hall, gallery, store]", "    zones: [lobby]"
    )  # cross-ref
    problems = problems_for(tmp_path, text)
    assert [(p.field, p.line) for p in problems] == [
        ("rooms[store].security_level", line_of(text, "security_level: 9")),
        ("doors[d-entrance].to_room", line_of(text, "to_room: entrance\n".strip())),
        ("people[p-002].role", line_of(text, "# again")),
        ("people[p-002].zones[0]", line_of(text, "zones: [lobby]")),
        ("retention.snapshots", line_of(text, "snapshots: soon")),
    ]
    assert "input should be less than or equal to 4 (got 9)" in problems[0].message
    assert "duplicate key 'role' (first on line" in problems[2].message


def test_items_that_fail_the_schema_still_count_as_declared(tmp_path: Path) -> None:
    """A room with a bad field is reported once, not again by every reference to it."""
    text = edit(BASE, "    security_level: 3\n", "    security_level: high\n")
    problems = problems_for(tmp_path, text)
    assert [p.field for p in problems] == ["rooms[store].security_level"]


def test_a_section_that_is_not_a_list_does_not_flood_references(tmp_path: Path) -> None:
    start = BASE.index("cameras:\n")
    end = BASE.index("doors:\n")
    text = BASE[:start] + "cameras: cam-gallery\n\n" + BASE[end:]
    problems = problems_for(tmp_path, text)
    assert [p.field for p in problems] == ["cameras"]
    assert "valid list" in problems[0].message


def test_cross_references_are_checked_even_when_the_site_block_is_broken(tmp_path: Path) -> None:
    text = edit(BASE, "timezone: Europe/London", "timezone: Mars/Olympus")
    text = edit(text, "    to_room: store", "    to_room: stor")
    assert [p.field for p in problems_for(tmp_path, text)] == [
        "site.timezone",
        "doors[d-store].to_room",
    ]


def test_yaml_syntax_error_is_reported_with_its_line(tmp_path: Path) -> None:
    text = edit(BASE, "    rooms: [gallery]", "    rooms: [gallery")
    [problem] = problems_for(tmp_path, text)
    assert problem.message.startswith("invalid YAML: ")
    assert problem.line == line_of(text, "resolution: [1280, 720]")
    assert problem.field == ""
    assert "(the construct began on line " in problem.message


def test_tab_indentation_is_a_syntax_error(tmp_path: Path) -> None:
    text = edit(BASE, "    fps: 5", "\tfps: 5")
    [problem] = problems_for(tmp_path, text)
    assert problem.line == line_of(text, "\tfps: 5")
    assert "invalid YAML" in problem.message


def test_every_duplicate_key_is_reported_with_both_lines(tmp_path: Path) -> None:
    text = edit(BASE, "  name: My museum\n", "  name: My museum\n  name: Another name\n")
    text = edit(text, "    lock: lock-store\n", "    lock: lock-store\n    lock: lock-other\n")
    problems = problems_for(tmp_path, text)
    assert [(p.field, p.line) for p in problems] == [
        ("site.name", line_of(text, "name: Another name")),
        ("doors[d-store].lock", line_of(text, "lock: lock-other")),
    ]
    first = line_of(text, "name: My museum")
    assert f"duplicate key 'name' (first on line {first})" in problems[0].message


@pytest.mark.parametrize(
    ("text", "got"),
    [("", "an empty file"), ("# only a comment\n", "an empty file"), ("- a\n- b\n", "a list")],
)
def test_the_document_must_be_a_mapping(tmp_path: Path, text: str, got: str) -> None:
    [problem] = problems_for(tmp_path, text)
    assert problem.message.startswith("expected a mapping with keys site, floors, schedules")
    assert problem.message.endswith(f"got {got}")


def test_missing_sections_are_named(tmp_path: Path) -> None:
    problems = problems_for(tmp_path, "site: {id: s, name: S, timezone: UTC}\n")
    assert [(p.field, p.message.split(" (")[0]) for p in problems] == [
        ("floors", "missing required field 'floors'"),
        ("rooms", "missing required field 'rooms'"),
    ]


def test_an_item_that_is_not_a_mapping_says_which_keys_it_needs(tmp_path: Path) -> None:
    text = edit(BASE, "  - {id: ground, name: Ground floor, level: 0}", "  - ground")
    problems = problems_for(tmp_path, text)
    assert problems[0].field == "floors[0]"
    assert problems[0].message == "expected a mapping with keys id, name, level, got 'ground'"


def test_the_reserved_room_id_is_refused(tmp_path: Path) -> None:
    text = edit(BASE, "  - id: store\n", "  - id: outside\n")
    problems = problems_for(tmp_path, text)
    reserved = [p for p in problems if p.field == "rooms[outside].id"]
    assert len(reserved) == 1 and "reserved" in reserved[0].message


def test_load_site_raises_site_error_listing_every_problem(tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    text = edit(BASE, "    to_room: store", "    to_room: stor")
    path.write_text(edit(text, "    fps: 5", "    fps: -1"), encoding="utf-8")
    with pytest.raises(SiteError) as caught:
        load_site(path)
    assert len(caught.value.problems) == 2
    message = str(caught.value)
    assert message.startswith("2 problems in the site file:")
    assert "cameras[cam-gallery].fps: input should be greater than 0 (got -1)" in message
    assert "doors[d-store].to_room: unknown room 'stor'" in message


def test_unreadable_file_is_one_problem(tmp_path: Path) -> None:
    [problem] = check_site(tmp_path / "missing.yaml")
    assert "cannot read the site file" in problem.message
    with pytest.raises(SiteError):
        load_site(tmp_path / "missing.yaml")


def test_parse_site_from_text_names_the_given_file() -> None:
    assert parse_site(BASE).id == "test-site"
    with pytest.raises(SiteError) as caught:
        parse_site(edit(BASE, "  id: test-site", "  id: bad id"), file="inline.yaml")
    assert str(caught.value.problems[0]).startswith("inline.yaml:6:3: site.id: invalid id")


def test_problem_text_without_position() -> None:
    assert str(Problem("site.yaml", None, None, "", "cannot read")) == "site.yaml: cannot read"
    assert str(Problem("site.yaml", 3, None, "rooms", "bad")) == "site.yaml:3: rooms: bad"
