"""What is wrong with a site file, said so a person can fix it: file, line, field, expectation."""

from __future__ import annotations

from dataclasses import dataclass

Loc = tuple[str | int, ...]
"""A path into the YAML document, e.g. ``("doors", 2, "to_room")``."""


@dataclass(frozen=True)
class Issue:
    """A problem found on the data before it is tied to a line (see :class:`Problem`).

    ``also`` points at a second place involved, e.g. the first use of a duplicated id.
    """

    loc: Loc
    message: str
    also: Loc | None = None


@dataclass(frozen=True)
class Problem:
    """One problem in a site file.

    ``field`` is a dotted path that names list items by their id where they have one,
    e.g. ``doors[d-hall-g1].to_room``; ``line`` and ``column`` count from 1.
    """

    file: str
    line: int | None
    column: int | None
    field: str
    message: str

    def __str__(self) -> str:
        where = self.file
        if self.line is not None:
            where += f":{self.line}"
            if self.column is not None:
                where += f":{self.column}"
        return ": ".join(part for part in (where, self.field, self.message) if part)

    @property
    def sort_key(self) -> tuple[int, int, str]:
        return (self.line or 0, self.column or 0, self.field)


class SiteError(ValueError):
    """The site file cannot be used; ``problems`` lists everything wrong with it."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = list(problems)
        super().__init__(self._text())

    def _text(self) -> str:
        count = len(self.problems)
        noun = "problem" if count == 1 else "problems"
        lines = [f"{count} {noun} in the site file:"]
        lines.extend(f"  {problem}" for problem in self.problems)
        return "\n".join(lines)

    def __str__(self) -> str:
        return self._text()
