"""The path through a procedure: branching, passing steps over, what each action may do."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime

import pytest

from artguard.site.procedures import Procedure
from artguard.triage.procedure_flow import (
    Flow,
    InvalidStepAction,
    StepRecord,
    StepRefused,
    UnknownStep,
)

T0 = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)

THEFT = Procedure.model_validate(
    {
        "steps": [
            {"id": "verify", "text": "Look at the cameras."},
            {
                "id": "in-place",
                "text": "Is the artwork still in place?",
                "options": {"yes": "check-mount", "no": "call-police"},
            },
            {"id": "check-mount", "text": "Check the mount.", "next": "report"},
            {"id": "call-police", "text": "Call the police."},
            {"id": "lock-down", "text": "Lock the doors.", "required": False},
            {"id": "report", "text": "Write the report."},
        ]
    }
)


def act(
    flow: Flow,
    records: dict[str, StepRecord],
    step: str,
    action: str = "done",
    **kw: str,
) -> list[StepRecord]:
    """Apply one action to ``records`` (as the service stores it); returns what was recorded."""
    plan = flow.plan(records, step, action, actor="op-1", at=T0, **kw)
    for record in plan.records:
        records[record.step_id] = record
    return plan.records


def statuses(flow: Flow, records: Mapping[str, StepRecord], closed: bool = False) -> list[str]:
    found = flow.statuses(records, closed=closed)
    return [found[s.id] for s in flow.procedure.steps]


def test_a_fresh_procedure_starts_at_its_first_step_and_waits_at_the_question() -> None:
    flow = Flow(THEFT)
    assert flow.current({}) == "verify"
    route = flow.route({})
    assert route.steps == ["verify", "in-place"] and route.undecided == "in-place"
    # everything past the question is still possible
    assert statuses(flow, {}) == ["pending"] * 6


def test_the_answer_picks_the_branch_and_the_other_branch_is_not_applicable() -> None:
    flow = Flow(THEFT)
    records: dict[str, StepRecord] = {}
    act(flow, records, "verify")
    act(flow, records, "in-place", "answer", answer="yes")
    assert flow.route(records).steps == ["verify", "in-place", "check-mount", "report"]
    assert statuses(flow, records) == [
        "done",
        "done",
        "pending",
        "not_applicable",
        "not_applicable",
        "pending",
    ]
    assert flow.current(records) == "check-mount"
    with pytest.raises(StepRefused, match="not on the incident's path"):
        flow.plan(records, "call-police", "done", actor="op-1", at=T0)

    other: dict[str, StepRecord] = {}
    act(flow, other, "verify")
    act(flow, other, "in-place", "answer", answer="no")
    assert flow.route(other).steps == [
        "verify",
        "in-place",
        "call-police",
        "lock-down",
        "report",
    ]
    assert statuses(flow, other)[2] == "not_applicable"


def test_doing_a_later_step_passes_the_pending_ones_over_and_decides_the_branch() -> None:
    flow = Flow(THEFT)
    records: dict[str, StepRecord] = {}
    recorded = act(flow, records, "call-police")  # straight to the police, nothing else done
    assert [(r.step_id, r.action, r.cause) for r in recorded] == [
        ("call-police", "done", "operator"),
        ("verify", "skip", "passed_over"),
        ("in-place", "skip", "passed_over"),
    ]
    assert recorded[1].actor == "op-1" and "call-police" in (recorded[1].note or "")
    # the unanswered question leads where the operator went
    assert flow.route(records).steps == [
        "verify",
        "in-place",
        "call-police",
        "lock-down",
        "report",
    ]
    assert statuses(flow, records) == [
        "skipped",
        "skipped",
        "not_applicable",
        "done",
        "pending",
        "pending",
    ]
    # a skipped step may still be done late; it passes nothing over
    late = act(flow, records, "verify")
    assert [r.step_id for r in late] == ["verify"]
    assert flow.statuses(records)["verify"] == "done"


def test_skip_needs_a_reason_and_records_only_that_step() -> None:
    flow = Flow(THEFT)
    records: dict[str, StepRecord] = {}
    with pytest.raises(InvalidStepAction, match="needs a reason"):
        flow.plan(records, "verify", "skip", actor="op-1", at=T0, note="  ")
    recorded = act(flow, records, "verify", "skip", note="camera offline")
    assert [(r.step_id, r.action, r.note) for r in recorded] == [
        ("verify", "skip", "camera offline")
    ]
    with pytest.raises(StepRefused, match="already skipped"):
        flow.plan(records, "verify", "skip", actor="op-1", at=T0, note="again")
    assert flow.current(records) == "in-place"


def test_actions_that_do_not_fit_the_step_are_refused_with_the_reason() -> None:
    flow = Flow(THEFT)
    with pytest.raises(UnknownStep, match="no step 'nope'"):
        flow.plan({}, "nope", "done", actor="a", at=T0)
    with pytest.raises(InvalidStepAction, match="is a question; answer it with one of: yes, no"):
        flow.plan({}, "in-place", "done", actor="a", at=T0)
    with pytest.raises(InvalidStepAction, match="'maybe' is not an option"):
        flow.plan({}, "in-place", "answer", actor="a", at=T0, answer="maybe")
    with pytest.raises(InvalidStepAction, match="not a question"):
        flow.plan({}, "verify", "answer", actor="a", at=T0, answer="yes")
    with pytest.raises(InvalidStepAction, match="unknown action 'tick'"):
        flow.plan({}, "verify", "tick", actor="a", at=T0)
    records: dict[str, StepRecord] = {}
    act(flow, records, "verify", note="nothing seen")
    with pytest.raises(StepRefused, match="already done by op-1"):
        flow.plan(records, "verify", "done", actor="a", at=T0)


def test_pending_on_route_is_what_closing_leaves_and_closed_procedures_stop_branching() -> None:
    flow = Flow(THEFT)
    records: dict[str, StepRecord] = {}
    act(flow, records, "verify")
    assert [s.id for s in flow.pending_on_route(records)] == ["in-place"]
    # closed with the question open: what lies beyond it was never reached
    assert statuses(flow, records, closed=True) == [
        "done",
        "pending",
        "not_applicable",
        "not_applicable",
        "not_applicable",
        "not_applicable",
    ]


def test_records_from_another_procedure_count_only_where_they_still_fit() -> None:
    flow = Flow(THEFT)
    kept = {
        "verify": StepRecord("verify", "done", "op-1", T0, pattern="touching_artwork"),
        "in-place": StepRecord("in-place", "answer", "op-1", T0, answer="perhaps"),
        "gone": StepRecord("gone", "done", "op-1", T0),
    }
    assert set(flow.usable(kept)) == {"verify"}
