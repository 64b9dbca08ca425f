"""A data subject (a person in the site file) and the stored records that name them.

The subject is known by their person id, full name and credential ids (from the site file,
plus any the caller adds: a person already removed from the site file can still be served if
their old credential ids are given). Records are found with a cheap ``LIKE`` pre-filter in the
database and then checked exactly with a :class:`~artguard.privacy.matching.Matcher`, in pages,
so a large events table is read in bounded memory.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Column, ColumnElement, Connection, Table, Text, cast, or_, select

from artguard.privacy.matching import Matcher
from artguard.site import Site
from artguard.store.tables import alerts, audit_log, events, guard_locations, incidents

PAGE = 500
OTHER_PERSON = "[another person]"

ALERT_TEXT_COLUMNS = ("title", "reasons", "evidence")
INCIDENT_TEXT_COLUMNS = (
    "title",
    "resolution_note",
    "pattern_reasons",
    "contributions",
    "escalations",
    "assigned_to",
)
"""Columns that may name a person (free text, reasons, who was paged)."""


class SubjectError(ValueError):
    """The request does not identify anyone; the message says what is missing."""


@dataclass(frozen=True)
class Subject:
    """Who the request is about, as the data knows them."""

    person_id: str
    name: str | None
    role: str | None
    credential_ids: tuple[str, ...]
    entry: dict[str, Any] | None
    """The person's site-file entry as JSON, None when the site file no longer lists them."""

    @classmethod
    def from_site(
        cls, site: Site, person_id: str, extra_credentials: Sequence[str] = ()
    ) -> Subject:
        person_id = person_id.strip()
        if not person_id:
            raise SubjectError("person id must not be empty")
        try:
            person = site.person(person_id)
        except KeyError:
            person = None
        credentials = [c.id for c in person.credentials] if person else []
        credentials += [c.strip() for c in extra_credentials if c.strip()]
        return cls(
            person_id=person_id,
            name=person.name if person else None,
            role=person.role if person else None,
            credential_ids=tuple(dict.fromkeys(credentials)),
            entry=person.model_dump(mode="json") if person else None,
        )

    @property
    def in_site(self) -> bool:
        return self.entry is not None

    def identifiers(self) -> list[str]:
        return [self.person_id, *self.credential_ids]

    def matcher(
        self, pseudonyms: Mapping[str, str] | None = None, name_replacement: str = "[erased]"
    ) -> Matcher:
        """A matcher for this subject; ``pseudonyms`` give each identifier's replacement."""
        pseudonyms = pseudonyms or {}
        identifiers = {i: pseudonyms.get(i, i) for i in self.identifiers()}
        names = {self.name: name_replacement} if self.name else {}
        return Matcher(identifiers, names)

    def others_matcher(self, site: Site) -> Matcher:
        """A matcher replacing everyone else in the site file by :data:`OTHER_PERSON`.

        An export goes to the subject, so the records it copies (an incident that paged two
        guards, an escort named in a decision) must not disclose anyone else.
        """
        own = {self.person_id, *self.credential_ids, *([self.name] if self.name else [])}
        identifiers: dict[str, str] = {}
        names: dict[str, str] = {}
        for person in site.people:
            if person.id == self.person_id:
                continue
            for text in (person.id, *(c.id for c in person.credentials)):
                if text not in own:
                    identifiers[text] = OTHER_PERSON
            if person.name and person.name not in own:
                names[person.name] = OTHER_PERSON
        return Matcher(identifiers, names)


def jsonable(value: Any) -> Any:
    """A database value as plain JSON data (times as ISO text)."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    return value


def _like_any(columns: Sequence[ColumnElement[Any]], needles: Sequence[str]) -> Any:
    """SQL pre-filter: any column's text contains any needle (``%``/``_`` escaped)."""
    clauses = []
    for needle in needles:
        escaped = needle.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        clauses += [col.like(f"%{escaped}%", escape="\\") for col in columns]
    return or_(*clauses)


def _as_text(column: Column[Any]) -> ColumnElement[Any]:
    return column if isinstance(column.type, Text) else cast(column, Text)


@dataclass(frozen=True)
class StoredEvent:
    seq: int
    kind: str
    payload: dict[str, Any]


def events_naming(conn: Connection, matcher: Matcher) -> Iterator[StoredEvent]:
    """Stored events whose payload names the subject, in arrival order."""
    prefilter = _like_any([events.c.payload], matcher.needles)
    after = 0
    while True:
        rows = conn.execute(
            select(events.c.seq, events.c.kind, events.c.payload)
            .where(events.c.seq > after, prefilter)
            .order_by(events.c.seq)
            .limit(PAGE)
        ).all()
        for seq, kind, payload in rows:
            data = json.loads(payload)
            if matcher.names_in(data):
                yield StoredEvent(seq, kind, data)
        if len(rows) < PAGE:
            return
        after = rows[-1].seq


def rows_naming(
    conn: Connection, table: Table, key: str, text_columns: Sequence[str], matcher: Matcher
) -> list[dict[str, Any]]:
    """Rows of ``table`` whose ``text_columns`` name the subject (whole rows, as JSON data)."""
    columns = [_as_text(table.c[name]) for name in text_columns]
    rows = conn.execute(
        select(table).where(_like_any(columns, matcher.needles)).order_by(table.c[key])
    ).all()
    found = []
    for row in rows:
        values = dict(row._mapping)
        if matcher.names_in([values[name] for name in text_columns]):
            found.append(values)
    return found


def alerts_naming(conn: Connection, matcher: Matcher) -> list[dict[str, Any]]:
    return rows_naming(conn, alerts, "raised_time", ALERT_TEXT_COLUMNS, matcher)


def incidents_naming(conn: Connection, matcher: Matcher) -> list[dict[str, Any]]:
    return rows_naming(conn, incidents, "detected_time", INCIDENT_TEXT_COLUMNS, matcher)


def audit_naming(conn: Connection, matcher: Matcher) -> Iterator[dict[str, Any]]:
    """Audit entries about the subject (their id as subject) or naming them in details."""
    prefilter = or_(
        audit_log.c.subject.in_(matcher.needles),
        _like_any([audit_log.c.details], matcher.needles),
    )
    after = 0
    while True:
        rows = conn.execute(
            select(audit_log)
            .where(audit_log.c.seq > after, prefilter)
            .order_by(audit_log.c.seq)
            .limit(PAGE)
        ).all()
        for row in rows:
            details = json.loads(row.details)
            if matcher.names_in(row.subject or "") or matcher.names_in(details):
                yield {
                    "seq": row.seq,
                    "ts": row.ts.isoformat(),
                    "actor": row.actor,
                    "action": row.action,
                    "subject": row.subject,
                    "details": details,
                }
        if len(rows) < PAGE:
            return
        after = rows[-1].seq


def guard_location_of(conn: Connection, person_id: str) -> dict[str, Any] | None:
    row = conn.execute(
        select(guard_locations).where(guard_locations.c.person_id == person_id)
    ).first()
    return jsonable(dict(row._mapping)) if row else None
