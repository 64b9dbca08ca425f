"""The live stream: bus events fanned out to WebSocket clients.

Each client has a bounded queue; a client too slow to keep up loses its oldest messages (and
is told how many), never slows the bus or other clients.
"""

from __future__ import annotations

import asyncio
import contextlib
import json

from fastapi import APIRouter, WebSocket, WebSocketDisconnect

from artguard.api.guard import principal_of
from artguard.bus import Bus
from artguard.events import EventBase, event_to_json

DEFAULT_KINDS = frozenset({"alert", "incident", "operator_action", "notification"})
STREAMABLE_KINDS = frozenset(
    {
        "alert",
        "incident",
        "operator_action",
        "access_attempt",
        "door_state",
        "sensor_reading",
        "camera_health",
        "artwork_view",
        "detection",
        "watch",
        "notification",
    }
)
CLIENT_QUEUE = 1000
KIND_PERMISSIONS = {
    "alert": "incidents.read",
    "incident": "incidents.read",
    "operator_action": "incidents.read",
    "access_attempt": "access.read",
    "door_state": "access.read",
    "sensor_reading": "site.read",
    "camera_health": "site.read",
    "artwork_view": "analytics.read",
    "detection": "analytics.read",
    "watch": "visitors.read",
    "notification": "incidents.read",
}
"""What the signed-in user needs to receive each kind (the route itself needs incidents.read)."""


class LiveHub:
    """Keeps the connected clients and hands each the events it asked for."""

    def __init__(self, bus: Bus) -> None:
        self._clients: dict[int, tuple[frozenset[str], asyncio.Queue[str]]] = {}
        self.dropped = 0
        bus.subscribe("live", self.handle, kinds=STREAMABLE_KINDS)

    @property
    def client_count(self) -> int:
        return len(self._clients)

    async def handle(self, event: EventBase) -> None:
        if not self._clients:
            return
        text = event_to_json(event)
        for kinds, queue in list(self._clients.values()):
            if event.kind not in kinds:
                continue
            if queue.full():
                queue.get_nowait()
                self.dropped += 1
            queue.put_nowait(text)

    async def serve(self, websocket: WebSocket, kinds: frozenset[str]) -> None:
        await websocket.accept()
        queue: asyncio.Queue[str] = asyncio.Queue(maxsize=CLIENT_QUEUE)
        key = id(websocket)
        self._clients[key] = (kinds, queue)
        await websocket.send_text(json.dumps({"kind": "hello", "streams": sorted(kinds)}))
        sender = asyncio.create_task(self._pump(websocket, queue))
        try:
            while True:  # we only read to notice the client going away
                await websocket.receive_text()
        except WebSocketDisconnect:
            pass
        finally:
            self._clients.pop(key, None)
            sender.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await sender

    @staticmethod
    async def _pump(websocket: WebSocket, queue: asyncio.Queue[str]) -> None:
        while True:
            await websocket.send_text(await queue.get())


def live_router(hub: LiveHub) -> APIRouter:
    router = APIRouter()

    @router.websocket("/api/stream")
    async def stream(websocket: WebSocket, kinds: str | None = None) -> None:
        """Live events as JSON text frames. ``?kinds=alert,incident`` picks the kinds."""
        wanted = DEFAULT_KINDS if not kinds else frozenset(k.strip() for k in kinds.split(","))
        unknown = wanted - STREAMABLE_KINDS
        if unknown:
            await websocket.close(code=1008, reason=f"unknown kinds: {', '.join(sorted(unknown))}")
            return
        principal = principal_of(websocket)
        barred = sorted(
            k
            for k in wanted
            if principal is None or not principal.can(KIND_PERMISSIONS.get(k, "-"))
        )
        if barred:
            await websocket.close(code=1008, reason=f"not permitted: {', '.join(barred)}")
            return
        await hub.serve(websocket, wanted)

    return router
