"""A :class:`DrillResult` as JSON-ready data and back, for the store and the API.

Times become ISO 8601 strings with their offset and are parsed back to aware datetimes, so a
stored drill loads equal to the one saved. Only the result's own fields are read back: the
derived figures :meth:`DrillResult.as_dict` adds (``detection_rate``, ``false_per_day``) are
recomputed from them.
"""

from __future__ import annotations

import json
from dataclasses import fields
from datetime import datetime
from typing import Any

from artguard.drill.result import DrillResult, FalseIncident, ScenarioOutcome

_TIMES = {
    DrillResult: ("start", "end", "finished_time"),
    ScenarioOutcome: ("start",),
    FalseIncident: ("first_alert_time",),
}


class DrillDataError(ValueError):
    """Stored drill data that does not make a :class:`DrillResult` (says what and where)."""


def _iso(value: Any) -> Any:
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value.isoformat()}: drill times must carry a zone")
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): _iso(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_iso(v) for v in value]
    return value


def to_data(result: DrillResult) -> dict[str, Any]:
    """The result (with its derived figures) as JSON-ready data; ``ValueError`` names a naive
    time or a value of ``extra`` that JSON cannot hold."""
    data = _iso(result.as_dict())
    try:
        json.dumps(data, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"drill result is not JSON-serialisable: {exc}") from exc
    return data


def _time(value: Any, where: str) -> datetime | None:
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except (TypeError, ValueError):
        raise DrillDataError(f"{where}: expected an ISO time, got {value!r}") from None
    if moment.tzinfo is None:
        raise DrillDataError(f"{where}: time {value!r} has no zone")
    return moment


def _build(cls: type, data: Any, where: str) -> Any:
    if not isinstance(data, dict):
        raise DrillDataError(f"{where}: expected an object, got {type(data).__name__}")
    names = {f.name for f in fields(cls)}
    values = {k: v for k, v in data.items() if k in names}
    for name in _TIMES[cls]:
        values[name] = _time(values.get(name), f"{where}.{name}")
    try:
        return cls(**values)
    except TypeError as exc:
        raise DrillDataError(f"{where}: {exc}") from None


def from_data(data: dict[str, Any]) -> DrillResult:
    """The :class:`DrillResult` that :func:`to_data` made ``data`` from."""
    if not isinstance(data, dict):
        raise DrillDataError(f"drill: expected an object, got {type(data).__name__}")
    scenarios = [
        _build(ScenarioOutcome, item, f"drill.scenarios[{i}]")
        for i, item in enumerate(data.get("scenarios") or [])
    ]
    false_incidents = [
        _build(FalseIncident, item, f"drill.false_incidents[{i}]")
        for i, item in enumerate(data.get("false_incidents") or [])
    ]
    return _build(
        DrillResult,
        {**data, "scenarios": scenarios, "false_incidents": false_incidents},
        "drill",
    )
