"""A door reader on MQTT (real Mosquitto): it publishes a badge asking artguard and receives the
decision on its own topic, through the same ingestion, policy and records as HTTP."""

from __future__ import annotations

import asyncio
import json
import uuid
from pathlib import Path

import aiomqtt
import pytest

from artguard.config import Settings
from artguard.runtime import Runtime
from artguard.site import parse_site
from tests.services import require_mqtt

from .helpers import SITE_PATH, TUESDAY_10

pytestmark = pytest.mark.services


async def test_a_reader_asks_over_mqtt_and_gets_its_decision(tmp_path: Path) -> None:
    host, port = require_mqtt()
    site_id = f"test-{uuid.uuid4().hex[:12]}"  # a topic tree of its own on the shared broker
    text = SITE_PATH.read_text().replace("id: access-museum", f"id: {site_id}", 1)
    site = parse_site(text, str(SITE_PATH))
    settings = Settings(
        data_dir=tmp_path / "var",
        bus_url=f"mqtt://{host}:{port}",
        mqtt_ingest_url=f"mqtt://{host}:{port}",
    )
    async with Runtime(settings, site, live_clock=False) as runtime:
        _, token = runtime.tokens.create("corridor-reader", ["r-corridor"])
        await asyncio.wait_for(runtime.mqtt_ingest.wait_ready(), 15)  # type: ignore[union-attr]
        async with aiomqtt.Client(host, port) as reader:
            await reader.subscribe(f"artguard/{site_id}/access_decision/r-corridor", qos=1)
            await reader.subscribe(f"artguard/{site_id}/ingest-result/r-corridor", qos=1)
            badge = {
                "kind": "access_attempt",
                "device_id": "r-corridor",
                "credential_id": "card-guard",
                "factors": ["card", "pin"],
                "granted": None,
                "site_time": TUESDAY_10.isoformat(),
            }
            envelope = {"token": token, "events": [badge], "request_id": "badge-1"}
            await reader.publish(
                f"artguard/{site_id}/ingest/r-corridor", json.dumps(envelope), qos=1
            )
            answers: dict[str, dict] = {}
            async with asyncio.timeout(15):
                async for message in reader.messages:
                    kind = str(message.topic).split("/")[2]
                    answers[kind] = json.loads(bytes(message.payload))  # type: ignore[arg-type]
                    if {"access_decision", "ingest-result"} <= set(answers):
                        break
    assert answers["ingest-result"]["status"] == "ok"
    decision = answers["access_decision"]
    assert decision["outcome"] == "grant" and decision["room_id"] == "corridor"
    assert decision["reasons"] == ["Gail Guard may enter Staff corridor via Corridor door"]
