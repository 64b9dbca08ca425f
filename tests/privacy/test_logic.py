"""Decision logic: assembled from the stored decision, the registry and the site file."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from artguard.privacy import logic_registry as registry
from artguard.privacy.logic import DecisionNotFound, explain_decision, model_info, resolve
from artguard.rules.engine import default_rules
from artguard.site import Site
from artguard.site.entities import Artwork, Camera, Door, Room, Sensor
from artguard.site.people import Person
from artguard.store.tables import alerts
from tests.privacy.conftest import Populated

ENTITY_MODELS = {
    "device": (Door, Sensor, Camera),
    "room": (Room,),
    "artwork": (Artwork,),
    "person": (Person,),
}


def _setting(logic: dict, ref: str) -> object:
    (found,) = [s for s in logic["settings"] if s["ref"] == ref]
    return found


def test_access_decision_logic_names_rules_inputs_thresholds_and_audit(
    populated: Populated,
) -> None:
    runtime = populated.runtime
    logic = explain_decision(runtime.engine, runtime.site, populated.grant_event_id)

    assert logic["type"] == "access_decision" and logic["outcome"] == "grant"
    assert logic["inputs"]["credential_id"] == "badge-1"
    assert logic["inputs"]["reader_id"] == "r-front" and logic["inputs"]["factors"] == ["card"]
    thresholds = {t["ref"].rsplit(".", 1)[-1]: t["value"] for t in logic["thresholds"]}
    access = runtime.site.policies.access
    assert thresholds == {"step_up_risk": access.step_up_risk, "deny_risk": access.deny_risk}
    # the sealed audit entry of this very decision
    entry = runtime.audit.entries(after_seq=logic["audit"]["seq"] - 1, limit=1)[0]
    assert entry.action == "access.grant" and entry.subject == "badge-1"
    assert entry.hash == logic["audit"]["hash"]
    assert logic["site_file"]["status"].startswith("unknown")  # no site path was loaded


async def test_denial_logic_resolves_the_persons_zones(populated: Populated) -> None:
    runtime = populated.runtime
    from artguard.store.tables import events

    with runtime.engine.connect() as conn:
        deny_id = conn.execute(
            select(events.c.id).where(
                events.c.kind == "access_decision", events.c.payload.like('%"deny"%')
            )
        ).first()[0]
    logic = explain_decision(runtime.engine, runtime.site, deny_id)
    zone = [r for r in logic["rules"] if r["rule"] == "zone.not_allowed"]
    assert zone, logic["rules"]
    assert _setting(zone[0], "person:zones")["value"] == ["hall", "gallery"]
    assert "allowed rooms" in zone[0]["checks"]


def test_alert_logic_reads_the_threshold_from_the_site_file(populated: Populated) -> None:
    runtime = populated.runtime
    with runtime.engine.connect() as conn:
        alert_id = conn.execute(
            select(alerts.c.id).where(alerts.c.rule == "door_forced")
        ).scalar_one()
    logic = explain_decision(runtime.engine, runtime.site, alert_id)

    assert logic["type"] == "alert" and logic["rule"]["rule"] == "door_forced"
    window = _setting(logic["rule"], "site:policies.forced_open_grant_window_seconds")
    assert window["value"] == runtime.site.policies.forced_open_grant_window_seconds == 10
    assert logic["reasons"] and logic["inputs"]["evidence"]["door_id"] == "d-front"
    assert logic["inputs"]["source_events"][0]["kind"] == "door_state"
    assert logic["incident"]["id"] is not None


def test_unknown_ids_and_non_decisions_are_refused(populated: Populated) -> None:
    runtime = populated.runtime
    with pytest.raises(DecisionNotFound, match="no stored"):
        explain_decision(runtime.engine, runtime.site, "nope")
    from artguard.store.tables import events

    with runtime.engine.connect() as conn:
        door_event = conn.execute(
            select(events.c.id).where(events.c.kind == "door_state")
        ).scalar_one()
    with pytest.raises(DecisionNotFound, match="door_state event"):
        explain_decision(runtime.engine, runtime.site, door_event)


def test_every_rule_the_site_runs_is_described(two_people_site: Site) -> None:
    running = {rule.name for rule in default_rules(two_people_site)} - {"access"}
    assert running <= set(registry.ALERT_RULES), running - set(registry.ALERT_RULES)


@pytest.mark.parametrize(
    "rule_id",
    [
        "credential.unknown",
        "factors.level",
        "threat.elevated.factors",
        "threat.lockdown",
        "anti_passback.hard",
        "anomaly.travel",
        "risk.step_up",
        "face.verified",
        "lockout",
        "interlock",
    ],
)
def test_access_rule_ids_find_their_entry(rule_id: str) -> None:
    found = registry.access_rule(rule_id)
    assert found is not None
    if rule_id == "threat.elevated.factors":
        assert found[0] == "threat.*.factors"


def test_every_setting_reference_is_well_formed(two_people_site: Site) -> None:
    entries = [*registry.ACCESS_RULES.values(), *registry.ALERT_RULES.values()]
    for info in entries:
        for ref in info.settings:
            source, _, path = ref.partition(":")
            if source in ("site", "code"):
                resolve(ref, two_people_site)  # raises LookupError when it does not exist
            else:
                models = ENTITY_MODELS[source]
                assert any(path.split(".")[0] in m.model_fields for m in models), ref
        for family in info.models:
            assert model_info(family)["version"], family


def test_models_are_named_with_their_manifest_version() -> None:
    detector = model_info("detector")
    assert detector["name"] in ("centernet", "nanodet")
    assert detector["version"].startswith(f"{detector['name']}@")
    assert model_info("face_verifier")["name"] == "dlib_face_recognition_resnet_model_v1"
    with pytest.raises(LookupError):
        model_info("crystal_ball")
