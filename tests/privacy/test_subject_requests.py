"""Data-subject export and erasure against a real runtime's stored data."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest
from sqlalchemy import select

from artguard.privacy.erase import erase_subject
from artguard.privacy.export import ExportOptions, export_subject, write_zip
from artguard.privacy.subjects import SubjectError
from artguard.store.audit import AuditLog
from artguard.store.tables import alerts, audit_log, events
from tests.privacy.conftest import Populated


def _export(populated: Populated, person: str, **options: object) -> dict:
    runtime = populated.runtime
    return export_subject(
        runtime.engine,
        runtime.site,
        person,
        "dpo:erin",
        runtime.templates,
        ExportOptions(**options),  # type: ignore[arg-type]
    )


def test_export_holds_the_persons_decisions_and_template_metadata_only(
    populated: Populated,
) -> None:
    document = _export(populated, "p-1")

    assert document["subject"]["name"] == "Alex Guard"
    assert document["credential_ids"] == ["badge-1", "face-1"]
    decisions = document["access"]["decisions"]
    assert [d["credential_id"] for d in decisions] == ["badge-1"]
    assert decisions[0]["outcome"] == "grant" and decisions[0]["person_id"] == "p-1"
    template = document["face_template"]
    assert template["consent"]["given_by"] == "Alex Guard"
    assert template["photos"] == 2 and template["model"].startswith("dlib")
    assert "descriptors" not in template  # never without an explicit request
    assert document["audit_entries"] and all(
        "badge-2" not in json.dumps(e) and "Blair" not in json.dumps(e)
        for e in document["audit_entries"]
    )
    text = json.dumps(document)
    assert "badge-2" not in text and "Blair Keeper" not in text and "p-2" not in text
    assert document["counts"]["access_decisions"] == 1
    # The export itself is on record, with counts and no data.
    (entry,) = AuditLog(populated.runtime.engine).entries(action="privacy.export")
    assert entry.actor == "dpo:erin" and entry.subject == "p-1"
    assert entry.details["counts"]["access_decisions"] == 1 and "Alex" not in str(entry.details)


def test_export_of_the_other_person_finds_their_denials_and_lockout_alert(
    populated: Populated,
) -> None:
    document = _export(populated, "p-2")
    assert len(document["access"]["decisions"]) == 5
    assert {d["outcome"] for d in document["access"]["decisions"]} == {"deny"}
    assert [a["rule"] for a in document["alerts"]] == ["access_lockout"]
    assert "Alex Guard" not in json.dumps(document)


def test_export_replaces_other_people_named_in_the_same_records(populated: Populated) -> None:
    """A paging record naming both guards goes into Blair's export with Alex replaced."""
    AuditLog(populated.runtime.engine).append(
        "system:escalation",
        "incident.escalated",
        "inc-test",
        {"why": "all on-duty guards: Alex Guard, Blair Keeper", "recipients": ["p-1", "p-2"]},
    )
    document = _export(populated, "p-2")
    (entry,) = [e for e in document["audit_entries"] if e["subject"] == "inc-test"]
    assert entry["details"] == {
        "why": "all on-duty guards: [another person], Blair Keeper",
        "recipients": ["[another person]", "p-2"],
    }
    text = json.dumps(document)
    assert "Alex Guard" not in text and "badge-1" not in text and '"p-1"' not in text
    assert any("[another person]" in note for note in document["notes"])


def test_descriptors_only_on_explicit_request_and_zip_has_a_readme(
    populated: Populated, tmp_path: Path
) -> None:
    document = _export(populated, "p-1", include_descriptors=True)
    vectors = document["face_template"]["descriptors"]
    assert len(vectors) == 2 and len(vectors[0]) == 128
    target = tmp_path / "export.zip"
    write_zip(document, target)
    with zipfile.ZipFile(target) as archive:
        assert sorted(archive.namelist()) == ["README.txt", "export.json"]
        assert json.loads(archive.read("export.json"))["person_id"] == "p-1"
        assert "face_template" in archive.read("README.txt").decode()


def test_erase_removes_the_template_pseudonymises_and_leaves_an_audit_entry(
    populated: Populated,
) -> None:
    runtime = populated.runtime
    assert runtime.templates is not None
    report = erase_subject(
        runtime.engine, runtime.site, "p-2", "dpo:erin", "request DSR-2026-014", runtime.templates
    )

    assert report.template_erased and runtime.templates.load("p-2") is None
    assert runtime.templates.load("p-1") is not None  # the other person is untouched
    assert report.events_pseudonymised >= 5 and report.alerts_pseudonymised == 1
    with runtime.engine.connect() as conn:
        payloads = [
            json.loads(p)
            for p in conn.execute(
                select(events.c.payload).where(events.c.kind == "access_decision")
            ).scalars()
        ]
        alert_rows = conn.execute(select(alerts.c.title, alerts.c.evidence)).all()
    erased = [p for p in payloads if p["outcome"] == "deny"]
    assert len(erased) == 5
    pseudonyms = {p["credential_id"] for p in erased}
    assert len(pseudonyms) == 1 and pseudonyms.pop().startswith("erased-")
    assert {p["person_id"] for p in erased} != {"p-2"}
    assert all(p["room_id"] == "vault" for p in erased)  # the security facts stay
    assert [p["credential_id"] for p in payloads if p["outcome"] == "grant"] == ["badge-1"]
    lockout = [row for row in alert_rows if "locked out" in row.title]
    assert lockout[0].title == "Credential locked out: [erased]"
    assert lockout[0].evidence["credential_id"].startswith("erased-")
    # Nothing in the events or alerts names Blair any more.
    again = erase_subject(runtime.engine, runtime.site, "p-2", "dpo:erin", "check", None)
    assert again.events_pseudonymised == 0 and again.alerts_pseudonymised == 0

    log = AuditLog(runtime.engine)
    entry = log.entries(action="privacy.erase")[0]
    assert entry.actor == "dpo:erin" and entry.subject == "p-2"
    assert entry.details["reason"] == "request DSR-2026-014"
    assert entry.details["template_erased"] is True
    assert "badge-2" not in json.dumps(entry.details) and "erased-" not in json.dumps(entry.details)
    assert [e.subject for e in log.entries(action="biometric.erase")] == ["p-2"]
    # The hash-chained record is kept, and still verifies.
    assert report.audit_entries_kept > 0
    with runtime.engine.connect() as conn:
        assert conn.execute(select(audit_log.c.seq).where(audit_log.c.subject == "badge-2")).first()
    assert log.verify().ok
    assert report.still_in_site_file and "site file" in report.remaining[0]


def test_erase_needs_an_actor_and_a_reason(populated: Populated) -> None:
    runtime = populated.runtime
    with pytest.raises(SubjectError, match="reason"):
        erase_subject(runtime.engine, runtime.site, "p-2", "dpo:erin", " ", runtime.templates)
    with pytest.raises(SubjectError, match="actor"):
        erase_subject(runtime.engine, runtime.site, "p-2", "", "why", runtime.templates)
    assert runtime.templates is not None and runtime.templates.load("p-2") is not None


def test_a_person_no_longer_in_the_site_file_is_found_by_credential(
    populated: Populated,
) -> None:
    runtime = populated.runtime
    document = export_subject(
        runtime.engine,
        runtime.site,
        "p-gone",
        "dpo:erin",
        None,
        ExportOptions(extra_credentials=("badge-2",)),
    )
    assert document["subject"] is None
    assert document["counts"]["access_decisions"] == 5
    assert document["face_template_status"].startswith("not checked")
