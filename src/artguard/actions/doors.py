"""Two-way door lock commands: send lock or unlock, wait for the door to confirm, record it.

A command goes out over the door's route (``door_control`` in the site file):

* **MQTT**: JSON on ``artguard/<site>/action/<door>`` (QoS 1) carrying a ``command_id`` and a
  ``reply_to`` topic (``artguard/<site>/action-ack/<door>``); the controller answers there with
  ``{"command_id": ..., "status": "locked" | "unlocked" | "rejected" | "accepted"}``.
* **HTTP**: the same JSON POSTed to the door's URL; the response body answers the same way.

Either way a ``door_state`` event for the door with the expected ``locked`` value, received
after the command was sent, confirms it too (a controller that reports its state through
ingestion rather than acknowledging). ``accepted`` (or an HTTP reply without a status) means
"working on it": the confirmation must then come as a ``door_state`` before the timeout.

Outcomes: ``confirmed``, ``timeout``, ``failed`` (could not send, or the HTTP call failed),
``rejected`` (the controller refused, or reported the other state) and ``no_route`` (the site
gives the door no lock or no route; recorded with the reason, never raised). Each command is a
``door_commands`` row and an audit entry (``door.override`` for a person's direct command,
``door.command`` otherwise) and is published as an ``operator_action`` so the dashboard sees
it. A command that is not confirmed (timeout, failed, rejected) tells the supervisor.

A person can always lock or unlock a door, whatever the threat level or a playbook did:
nothing here consults either, and a person's command is marked as an override.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal, Protocol

from artguard.actions import records
from artguard.actions.http_client import SharedHttpClient
from artguard.actions.mqtt_link import Broker, request
from artguard.bus import Bus
from artguard.bus.mqtt_client import cancel_and_wait
from artguard.bus.topics import ROOT, check_level
from artguard.events import DoorState, EventBase, Notification, OperatorAction, Severity, new_id
from artguard.events import utcnow as _utcnow
from artguard.site import Site
from artguard.site.playbooks import DoorRoute
from artguard.store.audit import AuditLog

log = logging.getLogger(__name__)

Command = Literal["lock", "unlock"]
Outcome = Literal["confirmed", "timeout", "failed", "rejected", "no_route"]
NOT_CONFIRMED: frozenset[str] = frozenset({"timeout", "failed", "rejected"})
ACK_LEVEL = "action-ack"


def command_topic(site_id: str, door_id: str) -> str:
    """``artguard/<site>/action/<door>``: where a door controller listens for commands."""
    return f"{ROOT}/{site_id}/action/{check_level(door_id, 'door id')}"


def ack_topic(site_id: str, door_id: str) -> str:
    """``artguard/<site>/action-ack/<door>``: where it answers."""
    return f"{ROOT}/{site_id}/{ACK_LEVEL}/{check_level(door_id, 'door id')}"


@dataclass(frozen=True)
class Reply:
    """What a door controller answered."""

    status: str
    detail: str | None
    by: str


class DoorTransport(Protocol):
    """Sends one command; returns the controller's reply, None for no answer (yet), raises
    when the command could not be delivered."""

    name: str

    async def send(
        self, door_id: str, command: dict[str, Any], timeout_s: float
    ) -> Reply | None: ...


class MqttDoorTransport:
    name = "mqtt"

    def __init__(self, broker: Broker, site_id: str) -> None:
        self._broker, self._site_id = broker, site_id

    async def send(self, door_id: str, command: dict[str, Any], timeout_s: float) -> Reply | None:
        reply = await request(
            self._broker,
            command_topic(self._site_id, door_id),
            command,
            command["reply_to"],
            lambda r: r.get("command_id") == command["command_id"],
            timeout_s,
        )
        return None if reply is None else _reply(reply, "ack")


class HttpDoorTransport:
    name = "http"

    def __init__(self, url: str, http: SharedHttpClient) -> None:
        self._url = url
        self._http = http

    async def send(self, door_id: str, command: dict[str, Any], timeout_s: float) -> Reply | None:
        client = await self._http.get()
        url = self._url.replace("{door}", door_id)
        response = await client.post(url, json=command, timeout=timeout_s)
        try:
            body = response.json()
        except ValueError:
            body = None
        if isinstance(body, dict) and body.get("status"):
            return _reply(body, "http")
        if response.is_error:
            raise RuntimeError(f"HTTP {response.status_code}: {response.text[:200]}")
        return None


def _reply(data: dict[str, Any], by: str) -> Reply:
    detail = data.get("detail")
    return Reply(str(data.get("status")), None if detail is None else str(detail)[:500], by)


@dataclass
class CommandResult:
    """How one command ended."""

    command_id: str
    door_id: str
    command: Command
    status: Outcome
    detail: str
    transport: str
    confirmed_by: str | None = None
    sent_time: datetime = field(default_factory=_utcnow)
    finished_time: datetime | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "command_id": self.command_id,
            "door_id": self.door_id,
            "command": self.command,
            "status": self.status,
            "detail": self.detail,
            "transport": self.transport,
            "confirmed_by": self.confirmed_by,
            "sent_time": self.sent_time.isoformat(),
            "finished_time": self.finished_time.isoformat() if self.finished_time else None,
        }


@dataclass
class _Pending:
    door_id: str
    locked: bool
    sent_time: datetime
    future: asyncio.Future[Reply]


TransportFactory = Callable[[DoorRoute], DoorTransport | None]


class DoorController:
    """Locks and unlocks doors over their routes and records every command."""

    def __init__(
        self,
        site: Site,
        bus: Bus,
        engine: Any,
        audit: AuditLog,
        *,
        broker: Broker | None = None,
        transport_for: TransportFactory | None = None,
        clock: Callable[[], datetime] = _utcnow,
    ) -> None:
        self._site = site
        self._bus = bus
        self._engine = engine
        self._audit = audit
        self._broker = broker
        self._transport_for = transport_for or self._default_transport
        self._clock = clock
        self._pending: dict[str, _Pending] = {}
        self.http = SharedHttpClient()

    async def close(self) -> None:
        """Close the HTTP client of the controllers reached over HTTP."""
        await self.http.close()

    def check_door(self, door_id: str) -> None:
        """``KeyError`` naming the site when it has no door ``door_id``."""
        self._site.door(door_id)

    def attach(self) -> None:
        self._bus.subscribe("door-commands", self.handle, kinds={"door_state"})

    async def handle(self, event: EventBase) -> None:
        """A door reporting its lock state confirms the commands waiting for that state."""
        if not isinstance(event, DoorState) or event.locked is None:
            return
        seen = event.received_time or event.site_time
        for pending in list(self._pending.values()):
            if (
                pending.door_id == event.door_id
                and pending.locked == event.locked
                and seen >= pending.sent_time
                and not pending.future.done()
            ):
                state = "locked" if event.locked else "unlocked"
                pending.future.set_result(Reply(state, f"door_state {event.id}", "door_state"))

    async def lock(
        self,
        door_id: str,
        actor: str,
        reason: str,
        incident_id: str | None = None,
        *,
        override: bool = False,
    ) -> CommandResult:
        return await self.send(door_id, "lock", actor, reason, incident_id, override=override)

    async def unlock(
        self,
        door_id: str,
        actor: str,
        reason: str,
        incident_id: str | None = None,
        *,
        override: bool = False,
    ) -> CommandResult:
        return await self.send(door_id, "unlock", actor, reason, incident_id, override=override)

    async def send(
        self,
        door_id: str,
        command: Command,
        actor: str,
        reason: str,
        incident_id: str | None = None,
        *,
        override: bool = False,
    ) -> CommandResult:
        """Send ``command`` to the door and wait for the outcome (at most the door's timeout).

        Raises ``KeyError`` for a door the site does not have; everything else is an outcome.
        """
        door = self._site.door(door_id)
        if not reason.strip():
            raise ValueError("a door command needs a reason")
        control = self._site.door_control
        route = control.route(door_id)
        command_id = new_id()
        result = CommandResult(command_id, door_id, command, "no_route", "", "none")
        result.sent_time = self._clock()
        transport = None if route is None or door.lock is None else self._transport_for(route)
        if door.lock is None:
            result.detail = f"door {door_id!r} has no lock in the site file (doors[].lock)"
        elif route is None:
            result.detail = (
                f"door {door_id!r} has no command route (door_control.doors or "
                "door_control.default in the site file)"
            )
        elif transport is None:
            result.detail = (
                "the route is MQTT but artguard has no broker (set ARTGUARD_BUS_URL or "
                "ARTGUARD_MQTT_INGEST_URL)"
            )
        row = {
            "id": command_id,
            "door_id": door_id,
            "command": command,
            "actor": actor,
            "reason": reason,
            "override": override,
            "incident_id": incident_id,
            "transport": transport.name if transport else "none",
            "status": "pending" if transport else "no_route",
            "detail": None if transport else result.detail,
            "sent_time": result.sent_time,
        }
        await asyncio.to_thread(records.add_command, self._engine, row)
        if transport is not None:
            result.transport = transport.name
            payload = {
                "command_id": command_id,
                "door_id": door_id,
                "lock_id": door.lock,
                "command": command,
                "actor": actor,
                "reason": reason,
                "incident_id": incident_id,
                "override": override,
                "reply_to": ack_topic(self._site.id, door_id),
                "sent_time": result.sent_time.isoformat(),
            }
            timeout_s = control.timeout_for(door_id).total_seconds()
            await self._exchange(result, transport, payload, timeout_s)
        result.finished_time = self._clock()
        await self._record(result, row)
        return result

    async def _exchange(
        self,
        result: CommandResult,
        transport: DoorTransport,
        payload: dict[str, Any],
        timeout_s: float,
    ) -> None:
        """Send, then wait for the controller's reply or a matching door_state, whichever
        comes first, up to ``timeout_s``."""
        want = "locked" if result.command == "lock" else "unlocked"
        future: asyncio.Future[Reply] = asyncio.get_running_loop().create_future()
        self._pending[result.command_id] = _Pending(
            result.door_id, want == "locked", result.sent_time, future
        )
        sending = asyncio.create_task(
            transport.send(result.door_id, payload, timeout_s), name="door-command"
        )
        try:
            async with asyncio.timeout(timeout_s):
                done, _ = await asyncio.wait({sending, future}, return_when="FIRST_COMPLETED")
                if sending in done:
                    reply = sending.result()  # raises when the command could not be sent
                    if reply is None or reply.status == "accepted":
                        reply = await future  # accepted: the door_state must confirm it
                else:
                    reply = future.result()
            _judge(result, reply, want)
        except TimeoutError:
            result.status = "timeout"
            result.detail = f"no confirmation within {timeout_s:g} s"
        except Exception as exc:
            result.status = "failed"
            result.detail = f"{type(exc).__name__}: {exc}"[:500]
        finally:
            self._pending.pop(result.command_id, None)
            if not sending.done():
                await cancel_and_wait(sending)
            elif not sending.cancelled():
                sending.exception()  # retrieved: the outcome is already recorded

    async def _record(self, result: CommandResult, row: dict[str, Any]) -> None:
        values = {
            "status": result.status,
            "detail": result.detail,
            "confirmed_by": result.confirmed_by,
            "finished_time": result.finished_time,
        }
        await asyncio.to_thread(records.finish_command, self._engine, result.command_id, values)
        override = bool(row["override"])
        details = {**result.as_dict(), **{k: row[k] for k in ("reason", "override", "incident_id")}}
        action = "door.override" if override else "door.command"
        await asyncio.to_thread(self._audit.append, row["actor"], action, result.door_id, details)
        now = result.finished_time or self._clock()
        await self._bus.publish(
            OperatorAction(
                device_id="doors",
                site_time=now,
                received_time=now,
                actor=row["actor"][:128],
                action=f"door.{result.command}",
                target_id=result.door_id,
                note=f"{result.status}: {result.detail}"[:2000],
            )
        )
        if result.status in NOT_CONFIRMED:
            log.warning(
                "door %s: %s %s (%s)", result.door_id, result.command, result.status, result.detail
            )
            await self._bus.publish(self._supervisor_notice(result, row))

    def _supervisor_notice(self, result: CommandResult, row: dict[str, Any]) -> Notification:
        door = self._site.door(result.door_id)
        now = result.finished_time or self._clock()
        return Notification(
            device_id="doors",
            site_time=now,
            received_time=now,
            audience="supervisor",
            subject=f"{door.name}: {result.command} not confirmed ({result.status})"[:200],
            body=(
                f"The {result.command} command to {door.name} ({door.id}) asked by "
                f"{row['actor']} ended {result.status}: {result.detail}. Reason given: "
                f"{row['reason']}. Check the door on site."
            )[:4000],
            severity=Severity.high,
            incident_id=row["incident_id"],
            reason=f"door command {result.command_id} {result.status}",
        )

    def _default_transport(self, route: DoorRoute) -> DoorTransport | None:
        if route.transport == "http" and route.url is not None:
            return HttpDoorTransport(route.url, self.http)
        if route.transport == "mqtt" and self._broker is not None:
            return MqttDoorTransport(self._broker, self._site.id)
        return None


def _judge(result: CommandResult, reply: Reply, want: str) -> None:
    result.confirmed_by = reply.by
    if reply.status == want:
        result.status = "confirmed"
        result.detail = reply.detail or f"{want} ({reply.by})"
    elif reply.status == "rejected":
        result.status = "rejected"
        result.detail = reply.detail or "the door controller refused the command"
    else:
        result.status = "rejected"
        result.detail = f"the door reported {reply.status!r}, not {want!r}" + (
            f": {reply.detail}" if reply.detail else ""
        )


async def run_all(calls: list[Awaitable[CommandResult]]) -> list[CommandResult]:
    """Send several commands at once (locking a room's doors takes one timeout, not one per
    door)."""
    return list(await asyncio.gather(*calls))
