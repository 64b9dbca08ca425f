"""The auditor's view of the audit log: filtered pages and the chain's verification status.

Pages are keyset-paginated by ``seq``: each page says the cursor of the next one, so paging
through a log of millions of entries costs the same per page and an entry appended meanwhile
neither repeats nor hides another. Verification walks the whole chain with
:meth:`artguard.store.audit.AuditLog.verify`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, select

from artguard.store.audit import AuditLog
from artguard.store.tables import audit_log

MAX_LIMIT = 500


class AuditQueryError(ValueError):
    """A bad filter; the message names the parameter."""


@dataclass(frozen=True)
class AuditQuery:
    since: datetime | None = None
    until: datetime | None = None
    actor: str | None = None
    action: str | None = None
    """An action, or a prefix ending in ``.*`` (``privacy.*``)."""
    subject: str | None = None
    limit: int = 100
    cursor: int | None = None
    """From the previous page's ``next_cursor``."""
    newest_first: bool = False

    def __post_init__(self) -> None:
        if not 1 <= self.limit <= MAX_LIMIT:
            raise AuditQueryError(f"limit must be 1..{MAX_LIMIT}, got {self.limit}")
        for name in ("since", "until"):
            value = getattr(self, name)
            if value is not None and value.tzinfo is None:
                raise AuditQueryError(f"{name} must carry a time zone (e.g. ...Z or +01:00)")
        if self.since and self.until and self.since > self.until:
            raise AuditQueryError("since is after until")


def audit_page(engine: Engine, query: AuditQuery) -> dict[str, Any]:
    """One page of entries matching ``query``, and the cursor of the next page (or None)."""
    c = audit_log.c
    stmt = select(audit_log)
    if query.since is not None:
        stmt = stmt.where(c.ts >= query.since)
    if query.until is not None:
        stmt = stmt.where(c.ts <= query.until)
    if query.actor is not None:
        stmt = stmt.where(c.actor == query.actor)
    if query.action is not None:
        if query.action.endswith(".*"):
            prefix = query.action[:-1].replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            stmt = stmt.where(c.action.like(f"{prefix}%", escape="\\"))
        else:
            stmt = stmt.where(c.action == query.action)
    if query.subject is not None:
        stmt = stmt.where(c.subject == query.subject)
    if query.cursor is not None:
        stmt = stmt.where(c.seq < query.cursor if query.newest_first else c.seq > query.cursor)
    order = c.seq.desc() if query.newest_first else c.seq
    with engine.connect() as conn:
        rows = conn.execute(stmt.order_by(order).limit(query.limit + 1)).all()
    more = len(rows) > query.limit
    rows = rows[: query.limit]
    entries = [
        {
            "seq": row.seq,
            "ts": row.ts.isoformat(),
            "actor": row.actor,
            "action": row.action,
            "subject": row.subject,
            "details": json.loads(row.details),
            "hash": row.hash,
            "prev_hash": row.prev_hash,
        }
        for row in rows
    ]
    return {"entries": entries, "next_cursor": rows[-1].seq if more else None}


def verification(log: AuditLog) -> dict[str, Any]:
    """The chain's status: ``ok``, or ``broken`` with the first bad entry and what happened."""
    report = log.verify()
    return {
        "status": "ok" if report.ok else "broken",
        "entries_checked": report.entries_checked,
        "first_bad_seq": report.first_bad_seq,
        "problem": report.problem,
        "head_hash": report.head_hash,
    }
