"""Shared pieces of the site models: the base class and the id types."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, StringConstraints

from artguard.events import ID_PATTERN

_ID_RE = re.compile(ID_PATTERN)

ID_RULE = (
    "1-128 characters: letters, digits and _ . : @ -, starting with a letter or digit "
    "(no spaces or slashes)"
)


class SiteModel(BaseModel):
    """Base of every site model: unknown keys are errors, values are read-only once loaded."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


def is_valid_id(value: str) -> bool:
    """Whether ``value`` is a well-formed id."""
    return _ID_RE.fullmatch(value) is not None


def _check_id(value: str) -> str:
    if not is_valid_id(value):
        raise ValueError(f"invalid id {value!r}: ids are {ID_RULE}")
    return value


Id = Annotated[str, AfterValidator(_check_id)]
"""An id, here or in a reference to another object; same alphabet as event and device ids."""

Name = Annotated[str, StringConstraints(min_length=1, max_length=200)]
"""A human-readable name or title."""

Text = Annotated[str, StringConstraints(max_length=2000)]
"""Free text such as a description."""


def unique_values(values: list[str], what: str) -> list[str]:
    """``values`` unchanged, or a ValueError naming the repeated ones."""
    repeated = sorted({v for v in values if values.count(v) > 1})
    if repeated:
        raise ValueError(f"{what} listed twice: {', '.join(repeated)}")
    return values
