"""Where an incident stands in its procedure, and what an operator's step action means.

Pure logic over a :class:`~artguard.site.procedures.Procedure` and the latest record of each
step; storage and notification are the service's job (:mod:`artguard.triage.procedures`).

The **path** is the way through the procedure the incident has taken: from the first step,
each step leads to the next (``next`` or the following one in the list), a question to where
its answer points. An unanswered question leads where a step already done after it lies (the
operator went ahead); otherwise the path stops there, undecided. Step statuses:

============== ===============================================================
done           done, or answered (a question)
skipped        skipped by an operator, passed over, or left when the incident closed
pending        on the path (or still reachable past an undecided question) and not done
not_applicable on a branch the answers did not take (or never reached before closing)
============== ===============================================================
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from artguard.site.procedures import END, Procedure, Step, step_targets

Action = Literal["done", "answer", "skip"]
Cause = Literal["operator", "passed_over", "incident_closed"]
StepStatus = Literal["pending", "done", "skipped", "not_applicable"]
ACTIONS: tuple[str, ...] = ("done", "answer", "skip")


class StepRefused(ValueError):
    """The step cannot take this action in its current state (HTTP 409)."""


class InvalidStepAction(ValueError):
    """The action does not fit the step, e.g. an answer that is not an option (HTTP 422)."""


class UnknownStep(LookupError):
    """The procedure has no such step (HTTP 404)."""


@dataclass(frozen=True)
class StepRecord:
    """The latest action on one step of one incident."""

    step_id: str
    action: Action
    actor: str
    time: datetime
    cause: Cause = "operator"
    answer: str | None = None
    note: str | None = None
    pattern: str | None = None

    @property
    def completed(self) -> bool:
        return self.action in ("done", "answer")


@dataclass(frozen=True)
class Route:
    steps: list[str]
    """The path so far, in order."""
    undecided: str | None
    """The question the path stops at, unanswered and with nothing done past it."""


@dataclass(frozen=True)
class Plan:
    """What one operator action records: the step's own record first, then a ``skip`` record
    (cause ``passed_over``) for each earlier step on the path it goes past."""

    step: Step
    records: list[StepRecord]
    passed_over: list[Step]


class Flow:
    """One procedure's graph: the steps, where each leads, and what each can reach."""

    def __init__(self, procedure: Procedure) -> None:
        self.procedure = procedure
        self.steps: dict[str, Step] = {}
        self.leads: dict[str, dict[str | None, str]] = {}  # answer (None: plain step) -> target
        for i, step in enumerate(procedure.steps):
            if step.id in self.steps:  # only in an unchecked procedure: the first one counts
                continue
            self.steps[step.id] = step
            self.leads[step.id] = {
                (str(loc[1]) if loc[:1] == ("options",) else None): target
                for loc, target in step_targets(procedure, i)
            }
        self.first = procedure.steps[0].id
        self.reach: dict[str, frozenset[str]] = {}
        for step_id in reversed(list(self.steps)):
            self._reach(step_id)

    def _reach(self, step_id: str) -> frozenset[str]:
        """The steps reachable from ``step_id``, itself included (the graph has no loops)."""
        if step_id not in self.reach:
            found = {step_id}
            for target in self.leads[step_id].values():
                if target != END and target in self.steps:
                    found |= self._reach(target)
            self.reach[step_id] = frozenset(found)
        return self.reach[step_id]

    def usable(self, records: Mapping[str, StepRecord]) -> dict[str, StepRecord]:
        """The records that apply to this procedure's steps (a step id kept from another
        pattern's procedure counts only when its kind and answer still fit)."""
        out: dict[str, StepRecord] = {}
        for step_id, record in records.items():
            step = self.steps.get(step_id)
            if step is None:
                continue
            if record.action == "answer" and record.answer not in (step.options or {}):
                continue
            if record.action == "done" and step.is_question:
                continue
            out[step_id] = record
        return out

    def route(self, records: Mapping[str, StepRecord]) -> Route:
        completed = {s for s, r in records.items() if r.completed}
        path: list[str] = []
        current: str | None = self.first
        while current is not None and current not in path:
            path.append(current)
            step, record = self.steps[current], records.get(current)
            if step.options is not None:
                if record is not None and record.action == "answer" and record.answer:
                    target = step.options[record.answer]
                else:
                    ahead = completed - set(path)
                    target = next(
                        (t for t in step.options.values() if t != END and self.reach[t] & ahead),
                        None,
                    )
                    if target is None:
                        return Route(path, current)
            else:
                target = self.leads[current][None]
            current = None if target == END else target
        return Route(path, None)

    def statuses(
        self, records: Mapping[str, StepRecord], closed: bool = False
    ) -> dict[str, StepStatus]:
        route = self.route(records)
        possible: set[str] = set(route.steps)
        if route.undecided is not None and not closed:
            for target in self.leads[route.undecided].values():
                if target != END:
                    possible |= self.reach[target]
        out: dict[str, StepStatus] = {}
        for step_id in self.steps:
            record = records.get(step_id)
            if record is not None:
                out[step_id] = "done" if record.completed else "skipped"
            elif step_id in possible:
                out[step_id] = "pending"
            else:
                out[step_id] = "not_applicable"
        return out

    def current(self, records: Mapping[str, StepRecord]) -> str | None:
        """The first step on the path not yet done or skipped; None when there is none."""
        return next((s for s in self.route(records).steps if s not in records), None)

    def pending_on_route(self, records: Mapping[str, StepRecord]) -> list[Step]:
        """Steps on the path still to do, in order (what closing the incident leaves undone)."""
        return [self.steps[s] for s in self.route(records).steps if s not in records]

    def plan(
        self,
        records: Mapping[str, StepRecord],
        step_id: str,
        action: str,
        *,
        actor: str,
        at: datetime,
        answer: str | None = None,
        note: str | None = None,
        pattern: str | None = None,
    ) -> Plan:
        """Check ``action`` on ``step_id`` and work out which earlier steps it passes over.

        ``records`` are the usable records (see :meth:`usable`).
        """
        step = self.steps.get(step_id)
        if step is None:
            raise UnknownStep(
                f"no step {step_id!r} in the procedure (steps: {', '.join(self.steps)})"
            )
        if action not in ACTIONS:
            raise InvalidStepAction(f"unknown action {action!r}; expected one of {list(ACTIONS)}")
        self._check_fit(step, action, answer, note)
        status = self.statuses(records)[step_id]
        known = records.get(step_id)
        if status == "done" and known is not None:
            raise StepRefused(
                f"step {step_id!r} was already {_verb(known)} by {known.actor} at "
                f"{known.time.isoformat()}"
            )
        if status == "not_applicable":
            raise StepRefused(
                f"step {step_id!r} is not on the incident's path "
                f"({' -> '.join(self.route(records).steps)}); the answers given lead elsewhere"
            )
        if action == "skip" and status == "skipped":
            raise StepRefused(f"step {step_id!r} is already skipped")
        own = StepRecord(
            step_id,
            action,
            actor,
            at,
            "operator",
            answer,
            note,
            pattern,  # type: ignore[arg-type]
        )
        if action == "skip":
            return Plan(step, [own], [])
        route = self.route({**records, step_id: own}).steps
        if step_id not in route:
            raise StepRefused(
                f"step {step_id!r} is not on the incident's path: the steps already done lead "
                f"elsewhere ({' -> '.join(self.route(records).steps)})"
            )
        passed = [self.steps[s] for s in route[: route.index(step_id)] if s not in records]
        reason = f"passed over: {actor} went on to step {step_id!r}"
        skips = [
            StepRecord(s.id, "skip", actor, at, "passed_over", None, reason, pattern)
            for s in passed
        ]
        return Plan(step, [own, *skips], passed)

    @staticmethod
    def _check_fit(step: Step, action: str, answer: str | None, note: str | None) -> None:
        if action == "answer":
            if step.options is None:
                raise InvalidStepAction(
                    f"step {step.id!r} is not a question; mark it done or skip it"
                )
            if answer not in step.options:
                raise InvalidStepAction(
                    f"answer {answer!r} is not an option of step {step.id!r} "
                    f"(options: {', '.join(step.options)})"
                )
        elif answer is not None:
            raise InvalidStepAction(f"only action 'answer' takes an answer (got {action!r})")
        if action == "done" and step.options is not None:
            raise InvalidStepAction(
                f"step {step.id!r} is a question; answer it with one of: {', '.join(step.options)}"
            )
        if action == "skip" and not (note and note.strip()):
            raise InvalidStepAction(f"skipping step {step.id!r} needs a reason (note)")


def _verb(record: StepRecord) -> str:
    return f"answered {record.answer!r}" if record.action == "answer" else "done"
