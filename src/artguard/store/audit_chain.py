"""The audit chain's format and its verification, independent of how entries are stored.

An entry's hash is the SHA-256 (hex) of the canonical JSON of
``{seq, ts, actor, action, subject, details, prev_hash}``; ``prev_hash`` is the previous entry's
hash, 64 zeros for entry 1. Canonical JSON: keys sorted, no whitespace, UTF-8 (not ASCII
escapes), no NaN; times as ISO-8601 UTC with microseconds (``2025-01-31T22:05:00.000000+00:00``).

A retention purge deletes a prefix of the chain. It first appends an ``audit.purge`` entry that
names the last entry it will delete and that entry's hash, so the entry after the gap still
links to a hash the chain itself vouches for. :class:`ChainWalker` accepts a missing prefix
only when such an entry, itself intact, accounts for it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from enum import Enum
from pathlib import PurePath
from typing import Any, NamedTuple
from uuid import UUID

GENESIS_HASH = "0" * 64
PURGE_ACTION = "audit.purge"


def format_ts(ts: datetime) -> str:
    """The one text form of a time inside hashed content (naive times are taken as UTC)."""
    if ts.tzinfo is None:
        ts = ts.replace(tzinfo=UTC)
    return ts.astimezone(UTC).isoformat(timespec="microseconds")


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime):
        return format_ts(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, UUID | PurePath):
        return str(value)
    if isinstance(value, set | frozenset):
        return sorted(value, key=canonical_json)
    if hasattr(value, "model_dump"):  # pydantic models, e.g. events
        return value.model_dump(mode="json")
    raise TypeError(f"{type(value).__name__} is not JSON serialisable: {value!r}")


def canonical_json(value: Any) -> str:
    """Deterministic JSON text: the same data always gives the same string (and hash)."""
    return json.dumps(
        value,
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        allow_nan=False,
        default=_json_default,
    )


def normalise_details(details: Mapping[str, Any]) -> dict[str, Any]:
    """``details`` as it reads back from storage (one JSON round trip).

    Hashing the round-tripped value, not the caller's, keeps hashes stable when the caller
    passes tuples, datetimes, enums or non-string keys that JSON turns into something else.
    """
    if not isinstance(details, Mapping):
        raise TypeError(f"details must be a mapping, got {type(details).__name__}")
    text = json.dumps(dict(details), ensure_ascii=False, allow_nan=False, default=_json_default)
    return json.loads(text)  # not sorted yet: keys may be of mixed types until now


def entry_hash(
    seq: int,
    ts: datetime,
    actor: str,
    action: str,
    subject: str | None,
    details: Mapping[str, Any],
    prev_hash: str,
) -> str:
    """SHA-256 hex of the entry's canonical JSON."""
    content = {
        "seq": seq,
        "ts": format_ts(ts),
        "actor": actor,
        "action": action,
        "subject": subject,
        "details": details,
        "prev_hash": prev_hash,
    }
    return hashlib.sha256(canonical_json(content).encode("utf-8")).hexdigest()


def _stored_text_hash(entry: StoredEntry, ts: datetime, seq: int) -> str:
    """:func:`entry_hash` for an entry whose stored details are already canonical JSON.

    Verification speed: the stored text is spliced in as it is instead of being parsed and
    dumped again. Keys are in sorted order and strings escaped exactly as ``json.dumps`` with
    ``ensure_ascii=False`` escapes them, so for canonical details the result is the same.
    """
    subject = "null" if entry.subject is None else _encode_str(entry.subject)
    content = (
        f'{{"action":{_encode_str(entry.action)},"actor":{_encode_str(entry.actor)},'
        f'"details":{entry.details},"prev_hash":{_encode_str(entry.prev_hash)},'
        f'"seq":{seq},"subject":{subject},"ts":"{format_ts(ts)}"}}'
    )
    return hashlib.sha256(content.encode("utf-8")).hexdigest()


_encode_str: Callable[[str], str] = json.encoder.encode_basestring  # type: ignore[attr-defined]


class StoredEntry(NamedTuple):
    """An entry as read back, ``details`` still the stored JSON text (columns in table order)."""

    seq: int
    ts: datetime | None  # None: the stored time is not a time at all
    actor: str
    action: str
    subject: str | None
    details: str
    prev_hash: str
    hash: str

    def parsed_details(self) -> dict[str, Any] | None:
        try:
            value = json.loads(self.details)
        except ValueError:
            return None
        return value if isinstance(value, dict) else None

    def hash_as(self, seq: int) -> str | None:
        """The hash this entry's content would have at ``seq``; None if it cannot have one."""
        if self.ts is None:
            return None
        try:
            fast = _stored_text_hash(self, self.ts, seq)
        except UnicodeEncodeError:  # lone surrogates in tampered text
            return None
        if fast == self.hash:
            return fast
        # Not canonical as stored (or edited): hash the parsed value, as the definition says.
        details = self.parsed_details()
        if details is None:
            return None
        return entry_hash(
            seq, self.ts, self.actor, self.action, self.subject, details, self.prev_hash
        )


@dataclass(frozen=True)
class ChainReport:
    """Outcome of walking the chain. ``head_hash`` is only given for an intact chain."""

    ok: bool
    entries_checked: int
    first_bad_seq: int | None
    problem: str | None
    head_hash: str | None


class ChainBroken(Exception):
    """The first break found; ``problem`` starts with its kind (edited, deleted, reordered,
    inserted, forged)."""

    def __init__(self, seq: int, problem: str) -> None:
        super().__init__(f"entry #{seq}: {problem}")
        self.seq = seq
        self.problem = problem


@dataclass(frozen=True)
class ChainLookup:
    """Point queries the walker needs only after it found a break, to say what happened."""

    seq_with_hash: Callable[[str], int | None]
    seq_with_prev_hash: Callable[[str], int | None]
    purges_after: Callable[[int], Iterable[StoredEntry]]
    """``audit.purge`` entries with a seq above the given one, checked or not."""


class ChainWalker:
    """Checks entries fed in ascending seq order; raises :class:`ChainBroken` at the first break.

    Memory stays constant: only the previous entry and the start-of-log anchor are kept.
    """

    def __init__(self, lookup: ChainLookup) -> None:
        self._lookup = lookup
        self._previous: StoredEntry | None = None
        self.checked = 0
        # Where the log starts when entries 1..n were purged: (n, hash of entry n), until an
        # intact audit.purge entry vouches for it.
        self._unvouched_anchor: tuple[int, str] | None = None
        self._purged_through = 0  # highest seq an intact audit.purge entry covers

    @property
    def head_hash(self) -> str | None:
        return self._previous.hash if self._previous else None

    def feed(self, entry: StoredEntry) -> None:
        previous = self._previous
        if previous is None:
            expected_seq, expected_prev = self._start(entry)
        else:
            expected_seq, expected_prev = previous.seq + 1, previous.hash
        if entry.seq != expected_seq:
            self._fail(expected_seq, f"deleted: {_missing(expected_seq, entry.seq - 1)}")
        content_ok = entry.hash_as(entry.seq) == entry.hash
        link_ok = entry.prev_hash == expected_prev
        if not content_ok:
            self._fail(*self._explain_bad_content(entry, link_ok))
        if not link_ok:
            if previous is None:
                self._fail(entry.seq, "forged: the first entry does not start from 64 zeros")
            self._fail(
                previous.seq,
                f"edited and re-hashed: entry #{entry.seq} still records its original hash "
                f"(or entry #{entry.seq} is forged)",
            )
        if entry.action == PURGE_ACTION:
            self._note_purge(entry)
        self._previous = entry
        self.checked += 1

    def finish(self) -> None:
        """Call after the last entry: fails if a missing start of the log was never vouched for."""
        self._check_anchor(final=True)

    def _start(self, entry: StoredEntry) -> tuple[int, str]:
        if entry.seq < 1:
            raise ChainBroken(entry.seq, "forged: the log never numbers an entry below 1")
        if entry.seq == 1:
            return 1, GENESIS_HASH
        self._unvouched_anchor = (entry.seq - 1, entry.prev_hash)
        return entry.seq, entry.prev_hash

    def _fail(self, seq: int, problem: str) -> None:
        self._check_anchor(final=False)
        raise ChainBroken(seq, problem)

    def _check_anchor(self, final: bool) -> None:
        """A missing start of the log nobody vouched for is the lowest break of all.

        Before the end of the walk, an audit.purge entry beyond the break may still vouch for
        it; then the break itself is the problem to report.
        """
        if self._unvouched_anchor is None:
            return
        through, _ = self._unvouched_anchor
        if not final and any(
            _purged_through(purge) >= through for purge in self._lookup.purges_after(through)
        ):
            return
        first_missing = self._purged_through + 1
        raise ChainBroken(
            first_missing,
            f"deleted: {_missing(first_missing, through)} from the start of the log "
            "and no audit.purge entry accounts for them",
        )

    def _note_purge(self, entry: StoredEntry) -> None:
        through = _purged_through(entry)
        if through < 0:
            return
        self._purged_through = max(self._purged_through, through)
        if self._unvouched_anchor is None:
            return
        anchor_seq, anchor_hash = self._unvouched_anchor
        if through > anchor_seq:
            self._unvouched_anchor = None  # a purge stopped part-way; the rest is still here
        elif through == anchor_seq:
            recorded = (entry.parsed_details() or {}).get("purged_through_hash")
            if recorded != anchor_hash:
                raise ChainBroken(
                    anchor_seq + 1,
                    f"forged: does not link to the hash of the last purged entry "
                    f"#{anchor_seq} as recorded by entry #{entry.seq}",
                )
            self._unvouched_anchor = None

    def _explain_bad_content(self, entry: StoredEntry, link_ok: bool) -> tuple[int, str]:
        if link_ok:
            return entry.seq, "edited: its content no longer matches its hash"
        original = self._original_seq(entry)
        if original is None:
            return entry.seq, (
                "edited: its content no longer matches its hash and its prev_hash does not "
                "link to the entry before it"
            )
        if original < entry.seq:
            first = original  # n forged entries pushed the originals up by n
            forged = f"#{first}" if first == entry.seq - 1 else f"#{first}..#{entry.seq - 1}"
            return first, (
                f"inserted: forged entry {forged} was slipped in and the entries after it "
                f"renumbered (entry #{entry.seq} was written as #{original})"
            )
        if self._lookup.seq_with_hash(entry.prev_hash) is None:
            return entry.seq, (
                f"deleted: {_missing(entry.seq, original - 1)} (by their original numbers) "
                f"and the later entries were renumbered to hide the gap (entry #{entry.seq} "
                f"was written as #{original})"
            )
        return entry.seq, f"reordered: this entry was written as #{original}"

    def _original_seq(self, entry: StoredEntry) -> int | None:
        """The seq an entry was written with, if its content is intact but it was renumbered."""
        candidates = {entry.seq - 1, entry.seq + 1}
        before = self._lookup.seq_with_hash(entry.prev_hash)
        if before is not None:
            candidates.add(before + 1)
        after = self._lookup.seq_with_prev_hash(entry.hash)
        if after is not None:
            candidates.add(after - 1)
        for seq in sorted(candidates - {entry.seq}):
            if seq >= 1 and entry.hash_as(seq) == entry.hash:
                return seq
        return None


def _purged_through(entry: StoredEntry) -> int:
    """The last seq an audit.purge entry covers; -1 when it is not a well-formed one."""
    through = (entry.parsed_details() or {}).get("purged_through_seq")
    if entry.action != PURGE_ACTION or not isinstance(through, int) or through >= entry.seq:
        return -1
    return through


def _missing(first: int, last: int) -> str:
    return (
        f"entry #{first} is missing" if first == last else f"entries #{first}..#{last} are missing"
    )
