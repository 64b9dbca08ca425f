"""The site's privacy, evidence and originals-retention settings: defaults and validation."""

from __future__ import annotations

from datetime import timedelta

import pytest

from artguard.site import SiteError, parse_site
from tests.conftest import SMALL_SITE

BASE = SMALL_SITE.read_text(encoding="utf-8")


def test_defaults_blur_faces_keep_no_originals_and_record_no_clips() -> None:
    site = parse_site(BASE)
    assert site.privacy.blur_faces and not site.privacy.keep_originals
    assert not site.evidence.clip and site.evidence.buffer_seconds == 2.0
    assert site.retention.originals == timedelta(days=7)


def test_originals_may_not_outlive_snapshots() -> None:
    bad = _with(BASE, "retention", "{snapshots: 30d, originals: 60d}")
    with pytest.raises(SiteError) as error:
        parse_site(bad, file="site.yaml")
    message = str(error.value)
    assert "retention" in message and "originals (60d)" in message and "snapshots (30d)" in message


@pytest.mark.parametrize(
    ("section", "value", "field"),
    [
        ("evidence", "{buffer_seconds: 0}", "buffer_seconds"),
        ("evidence", "{clip_seconds_after: 30}", "clip_seconds_after"),
        ("evidence", "{clips: true}", "clips"),
        ("privacy", "{blur_faces: maybe}", "blur_faces"),
    ],
)
def test_bad_values_name_the_field(section: str, value: str, field: str) -> None:
    with pytest.raises(SiteError) as error:
        parse_site(_with(BASE, section, value), file="site.yaml")
    assert f"{section}.{field}" in str(error.value)


def _with(text: str, section: str, value: str) -> str:
    """``text`` with the top-level ``section`` set to ``value`` (replacing it if present)."""
    lines = [line for line in text.splitlines() if not line.startswith(f"{section}:")]
    return "\n".join([*lines, f"{section}: {value}", ""])
