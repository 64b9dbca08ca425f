"""Pydantic validation errors rewritten as issues a person can act on.

Pydantic says *what* failed; these messages add what was expected: the allowed keys for an
unknown key (with the closest match), the meaning of a missing field, the value that was given.
"""

from __future__ import annotations

import difflib
import types
import typing
from typing import Any

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from artguard.site.problems import Issue, Loc


def issues_from(error: ValidationError, model: type[BaseModel], prefix: Loc = ()) -> list[Issue]:
    """One issue per pydantic error; ``prefix`` places a sub-model's errors in the document."""
    return [_issue(detail, model, prefix) for detail in error.errors()]


def _issue(detail: ErrorDetails, model: type[BaseModel], prefix: Loc) -> Issue:
    loc: Loc = tuple(detail["loc"])
    kind = detail["type"]
    if kind == "missing":
        parent = _model_at(model, loc[:-1])
        about = _description(parent, loc[-1]) if parent else None
        message = f"missing required field {loc[-1]!r}" + (f" ({about})" if about else "")
    elif kind == "extra_forbidden":
        message = _unknown_key(_model_at(model, loc[:-1]), str(loc[-1]))
    elif kind in {"model_type", "model_attributes_type", "dict_type"}:
        target = _model_at(model, loc)
        keys = f" with keys {', '.join(_keys(target))}" if target else ""
        message = f"expected a mapping{keys}, got {_show(detail['input'])}"
    elif kind in {"value_error", "assertion_error"}:
        message = str(detail.get("ctx", {}).get("error", detail["msg"]))
    else:
        message = _lower_first(detail["msg"]) + f" (got {_show(detail['input'])})"
    return Issue((*prefix, *loc), message)


def _unknown_key(model: type[BaseModel] | None, key: str) -> str:
    if model is None:
        return f"unknown key {key!r}"
    keys = _keys(model)
    close = difflib.get_close_matches(key, keys, n=1)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    return f"unknown key {key!r}{hint} (expected one of: {', '.join(keys)})"


def _keys(model: type[BaseModel]) -> list[str]:
    return [info.alias or name for name, info in model.model_fields.items()]


def _description(model: type[BaseModel], key: str | int) -> str | None:
    for name, info in model.model_fields.items():
        if key in (name, info.alias):
            return info.description
    return None


def _model_at(root: type[BaseModel], loc: Loc) -> type[BaseModel] | None:
    """The model class that validates the value at ``loc`` (list indices are skipped)."""
    current: type[BaseModel] | None = root
    keyed = False  # the previous part was a mapping field: this part is one of its keys
    for part in loc:
        if isinstance(part, int):
            continue
        if current is None:
            return None
        if keyed:
            keyed = False
            continue
        annotation = next(
            (
                info.annotation
                for name, info in current.model_fields.items()
                if part in (name, info.alias)
            ),
            None,
        )
        current = _find_model(annotation)
        keyed = _is_mapping(annotation)
    return current


def _is_mapping(annotation: Any) -> bool:
    if typing.get_origin(annotation) is dict:
        return True
    return isinstance(annotation, types.UnionType) and any(
        typing.get_origin(arg) is dict for arg in typing.get_args(annotation)
    )


def _find_model(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    origin = typing.get_origin(annotation)
    if origin is None and not isinstance(annotation, types.UnionType):
        return None
    for arg in typing.get_args(annotation):
        found = _find_model(arg)
        if found is not None:
            return found
    return None


def _show(value: Any) -> str:
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return f"a list of {len(value)}"
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]
