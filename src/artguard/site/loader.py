"""Site YAML to a validated :class:`Site`, or every problem with the file at once.

Order of work: parse the YAML (syntax errors, duplicate keys), validate the schema, then run
the cross-reference checks. When the schema fails, the items that do validate are still
cross-checked, so one run shows both kinds of problem.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from artguard.site.crossref import SECTIONS, cross_check
from artguard.site.entities import Artwork, Camera, Door, Floor, Room, Sensor, SiteInfo
from artguard.site.errors import issues_from
from artguard.site.model import Site
from artguard.site.people import Person, Role
from artguard.site.policies import Policies, Retention
from artguard.site.problems import Issue, Loc, Problem, SiteError
from artguard.site.schedule import Holiday, Schedule
from artguard.site.source import parse, to_plain

LIST_SECTIONS: dict[str, type[BaseModel]] = {
    "floors": Floor,
    "schedules": Schedule,
    "holidays": Holiday,
    "rooms": Room,
    "artworks": Artwork,
    "cameras": Camera,
    "doors": Door,
    "sensors": Sensor,
    "roles": Role,
    "people": Person,
}


def load_site(path: str | Path) -> Site:
    """The validated site in ``path``; raises :class:`SiteError` listing every problem."""
    site, problems = _load(Path(path))
    if problems or site is None:
        raise SiteError(problems)
    return site


def check_site(path: str | Path) -> list[Problem]:
    """Every problem in the site file at ``path``, in file order; empty when it is valid."""
    return _load(Path(path))[1]


def parse_site(text: str, file: str = "<string>") -> Site:
    """Like :func:`load_site` for YAML text; ``file`` is the name used in problems."""
    site, problems = evaluate(text, file)
    if problems or site is None:
        raise SiteError(problems)
    return site


def evaluate(text: str, file: str) -> tuple[Site | None, list[Problem]]:
    """The site (None when unusable) and all problems found in YAML ``text``."""
    document = parse(text, file)
    problems = list(document.problems)
    if problems and document.data is None:
        return None, problems
    if not isinstance(document.data, dict):
        data = document.data
        got = (
            "an empty file" if data is None else "a list" if isinstance(data, list) else repr(data)
        )
        expected = ", ".join(("site", *LIST_SECTIONS, "policies", "retention"))
        problems.append(
            Problem(file, 1, 1, "", f"expected a mapping with keys {expected}; got {got}")
        )
        return None, problems
    data = to_plain(document.data)
    site: Site | None
    try:
        site = Site.model_validate(data)
        issues = cross_check(site)
    except ValidationError as error:
        site = None
        issues = issues_from(error, Site) + _partial_cross_check(data)
    problems.extend(document.problem(issue) for issue in issues)
    problems.sort(key=lambda p: p.sort_key)
    return site, problems


def _load(path: Path) -> tuple[Site | None, list[Problem]]:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        return None, [Problem(str(path), None, None, "", f"cannot read the site file: {error}")]
    return evaluate(text, str(path))


def _partial_cross_check(data: dict[str, Any]) -> list[Issue]:
    """Cross-check the items that validate on their own, with locs in the document's indices."""
    parts: dict[str, Any] = {}
    positions: dict[str, list[int]] = {}
    declared: dict[str, set[str]] = {}
    unknowable: set[str] = set()
    for section, model in LIST_SECTIONS.items():
        raw = data.get(section, [])
        if not isinstance(raw, list):
            unknowable.add(section)
            raw = []
        parts[section], positions[section] = [], []
        for i, item in enumerate(raw):
            try:
                parts[section].append(model.model_validate(item))
                positions[section].append(i)
            except ValidationError:
                if isinstance(item, dict) and isinstance(item.get("id"), str):
                    declared.setdefault(section, set()).add(item["id"].strip())
    for key, single in (("policies", Policies), ("retention", Retention)):
        try:
            parts[key] = single.model_validate(data.get(key) or {})
        except ValidationError:
            parts[key] = single()
    try:
        parts["info"] = SiteInfo.model_validate(data.get("site"))
    except ValidationError:
        parts["info"] = None
    partial = Site.model_construct(**parts)
    issues = cross_check(partial, declared, unknowable & set(SECTIONS))

    def remap(loc: Loc) -> Loc:
        if len(loc) >= 2 and loc[0] in positions and isinstance(loc[1], int):
            return (loc[0], positions[str(loc[0])][loc[1]], *loc[2:])
        return loc

    return [
        Issue(remap(i.loc), i.message, remap(i.also) if i.also is not None else None)
        for i in issues
    ]
