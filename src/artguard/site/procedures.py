"""Standard operating procedures (SOPs): what operators do, step by step, per incident pattern.

The site file's ``procedures:`` maps a named pattern (``theft_in_progress``, ...) to a
procedure: an ordered list of steps. After a step comes the next one in the list, unless the
step says ``next:`` (another step's id, or ``end``); a question step has ``options`` instead,
mapping each answer to the step it leads to (or ``end``). Steps may only lead forward: a
procedure is a directed graph without loops, every step reachable from the first.

The models check each step on its own; :func:`procedure_issues` checks a procedure as a whole
(ids unique, targets exist, no loops, nothing unreachable) and :func:`load_procedures` reads a
YAML file of procedures (the built-in defaults) with the same checks.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator
from typing import TYPE_CHECKING, Annotated

from pydantic import Field, StringConstraints, ValidationError, model_validator

from artguard.site.base import Id, Name, SiteModel
from artguard.site.errors import issues_from
from artguard.site.problems import Issue, Loc, Problem, SiteError
from artguard.site.source import parse, to_plain

if TYPE_CHECKING:
    from artguard.site.checker import Checker

END = "end"
"""Reserved target: the procedure ends after this step (or answer)."""

PATTERN_NAMES: tuple[str, ...] = (
    "theft_in_progress",
    "after_hours_intrusion",
    "sensor_or_camera_sabotage",
    "touching_artwork",
    "insider_misuse",
    "tailgating",
    "casing",
    "environmental_risk",
)
"""The named patterns of :mod:`artguard.triage.patterns` (the site does not import triage;
a test keeps the two lists equal)."""

Answer = Annotated[str, StringConstraints(min_length=1, max_length=64)]


class Step(SiteModel):
    """One step an operator ticks off: an action, or a question whose answer picks the way."""

    id: Id = Field(description="Step id, unique within its procedure; `end` is reserved.")
    text: Annotated[str, StringConstraints(min_length=1, max_length=500)] = Field(
        description="What the operator does or is asked, in plain words."
    )
    required: bool = Field(
        default=True,
        description="Skipping a required step (or closing the incident without it) notifies "
        "the supervisor.",
    )
    options: dict[Answer, Id] | None = Field(
        default=None,
        description="Makes the step a question: each answer and the id of the step it leads "
        "to (or `end`). At least two answers.",
    )
    next: Id | None = Field(
        default=None,
        description="The step after this one (or `end`); default: the next one in the list, "
        "the last step ends the procedure. Not with `options`.",
    )

    @model_validator(mode="after")
    def _shape(self) -> Step:
        if self.id == END:
            raise ValueError(f"step id {END!r} is reserved: it means the end of the procedure")
        if self.options is not None:
            if len(self.options) < 2:
                raise ValueError(
                    f"step {self.id!r}: a question needs at least two options (answer: step id)"
                )
            if self.next is not None:
                raise ValueError(
                    f"step {self.id!r}: a question goes where its answer leads; "
                    "remove `next` or `options`"
                )
        return self

    @property
    def is_question(self) -> bool:
        return self.options is not None


class Procedure(SiteModel):
    """The steps for one pattern, in the order they are normally done."""

    title: Name | None = Field(default=None, description="Shown above the steps.")
    steps: list[Step] = Field(min_length=1, description="The steps, in order.")


Procedures = dict[str, Procedure]


def step_targets(procedure: Procedure, index: int) -> Iterator[tuple[Loc, str]]:
    """Where the step at ``index`` may lead, with the loc (inside the step) naming it."""
    step = procedure.steps[index]
    if step.options is not None:
        for answer, target in step.options.items():
            yield ("options", answer), target
    elif step.next is not None:
        yield ("next",), step.next
    elif index + 1 < len(procedure.steps):
        yield (), procedure.steps[index + 1].id
    else:
        yield (), END


def procedure_issues(pattern: str, procedure: Procedure, prefix: Loc = ()) -> list[Issue]:
    """Everything wrong with ``procedure`` as a whole; locs start with ``prefix``."""
    issues: list[Issue] = []
    where = f"procedure {pattern!r}"
    first: dict[str, int] = {}
    for i, step in enumerate(procedure.steps):
        if step.id in first:
            issues.append(
                Issue(
                    (*prefix, "steps", i, "id"),
                    f"{where}: duplicate step id {step.id!r}; each step needs its own id",
                    also=(*prefix, "steps", first[step.id], "id"),
                )
            )
        first.setdefault(step.id, i)
    ids = sorted(first)
    edges: dict[str, list[str]] = {step_id: [] for step_id in first}
    for i, step in enumerate(procedure.steps):
        for loc, target in step_targets(procedure, i):
            if target == END:
                continue
            if target not in first:
                close = difflib.get_close_matches(target, ids, n=1)
                hint = f"; did you mean {close[0]!r}?" if close else ""
                issues.append(
                    Issue(
                        (*prefix, "steps", i, *loc),
                        f"{where}, step {step.id!r}: leads to unknown step {target!r} "
                        f"(expected one of: {', '.join(ids)}, {END}){hint}",
                    )
                )
            elif first[step.id] == i:
                edges[step.id].append(target)
    loop = _find_loop(procedure.steps[0].id, edges)
    if loop:
        issues.append(
            Issue(
                (*prefix, "steps", first[loop[-2]]),
                f"{where}, step {loop[-2]!r}: the steps form a loop ({' -> '.join(loop)}); "
                "a procedure must always move on towards its end",
            )
        )
    reached = _reachable(procedure.steps[0].id, edges)
    for i, step in enumerate(procedure.steps):
        if first[step.id] == i and step.id not in reached:
            issues.append(
                Issue(
                    (*prefix, "steps", i, "id"),
                    f"{where}, step {step.id!r}: can never be reached from the first step "
                    f"{procedure.steps[0].id!r}; point a `next` or an option at it, or remove it",
                )
            )
    return issues


def pattern_issues(procedures: Procedures, prefix: Loc = ()) -> list[Issue]:
    """Unknown pattern names and every procedure's own issues."""
    issues: list[Issue] = []
    for pattern, procedure in procedures.items():
        if pattern not in PATTERN_NAMES:
            close = difflib.get_close_matches(pattern, PATTERN_NAMES, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            issues.append(
                Issue(
                    (*prefix, pattern),
                    f"unknown pattern {pattern!r} (expected one of: "
                    f"{', '.join(PATTERN_NAMES)}){hint}",
                )
            )
        issues.extend(procedure_issues(pattern, procedure, (*prefix, pattern)))
    return issues


def check_procedures(c: Checker) -> None:
    """The cross-reference check of the site's ``procedures:`` (run by ``artguard check``)."""
    c.issues.extend(pattern_issues(getattr(c.site, "procedures", None) or {}, ("procedures",)))


def load_procedures(text: str, file: str) -> Procedures:
    """The procedures in YAML ``text`` (a mapping pattern -> procedure), fully checked.

    Raises :class:`SiteError` listing every problem with its line, like a site file.
    """
    document = parse(text, file)
    if document.problems:
        raise SiteError(document.problems)
    data = to_plain(document.data)
    if not isinstance(data, dict):
        raise SiteError([Problem(file, 1, 1, "", "expected a mapping: pattern -> procedure")])
    procedures: Procedures = {}
    issues: list[Issue] = []
    for pattern, raw in data.items():
        try:
            procedures[str(pattern)] = Procedure.model_validate(raw)
        except ValidationError as error:
            issues.extend(issues_from(error, Procedure, (str(pattern),)))
    issues.extend(pattern_issues(procedures))
    if issues:
        raise SiteError([document.problem(i) for i in issues])
    return procedures


def _find_loop(start: str, edges: dict[str, list[str]]) -> list[str]:
    """A loop reachable from ``start`` as ``[a, b, ..., a]``, or [] when there is none."""
    state: dict[str, int] = {}  # 1: on the current path, 2: finished
    path: list[str] = []

    def visit(node: str) -> list[str]:
        state[node] = 1
        path.append(node)
        for target in edges.get(node, []):
            if state.get(target) == 1:
                return [*path[path.index(target) :], target]
            if target not in state:
                found = visit(target)
                if found:
                    return found
        path.pop()
        state[node] = 2
        return []

    return visit(start)


def _reachable(start: str, edges: dict[str, list[str]]) -> set[str]:
    seen = {start}
    todo = [start]
    while todo:
        for target in edges.get(todo.pop(), []):
            if target not in seen:
                seen.add(target)
                todo.append(target)
    return seen
