"""Reading the site YAML while keeping where every key and item came from.

The round-trip loader of ruamel.yaml records line and column on each mapping and sequence
(``.lc``), which is how a problem found on the data is pointed back at the file. Plain YAML
dates and times are kept as text: the models parse them, so a bad date is a located schema
error instead of a crash in the YAML library.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.constructor import RoundTripConstructor
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.nodes import MappingNode, Node, SequenceNode

from artguard.site.problems import Issue, Loc, Problem


class _Constructor(RoundTripConstructor):
    """Round-trip constructor that leaves timestamps as strings."""


_Constructor.add_constructor("tag:yaml.org,2002:timestamp", RoundTripConstructor.construct_yaml_str)


def _yaml() -> YAML:
    yaml = YAML(typ="rt")
    yaml.Constructor = _Constructor
    yaml.allow_duplicate_keys = True  # reported below, all of them, instead of the first only
    return yaml


@dataclass
class Document:
    """A parsed site file: its data (None if unreadable) and the YAML-level problems."""

    file: str
    data: Any = None
    problems: list[Problem] = field(default_factory=list)

    def locate(self, loc: Loc) -> tuple[int | None, int | None]:
        """1-based line and column of the deepest part of ``loc`` present in the file."""
        return _position(self.data, loc)

    def field_name(self, loc: Loc) -> str:
        return field_name(self.data, loc)

    def problem(self, issue: Issue) -> Problem:
        """Tie an issue found on the data to its place in the file."""
        line, column = self.locate(issue.loc)
        message = issue.message
        if issue.also is not None:
            also_line, _ = self.locate(issue.also)
            where = f"line {also_line}" if also_line is not None else "elsewhere"
            message += f" (first used by {self.field_name(issue.also)} on {where})"
        return Problem(self.file, line, column, self.field_name(issue.loc), message)


def parse(text: str, file: str) -> Document:
    """Parse YAML text; syntax errors and duplicate keys become problems with their lines."""
    document = Document(file)
    yaml = _yaml()
    try:
        root = yaml.compose(text)  # parse once: the node tree gives duplicate keys, then data
        document.data = yaml.constructor.construct_document(root) if root is not None else None
    except MarkedYAMLError as error:
        document.problems.append(_syntax_problem(file, error))
        return document
    except YAMLError as error:  # unmarked library errors still deserve a clean report
        document.problems.append(Problem(file, None, None, "", f"invalid YAML: {error}"))
        return document
    if root is not None:
        document.problems.extend(_duplicate_keys(document, root))
    return document


def to_plain(value: Any) -> Any:
    """ruamel's commented containers and scalar subclasses as plain dicts, lists and scalars."""
    if isinstance(value, dict):
        return {to_plain(k): to_plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [to_plain(v) for v in value]
    if isinstance(value, bool) or value is None:
        return value
    for plain in (int, float, str):
        if isinstance(value, plain):
            return plain(value)
    return value


def field_name(data: Any, loc: Loc) -> str:
    """``("doors", 2, "to_room")`` as ``doors[d-hall-g1].to_room`` (item ids where known)."""
    text = ""
    node = data
    for part in loc:
        if isinstance(part, int):
            label = str(part)
            item = node[part] if isinstance(node, list) and 0 <= part < len(node) else None
            if isinstance(item, dict) and isinstance(item.get("id"), str) and item["id"].strip():
                label = item["id"].strip()
            text += f"[{label}]"
            node = item
        else:
            text += f".{part}" if text else str(part)
            node = node.get(part) if isinstance(node, dict) else None
    return text


def _position(data: Any, loc: Loc) -> tuple[int | None, int | None]:
    line: int | None = None
    column: int | None = None
    node = data
    for part in loc:
        if isinstance(node, CommentedMap) and not isinstance(part, int) and part in node:
            position = node.lc.key(part)
            node = node[part]
        elif isinstance(node, CommentedSeq) and isinstance(part, int) and 0 <= part < len(node):
            position = node.lc.item(part)
            node = node[part]
        else:
            break
        if position and position[0] is not None:
            line, column = position[0] + 1, position[1] + 1
    return line, column


def _syntax_problem(file: str, error: MarkedYAMLError) -> Problem:
    mark = error.problem_mark or error.context_mark
    parts = [p for p in (error.context, error.problem) if p]
    message = "invalid YAML: " + "; ".join(parts) if parts else f"invalid YAML: {error}"
    context = error.context_mark
    if context is not None and mark is not None and context.line != mark.line:
        message += f" (the construct began on line {context.line + 1})"
    if mark is None:
        return Problem(file, None, None, "", message)
    return Problem(file, mark.line + 1, mark.column + 1, "", message)


def _duplicate_keys(document: Document, root: Node) -> Iterator[Problem]:
    for loc, node in _mappings(root, ()):
        first_line: dict[str, int] = {}
        for key_node, _ in node.value:
            key = str(key_node.value)
            line = key_node.start_mark.line + 1
            if key in first_line:
                yield Problem(
                    document.file,
                    line,
                    key_node.start_mark.column + 1,
                    document.field_name((*loc, key)),
                    f"duplicate key {key!r} (first on line {first_line[key]}); "
                    "each key may appear once in a mapping, and the first one is used",
                )
            else:
                first_line[key] = line


def _mappings(node: Node, loc: Loc) -> Iterator[tuple[Loc, MappingNode]]:
    if isinstance(node, MappingNode):
        yield loc, node
        for key_node, value_node in node.value:
            yield from _mappings(value_node, (*loc, str(key_node.value)))
    elif isinstance(node, SequenceNode):
        for i, item in enumerate(node.value):
            yield from _mappings(item, (*loc, i))
