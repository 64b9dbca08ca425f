"""The procedure language in the site file: checks that name the pattern and the step, the
built-in defaults, and a site's own procedures replacing them."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from artguard.site import SiteError, parse_site
from artguard.site.procedures import PATTERN_NAMES, Procedure, Step, load_procedures
from artguard.triage.patterns import LABELS
from artguard.triage.procedure_catalog import default_procedures, effective_procedures
from artguard.triage.procedure_flow import Flow
from tests.site.helpers import BASE, REPO, line_of, problems_for

GOOD = """
procedures:
  touching_artwork:
    title: Visitor touched an artwork
    steps:
      - id: look
        text: Look at the camera.
      - id: damaged
        text: Is the artwork damaged?
        options: {"yes": conservator, "no": end}
      - id: conservator
        text: Call the conservator.
"""


def with_procedures(yaml_text: str) -> str:
    return BASE.rstrip("\n") + "\n" + yaml_text.lstrip("\n")


def messages(tmp_path: Path, text: str) -> list[str]:
    return [str(p) for p in problems_for(tmp_path, text)]


def test_a_valid_procedure_loads_and_replaces_only_its_patterns_default() -> None:
    site = parse_site(with_procedures(GOOD))
    assert [s.id for s in site.procedures["touching_artwork"].steps] == [
        "look",
        "damaged",
        "conservator",
    ]
    effective = effective_procedures(site)
    assert effective["touching_artwork"] is site.procedures["touching_artwork"]
    assert effective["theft_in_progress"] == default_procedures()["theft_in_progress"]
    assert set(effective) == set(PATTERN_NAMES)


def test_the_site_knows_the_same_pattern_names_as_triage() -> None:
    assert set(PATTERN_NAMES) == set(LABELS)


def test_every_pattern_has_a_sensible_default_procedure() -> None:
    defaults = default_procedures()
    assert set(defaults) == set(PATTERN_NAMES)
    for pattern, procedure in defaults.items():
        flow = Flow(procedure)
        assert procedure.title, pattern
        assert any(s.is_question for s in procedure.steps), f"{pattern} never branches"
        assert procedure.steps[-1].id == "write-report", pattern
        assert all(s.text.strip() for s in procedure.steps)
        # every branch ends with the report
        for step in procedure.steps:
            assert "write-report" in flow.reach[step.id], (pattern, step.id)
    theft = defaults["theft_in_progress"]
    assert {"verify-camera", "dispatch-guard", "call-police", "preserve-evidence"} <= {
        s.id for s in theft.steps
    }


@pytest.mark.parametrize(
    ("mutation", "field", "expected"),
    [
        (
            ("touching_artwork:", "touching_artwrk:"),
            "procedures.touching_artwrk",
            "unknown pattern 'touching_artwrk' (expected one of: theft_in_progress, "
            "after_hours_intrusion, sensor_or_camera_sabotage, touching_artwork, insider_misuse, "
            "tailgating, casing, environmental_risk); did you mean 'touching_artwork'?",
        ),
        (
            ('"yes": conservator', '"yes": conservatr'),
            "procedures.touching_artwork.steps[damaged].options.yes",
            "procedure 'touching_artwork', step 'damaged': leads to unknown step 'conservatr' "
            "(expected one of: conservator, damaged, look, end); did you mean 'conservator'?",
        ),
        (
            ("id: conservator", "id: look"),
            "procedures.touching_artwork.steps[look].id",
            "procedure 'touching_artwork': duplicate step id 'look'; each step needs its own id",
        ),
        (
            ("text: Call the conservator.", "text: Call the conservator.\n        next: look"),
            "procedures.touching_artwork.steps[conservator]",
            "procedure 'touching_artwork', step 'conservator': the steps form a loop "
            "(look -> damaged -> conservator -> look); a procedure must always move on",
        ),
        (
            ('{"yes": conservator, "no": end}', '{"yes": end, "no": end}'),
            "procedures.touching_artwork.steps[conservator].id",
            "procedure 'touching_artwork', step 'conservator': can never be reached from the "
            "first step 'look'",
        ),
        (
            ('options: {"yes": conservator, "no": end}', 'options: {"yes": conservator}'),
            "procedures.touching_artwork.steps[damaged]",
            "step 'damaged': a question needs at least two options",
        ),
        (
            ("text: Look at the camera.", "text: Look at the camera.\n        colour: red"),
            "procedures.touching_artwork.steps[look].colour",
            "unknown key 'colour' (expected one of: id, text, required, options, next)",
        ),
        (
            ("id: conservator", "id: end"),
            "procedures.touching_artwork.steps[end]",
            "step id 'end' is reserved",
        ),
    ],
)
def test_broken_procedures_are_reported_with_pattern_step_and_line(
    tmp_path: Path, mutation: tuple[str, str], field: str, expected: str
) -> None:
    text = with_procedures(GOOD.replace(*mutation))
    problems = problems_for(tmp_path, text)
    found = [p for p in problems if p.field == field]
    assert found, f"no problem for {field}: {[str(p) for p in problems]}"
    assert expected in found[0].message
    assert found[0].line is not None and found[0].line >= line_of(text, "procedures:")


def test_a_question_with_next_is_an_error(tmp_path: Path) -> None:
    text = with_procedures(GOOD.replace('"no": end}', '"no": end}\n        next: conservator'))
    assert any(
        "step 'damaged': a question goes where its answer leads" in m
        for m in messages(tmp_path, text)
    )


def test_the_defaults_file_is_checked_like_a_site_file() -> None:
    broken = """
tailgating:
  steps:
    - id: a
      text: First.
      next: b
"""
    with pytest.raises(SiteError) as error:
        load_procedures(broken, "defaults.yaml")
    assert "defaults.yaml:6:7: tailgating.steps[a].next: procedure 'tailgating', step 'a': " in (
        str(error.value)
    )


def test_an_unchecked_site_with_a_broken_procedure_fails_at_start() -> None:
    site = parse_site(BASE)
    procedure = Procedure.model_validate({"steps": [{"id": "a", "text": "A", "next": "zz"}]})
    broken = site.model_copy(update={"procedures": {"tailgating": procedure}})
    with pytest.raises(ValueError, match="step 'a': leads to unknown step 'zz'"):
        effective_procedures(broken)


def _doc(name: str) -> str:
    return (REPO / "docs" / name).read_text(encoding="utf-8")


def test_site_model_doc_lists_every_procedure_key() -> None:
    doc = _doc("site-model.md")
    for heading, model in (("procedures", Procedure), ("procedures.<pattern>.steps[]", Step)):
        match = re.search(rf"^### `{re.escape(heading)}`\n(.*?)(?=^#)", doc, re.S | re.M)
        assert match, heading
        keys = re.findall(r"^\| `([^`]+)` \|", match.group(1), re.M)
        assert keys == list(model.model_fields), heading
        assert all(info.description for info in model.model_fields.values())


@pytest.mark.parametrize(
    ("doc", "heading"),
    [("site-model.md", "procedures.<pattern>.steps[]"), ("triage.md", "Procedures (SOPs)")],
)
def test_the_examples_in_the_docs_are_valid(doc: str, heading: str) -> None:
    text = _doc(doc)
    section = text[text.index(heading) :]
    example = re.search(r"```yaml\n(.*?)```", section, re.S)
    assert example
    site = parse_site(with_procedures(example.group(1)))
    assert site.procedures
