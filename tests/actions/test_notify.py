"""Notification delivery: webhook, e-mail over SMTP, MQTT; retries and recorded failures."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import aiomqtt
import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from artguard.actions import records
from artguard.actions.mqtt_link import Broker
from artguard.actions.notify import Notifier
from artguard.bus import MemoryBus
from artguard.config import Settings
from artguard.events import Notification, Severity
from artguard.site import Site
from artguard.store.audit import AuditLog
from artguard.store.db import open_database
from tests.actions.helpers import count_http_clients, free_port, receiver, site_with
from tests.conftest import NIGHT
from tests.services import require_mqtt


def _note(audience: str = "supervisor", channels: list[str] | None = None) -> Notification:
    return Notification(
        device_id="playbooks",
        site_time=NIGHT,
        audience=audience,
        subject="Theft in progress: Hall, Gallery",
        body="Doors locked; go to the gallery.",
        severity=Severity.critical,
        incident_id="inc-7",
        reason="playbook theft matched",
        channels=channels or [],
    )


async def _notifier(
    settings: Settings, site: Site, environ: dict[str, str] | None = None, **kw: Any
) -> Notifier:
    engine = open_database(settings)
    return Notifier(
        site, MemoryBus(), engine, AuditLog(engine), environ=environ or {}, retry_delay_s=0.05, **kw
    )


async def test_webhook_posts_json_with_secret_headers_from_the_environment(
    settings: Settings,
) -> None:
    with receiver() as (server, port):
        site = site_with(
            f"""
notifications:
  channels:
    hook:
      type: webhook
      url: "http://127.0.0.1:{port}/hook"
      headers: {{X-Source: artguard}}
      headers_env: {{Authorization: HOOK_TOKEN}}
  audiences: {{supervisor: [hook]}}
"""
        )
        notifier = await _notifier(settings, site, {"HOOK_TOKEN": "Bearer s3cret"})
        [delivery] = await notifier.deliver(_note())
    assert delivery.ok and delivery.attempts == 1
    [sent] = server.received
    assert sent["subject"] == "Theft in progress: Hall, Gallery"
    assert sent["incident_id"] == "inc-7" and sent["site_id"] == "small-museum"
    assert server.headers[0]["Authorization"] == "Bearer s3cret"
    assert server.headers[0]["X-Source"] == "artguard"
    [row] = records.deliveries_for(notifier._engine, incident_id="inc-7")
    assert (row["channel"], row["channel_type"], row["status"]) == ("hook", "webhook", "ok")


async def test_a_failed_delivery_is_retried_once_then_recorded(settings: Settings) -> None:
    with receiver(fail=1) as (server, port):
        site = site_with(
            f'\nnotifications: {{channels: {{hook: {{type: webhook, url: "http://127.0.0.1:{port}/"}}}}}}\n'
        )
        notifier = await _notifier(settings, site)
        [retried] = await notifier.deliver(_note(channels=["hook"]))
        assert retried.ok and retried.attempts == 2 and len(server.received) == 1
        server.fail = 10  # down for good now
        [failed] = await notifier.deliver(_note(channels=["hook"]))
    assert not failed.ok and failed.attempts == 2 and "HTTP 503" in (failed.error or "")
    rows = records.deliveries_for(notifier._engine, incident_id="inc-7")
    assert [r["status"] for r in rows] == ["ok", "failed"]
    audit = notifier._audit.entries(action="notification.failed")
    assert audit and "HTTP 503" in audit[0].details["error"]


async def test_webhooks_share_one_client_built_off_the_event_loop(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    built = count_http_clients(monkeypatch)
    dead = free_port()  # nothing listens there: every delivery fails and is retried
    with receiver() as (server, port):
        site = site_with(
            f"""
notifications:
  channels:
    hook: {{type: webhook, url: "http://127.0.0.1:{port}/hook"}}
    dead: {{type: webhook, url: "http://127.0.0.1:{dead}/hook", timeout: 1}}
"""
        )
        notifier = await _notifier(settings, site)
        deliveries = [
            d for _ in range(3) for d in await notifier.deliver(_note(channels=["hook", "dead"]))
        ]
        await notifier.close()
    assert [(d.channel, d.ok, d.attempts) for d in deliveries] == [
        ("hook", True, 1),
        ("dead", False, 2),
    ] * 3
    assert len(server.received) == 3
    assert built == [False]  # 9 attempts, one client, not built on the event loop's thread


async def test_unknown_channels_and_missing_secrets_fail_without_crashing(
    settings: Settings,
) -> None:
    site = site_with(
        """
notifications:
  channels:
    mail: {type: email, host: 127.0.0.1, port: 1, sender: a@museum.test, to: [b@museum.test],
           starttls: false, username: ops, password_env: SMTP_PASSWORD}
  audiences: {guard: [mail]}
"""
    )
    notifier = await _notifier(settings, site)
    bus = notifier._bus
    notifier.attach()
    await bus.start()
    await bus.publish(_note(audience="guard", channels=["mail", "pager"]))
    await bus.drain()
    await notifier.drain()
    rows = records.deliveries_for(notifier._engine, incident_id="inc-7")
    errors = {r["channel"]: r["error"] for r in rows}
    assert "SMTP_PASSWORD is not set" in errors["mail"]
    assert "unknown channel 'pager'" in errors["pager"]
    assert notifier.stats.failed == 2
    await bus.stop()


class _Inbox:
    def __init__(self) -> None:
        self.messages: list[Any] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(envelope)
        return "250 OK"


@pytest.fixture
def smtp() -> Any:
    inbox = _Inbox()

    def authenticate(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> Any:
        ok = isinstance(data, LoginPassword) and (data.login, data.password) == (
            b"ops",
            b"pa55",
        )
        return AuthResult(success=ok)

    controller = Controller(
        inbox,
        hostname="127.0.0.1",
        port=free_port(),
        authenticator=authenticate,
        auth_require_tls=False,
    )
    controller.start()
    try:
        yield inbox, controller.port
    finally:
        controller.stop()


async def test_email_is_sent_over_smtp_with_a_login(settings: Settings, smtp: Any) -> None:
    inbox, port = smtp
    site = site_with(
        f"""
notifications:
  channels:
    mail: {{type: email, host: 127.0.0.1, port: {port}, sender: artguard@museum.test,
           to: [duty@museum.test, head@museum.test], starttls: false, username: ops,
           password_env: SMTP_PASSWORD}}
  audiences: {{supervisor: [mail]}}
"""
    )
    notifier = await _notifier(settings, site, {"SMTP_PASSWORD": "pa55"})
    [delivery] = await notifier.deliver(_note())
    assert delivery.ok, delivery.error
    [mail] = inbox.messages
    assert mail.mail_from == "artguard@museum.test"
    assert mail.rcpt_tos == ["duty@museum.test", "head@museum.test"]
    text = mail.content.decode()
    assert "Subject: [artguard Small Museum] Theft in progress: Hall, Gallery" in text
    assert "Doors locked; go to the gallery." in text and "Incident: inc-7" in text

    assert records.deliveries_for(notifier._engine, incident_id="inc-7")[0]["status"] == "ok"


@pytest.fixture
async def mqtt_messages() -> AsyncIterator[tuple[Broker, list[dict[str, Any]]]]:
    host, port = require_mqtt()
    got: list[dict[str, Any]] = []
    ready = asyncio.Event()

    async def listen() -> None:
        async with aiomqtt.Client(host, port, identifier="test-pager") as client:
            await client.subscribe("museum/pager/#", qos=1)
            ready.set()
            async for message in client.messages:
                got.append({"topic": str(message.topic), **json.loads(message.payload)})  # type: ignore[arg-type]

    task = asyncio.create_task(listen())
    await asyncio.wait_for(ready.wait(), 5)
    try:
        yield Broker(host, port), got
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


@pytest.mark.services
async def test_mqtt_notification_reaches_a_subscriber(
    settings: Settings, mqtt_messages: tuple[Broker, list[dict[str, Any]]]
) -> None:
    broker, got = mqtt_messages
    site = site_with(
        """
notifications:
  channels: {pager: {type: mqtt, topic: museum/pager/supervisor}}
  audiences: {supervisor: [pager]}
"""
    )
    notifier = await _notifier(settings, site, broker=broker)
    [delivery] = await notifier.deliver(_note())
    assert delivery.ok, delivery.error
    for _ in range(100):
        if got:
            break
        await asyncio.sleep(0.02)
    [message] = got
    assert message["topic"] == "museum/pager/supervisor"
    assert message["subject"] == "Theft in progress: Hall, Gallery"
    assert message["severity"] == "critical" and message["audience"] == "supervisor"
