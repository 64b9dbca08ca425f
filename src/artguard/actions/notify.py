"""Delivers ``notification`` events on the site's channels: webhook, MQTT, e-mail.

The notifier subscribes to notifications (from escalation, procedures, playbooks, door
commands) and sends each on its own ``channels`` or, when it names none, on its audience's
default channels (``notifications.audiences`` in the site file; ``default`` for the rest).
Each delivery is tried twice at most (one retry after ``retry_delay_s``), and its result is a
``notification_deliveries`` row and an audit entry (``notification.delivered`` or
``notification.failed`` with the error). A failing channel never reaches the bus or the
notifications behind it: each notification is delivered in its own task.

Channels: a **webhook** is an HTTP POST of the notification as JSON (2xx is success), over the
notifier's one HTTP client (:mod:`artguard.actions.http_client`); **MQTT**
publishes the same JSON with QoS 1 (success when the broker acknowledges); **e-mail** is sent
over SMTP with the standard library (STARTTLS unless turned off, login when a username is
given; the password comes from the environment variable ``password_env`` names).
"""

from __future__ import annotations

import asyncio
import logging
import smtplib
import ssl
from collections.abc import Mapping
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any

import httpx

from artguard.actions import records
from artguard.actions.http_client import SharedHttpClient
from artguard.actions.mqtt_link import Broker, publish
from artguard.bus import Bus
from artguard.events import EventBase, Notification, utcnow
from artguard.site import Site
from artguard.site.playbooks import Channel, EmailChannel, MqttChannel, WebhookChannel
from artguard.store.audit import AuditLog

log = logging.getLogger(__name__)

ACTOR = "action:notifier"
ATTEMPTS = 2


class DeliveryError(RuntimeError):
    """A channel could not be used (not configured, missing secret)."""


@dataclass
class NotifierStats:
    delivered: int = 0
    failed: int = 0
    without_channel: int = 0
    by_channel: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Delivery:
    channel: str
    channel_type: str
    ok: bool
    attempts: int
    error: str | None


def payload_of(notification: Notification, site: Site) -> dict[str, Any]:
    """The JSON sent on webhooks and MQTT: the notification plus the site's id and name."""
    data = notification.model_dump(mode="json")
    data["site_id"], data["site_name"] = site.id, site.name
    return data


async def send_webhook(
    client: httpx.AsyncClient,
    channel: WebhookChannel,
    payload: dict[str, Any],
    environ: Mapping[str, str],
) -> None:
    headers = dict(channel.headers)
    for header, variable in channel.headers_env.items():
        value = environ.get(variable)
        if not value:
            raise DeliveryError(f"header {header}: environment variable {variable} is not set")
        headers[header] = value
    response = await client.post(
        channel.url, json=payload, headers=headers, timeout=channel.timeout
    )
    if response.is_error:
        raise DeliveryError(f"HTTP {response.status_code}: {response.text[:200]}")


async def send_mqtt(channel: MqttChannel, payload: dict[str, Any], fallback: Broker | None) -> None:
    broker = Broker.parse(channel.broker) if channel.broker else fallback
    if broker is None:
        raise DeliveryError(
            "no MQTT broker: give the channel a broker or set ARTGUARD_BUS_URL / "
            "ARTGUARD_MQTT_INGEST_URL"
        )
    await publish(broker, channel.topic, payload, timeout_s=5.0)


def email_message(channel: EmailChannel, notification: Notification, site: Site) -> EmailMessage:
    message = EmailMessage()
    message["Subject"] = f"[artguard {site.name}] {notification.subject}"
    message["From"] = channel.sender
    message["To"] = ", ".join(channel.to)
    lines = [notification.body, "", f"Severity: {notification.severity.value}"]
    if notification.incident_id:
        lines.append(f"Incident: {notification.incident_id}")
    if notification.recipients:
        lines.append(f"For: {', '.join(notification.recipients)}")
    if notification.reason:
        lines.append(f"Why: {notification.reason}")
    message.set_content("\n".join(lines))
    return message


def send_email_sync(
    channel: EmailChannel, message: EmailMessage, environ: Mapping[str, str]
) -> None:
    password = None
    if channel.password_env:
        password = environ.get(channel.password_env)
        if not password:
            raise DeliveryError(f"environment variable {channel.password_env} is not set")
    with smtplib.SMTP(channel.host, channel.port, timeout=channel.timeout) as smtp:
        smtp.ehlo()
        if channel.starttls:
            smtp.starttls(context=ssl.create_default_context())
            smtp.ehlo()
        if channel.username:
            smtp.login(channel.username, password or "")
        smtp.send_message(message)


class Notifier:
    """Delivers notifications on their channels and records every delivery."""

    def __init__(
        self,
        site: Site,
        bus: Bus,
        engine: Any,
        audit: AuditLog,
        *,
        broker: Broker | None = None,
        environ: Mapping[str, str] | None = None,
        retry_delay_s: float = 1.0,
    ) -> None:
        self._site = site
        self._bus = bus
        self._engine = engine
        self._audit = audit
        self._broker = broker
        self._environ = environ or {}
        self._retry_delay_s = retry_delay_s
        self._tasks: set[asyncio.Task[list[Delivery]]] = set()
        self.http = SharedHttpClient()
        self.stats = NotifierStats()

    def attach(self) -> None:
        self._bus.subscribe("notifier", self.handle, kinds={"notification"})

    async def handle(self, event: EventBase) -> None:
        if not isinstance(event, Notification):
            return
        task = asyncio.create_task(self.deliver(event), name=f"notify-{event.id}")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def drain(self) -> None:
        """Wait for the deliveries in progress."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def close(self) -> None:
        """Finish the deliveries in progress and close the webhook client."""
        await self.drain()
        await self.http.close()

    async def deliver(self, notification: Notification) -> list[Delivery]:
        """Send on every channel of the notification at once; returns the results."""
        names = self._site.notifications.channels_for(notification.audience, notification.channels)
        if not names:
            self.stats.without_channel += 1
            log.debug("notification %s for %s: no channel", notification.id, notification.audience)
            return []
        results = await asyncio.gather(*(self._one(notification, name) for name in names))
        return list(results)

    async def _one(self, notification: Notification, name: str) -> Delivery:
        channel = self._site.notifications.channels.get(name)
        attempts, error = 0, None
        if channel is None:
            error = f"unknown channel {name!r} (not under notifications.channels)"
        else:
            for attempt in range(1, ATTEMPTS + 1):
                attempts = attempt
                try:
                    await self._send(channel, notification)
                    error = None
                    break
                except Exception as exc:  # a dead channel must not stop the others
                    error = f"{type(exc).__name__}: {exc}"[:500] or type(exc).__name__
                    if attempt < ATTEMPTS:
                        await asyncio.sleep(self._retry_delay_s)
        delivery = Delivery(
            name, channel.type if channel else "none", error is None, attempts, error
        )
        await self._record(notification, delivery)
        return delivery

    async def _send(self, channel: Channel, notification: Notification) -> None:
        if isinstance(channel, WebhookChannel):
            payload = payload_of(notification, self._site)
            await send_webhook(await self.http.get(), channel, payload, self._environ)
        elif isinstance(channel, MqttChannel):
            await send_mqtt(channel, payload_of(notification, self._site), self._broker)
        else:
            message = email_message(channel, notification, self._site)
            await asyncio.to_thread(send_email_sync, channel, message, self._environ)

    async def _record(self, notification: Notification, delivery: Delivery) -> None:
        if delivery.ok:
            self.stats.delivered += 1
        else:
            self.stats.failed += 1
            log.warning(
                "notification %s on %s failed: %s",
                notification.id,
                delivery.channel,
                delivery.error,
            )
        self.stats.by_channel[delivery.channel] = self.stats.by_channel.get(delivery.channel, 0) + 1
        row = {
            "notification_id": notification.id,
            "incident_id": notification.incident_id,
            "audience": notification.audience,
            "channel": delivery.channel,
            "channel_type": delivery.channel_type,
            "status": "ok" if delivery.ok else "failed",
            "attempts": delivery.attempts,
            "error": delivery.error,
            "time": utcnow(),
        }
        try:
            await asyncio.to_thread(records.add_delivery, self._engine, row)
            details = {**row, "time": row["time"].isoformat(), "subject": notification.subject}
            action = "notification.delivered" if delivery.ok else "notification.failed"
            await asyncio.to_thread(
                self._audit.append, ACTOR, action, notification.incident_id, details
            )
        except Exception:  # recording must not turn a delivery into a crash
            log.exception("could not record the delivery of notification %s", notification.id)
