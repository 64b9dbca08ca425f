"""The chain format on its own: canonical JSON, hashing, and the verifier's fast path."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime, timedelta, timezone

import pytest

from artguard.store.audit_chain import (
    GENESIS_HASH,
    StoredEntry,
    canonical_json,
    entry_hash,
    format_ts,
    normalise_details,
)

TS = datetime(2025, 1, 31, 22, 5, 0, 7, tzinfo=UTC)


def test_times_are_utc_iso_with_microseconds() -> None:
    assert format_ts(TS) == "2025-01-31T22:05:00.000007+00:00"
    assert format_ts(datetime(2025, 2, 1, 0, 5, tzinfo=timezone(timedelta(hours=2)))) == (
        "2025-01-31T22:05:00.000000+00:00"
    )


def test_canonical_json_is_sorted_compact_utf8_and_strict() -> None:
    assert canonical_json({"b": [1, 2.5], "a": "é"}) == '{"a":"é","b":[1,2.5]}'
    with pytest.raises(ValueError):
        canonical_json({"x": float("nan")})
    with pytest.raises(TypeError):
        canonical_json({"x": object()})


def test_normalised_details_hash_the_same_after_a_round_trip() -> None:
    details = normalise_details({"when": TS, 2: (1, 2), "s": {"b", "a"}})
    assert details == {"when": "2025-01-31T22:05:00.000007+00:00", "2": [1, 2], "s": ["a", "b"]}
    assert json.loads(canonical_json(details)) == details


@pytest.mark.parametrize(
    ("actor", "subject", "details"),
    [
        ("op:ana", None, {}),
        ('op:"quoted"\\back', "line\nbreak\ttab\x01", {"k": "ü€😀", "n": [1, -2.5e-7, None]}),
        ("ünïcödé", "\u2028", {"nested": {"z": 1, "a": {"deep": True}}}),
    ],
)
def test_fast_verification_hash_equals_the_definition(
    actor: str, subject: str | None, details: dict
) -> None:
    digest = entry_hash(7, TS, actor, "note", subject, details, GENESIS_HASH)
    stored = StoredEntry(
        7, TS, actor, "note", subject, canonical_json(details), GENESIS_HASH, digest
    )
    assert stored.hash_as(7) == digest
    assert stored.hash_as(8) != digest
    by_hand = json.dumps(
        {
            "seq": 7,
            "ts": format_ts(TS),
            "actor": actor,
            "action": "note",
            "subject": subject,
            "details": details,
            "prev_hash": GENESIS_HASH,
        },
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )
    assert digest == hashlib.sha256(by_hand.encode()).hexdigest()


def test_details_stored_in_another_spelling_still_verify() -> None:
    details = {"b": 1, "a": [1, 2]}
    digest = entry_hash(1, TS, "x", "y", None, details, GENESIS_HASH)
    respaced = StoredEntry(1, TS, "x", "y", None, '{ "b": 1, "a": [1,2] }', GENESIS_HASH, digest)
    assert respaced.hash_as(1) == digest
    changed = respaced._replace(details='{"b": 2, "a": [1,2]}')
    assert changed.hash_as(1) != digest
    assert respaced._replace(details="not json").hash_as(1) is None
    assert respaced._replace(ts=None).hash_as(1) is None
