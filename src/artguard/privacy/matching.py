"""Whether a stored value names a data subject, and replacing those mentions.

A subject is named by identifiers (person id, credential ids) and by their full name. An
identifier matches as a whole JSON string or inside a longer text when it stands on its own
(not glued to letters, digits, ``_`` or ``-``), so ``card-1001`` is found in ``person:card-1001``
and ``badge card-1001 denied`` but not in ``card-10012``. Identifiers shorter than
:data:`MIN_SUBSTRING` characters only match whole strings: ``a`` must not match every "a". Names
match on word boundaries, case-sensitive.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

MIN_SUBSTRING = 3
_ID_CHARS = "A-Za-z0-9_-"


class Matcher:
    """Finds and replaces mentions of a set of identifiers and names in JSON-like values."""

    def __init__(self, identifiers: Mapping[str, str], names: Mapping[str, str]) -> None:
        """``identifiers`` and ``names`` map each text to its replacement."""
        self._exact = {**identifiers, **names}
        patterns: list[str] = []
        self._replacement: dict[str, str] = {}
        for text, replacement in identifiers.items():
            if len(text) >= MIN_SUBSTRING:
                patterns.append(rf"(?<![{_ID_CHARS}]){re.escape(text)}(?![{_ID_CHARS}])")
                self._replacement[text] = replacement
        for text, replacement in names.items():
            if len(text) >= MIN_SUBSTRING:
                patterns.append(rf"\b{re.escape(text)}\b")
                self._replacement[text] = replacement
        # Longest first, so "Anna Maria Smith" wins over a shorter name inside it.
        patterns.sort(key=len, reverse=True)
        self._pattern = re.compile("|".join(patterns)) if patterns else None

    @property
    def needles(self) -> list[str]:
        """Every text searched for (for a database pre-filter with LIKE)."""
        return sorted(self._exact)

    def names_in(self, value: Any) -> bool:
        """Whether ``value`` (str, list, dict, nested) mentions the subject anywhere."""
        if isinstance(value, str):
            return value in self._exact or bool(self._pattern and self._pattern.search(value))
        if isinstance(value, Mapping):
            return any(self.names_in(v) for v in value.values())
        if isinstance(value, list | tuple):
            return any(self.names_in(v) for v in value)
        return False

    def replace(self, value: Any) -> Any:
        """A copy of ``value`` with every mention replaced (dict keys are left alone)."""
        if isinstance(value, str):
            if value in self._exact:
                return self._exact[value]
            if self._pattern is None:
                return value
            return self._pattern.sub(lambda m: self._replacement[m.group(0)], value)
        if isinstance(value, Mapping):
            return {k: self.replace(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [self.replace(v) for v in value]
        return value
