"""A lean MQTT v5 client connection on asyncio, for the MQTT bus's hot path.

The bus moves thousands of small QoS 1 messages a second through the broker and back. Through
aiomqtt and paho each one cost about a millisecond of CPU: paho reads every packet with several
one-byte ``recv`` calls and builds ``Properties`` and ``ReasonCode`` objects for every PUBLISH
and PUBACK, and aiomqtt adds an ``asyncio.Event``, a ``wait_for`` task and a hop through its
message queue per message. This module speaks the few parts of MQTT v5 the bus needs directly:

* CONNECT / CONNACK (session expiry, Receive Maximum, username and password; refusals raise);
* SUBSCRIBE / SUBACK at QoS 1;
* PUBLISH at QoS 1 with user properties, up to the broker's Receive Maximum unacknowledged
  (MQTT v5 3.3.4: a client must not exceed it), each PUBACK reported to ``on_puback``;
* incoming PUBLISH (QoS 0 or 1) handed to ``on_message`` as they are parsed, and acknowledged
  only once that has returned (a message whose handling raised, or that was still unread when
  the connection died, is not acknowledged, so the broker delivers it again);
* PINGREQ / PINGRESP keepalive, DISCONNECT both ways.

Every packet that arrives in one read is parsed and handled in that read's callback, and every
packet written while handling it goes out in one ``write`` (so one system call carries many
PUBACKs and PUBLISHes), which is where the speed comes from. There is no state beyond one
connection: the bus builds a new connection per attempt and keeps its own outbox.

We ask the broker for up to 65 535 unacknowledged messages (CONNECT Receive Maximum). Stock
Mosquitto otherwise keeps only ``max_inflight_messages`` (20) in flight to a client and queues
at most ``max_queued_messages`` (1 000) behind them, dropping QoS 1 messages beyond that; with
a large window, a client that keeps reading is not limited by the queue.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import struct
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

log = logging.getLogger(__name__)

T = TypeVar("T")

CONNECT, CONNACK, PUBLISH, PUBACK = 0x10, 0x20, 0x30, 0x40
PUBREC, PUBREL, PUBCOMP = 0x50, 0x60, 0x70
SUBSCRIBE, SUBACK, UNSUBSCRIBE, UNSUBACK = 0x80, 0x90, 0xA0, 0xB0
PINGREQ, PINGRESP, DISCONNECT, AUTH = 0xC0, 0xD0, 0xE0, 0xF0

PROP_SESSION_EXPIRY = 0x11
PROP_SERVER_KEEP_ALIVE = 0x13
PROP_REASON_STRING = 0x1F
PROP_RECEIVE_MAXIMUM = 0x21
PROP_MAXIMUM_PACKET_SIZE = 0x27
PROP_USER = 0x26

RECEIVE_MAXIMUM = 65_535
"""What we let the broker have in flight to us (the most MQTT allows)."""

# MQTT v5 2.2.2.2: the type of each property, needed to step over those we do not use.
_BYTE, _INT2, _INT4, _VARINT, _UTF8, _BINARY, _PAIR = range(7)
_PROPERTY_TYPES = {
    0x01: _BYTE,
    0x02: _INT4,
    0x03: _UTF8,
    0x08: _UTF8,
    0x09: _BINARY,
    0x0B: _VARINT,
    0x11: _INT4,
    0x12: _UTF8,
    0x13: _INT2,
    0x15: _UTF8,
    0x16: _BINARY,
    0x17: _BYTE,
    0x18: _INT4,
    0x19: _BYTE,
    0x1A: _UTF8,
    0x1C: _UTF8,
    0x1F: _UTF8,
    0x21: _INT2,
    0x22: _INT2,
    0x23: _INT2,
    0x24: _BYTE,
    0x25: _BYTE,
    0x26: _PAIR,
    0x27: _INT4,
    0x28: _BYTE,
    0x29: _BYTE,
    0x2A: _BYTE,
}

_SIZES = {_BYTE: 1, _INT2: 2, _INT4: 4, _BINARY: 2}

_PUBACK = struct.Struct(">BBH")
_U16 = struct.Struct(">H")
_U32 = struct.Struct(">I")
_PINGREQ = bytes([PINGREQ, 0])
_DISCONNECT = bytes([DISCONNECT, 0])  # reason 0: normal; the session is kept as agreed


Buffer = bytes | bytearray


class MqttError(Exception):
    """The broker refused something, broke the protocol, or the connection is gone."""


class MalformedPacket(MqttError):
    """Bytes from the broker that are not a valid MQTT v5 packet."""


# -- encoding --------------------------------------------------------------------------------


def varint(value: int) -> bytes:
    """MQTT's variable byte integer (1 to 4 bytes)."""
    if value < 128:
        return bytes((value,))
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def utf8(text: str) -> bytes:
    """A length-prefixed UTF-8 string."""
    data = text.encode()
    return _U16.pack(len(data)) + data


def binary(data: bytes) -> bytes:
    return _U16.pack(len(data)) + data


def user_properties(pairs: Sequence[tuple[str, str]]) -> bytes:
    """The property block (with its length) carrying ``pairs`` as MQTT v5 user properties."""
    body = b"".join(bytes((PROP_USER,)) + utf8(k) + utf8(v) for k, v in pairs)
    return varint(len(body)) + body


def packet(first: int, body: bytes) -> bytes:
    return bytes((first,)) + varint(len(body)) + body


def connect_packet(
    client_id: str,
    *,
    clean_start: bool,
    keepalive_s: int,
    session_expiry_s: int,
    receive_maximum: int = RECEIVE_MAXIMUM,
    username: str | None = None,
    password: str | None = None,
) -> bytes:
    flags = (0x02 if clean_start else 0) | (0x80 if username is not None else 0)
    flags |= 0x40 if password is not None else 0
    props = (
        bytes((PROP_SESSION_EXPIRY,))
        + _U32.pack(session_expiry_s)
        + bytes((PROP_RECEIVE_MAXIMUM,))
        + _U16.pack(receive_maximum)
    )
    body = utf8("MQTT") + bytes((5, flags)) + _U16.pack(keepalive_s) + varint(len(props)) + props
    body += utf8(client_id)
    if username is not None:
        body += utf8(username)
    if password is not None:
        body += binary(password.encode())
    return packet(CONNECT, body)


def subscribe_packet(mid: int, filters: Sequence[str], qos: int = 1) -> bytes:
    # Options byte: QoS only; No Local off (the bus wants its own events back), Retain As
    # Published off, Retain Handling 0.
    body = _U16.pack(mid) + b"\x00" + b"".join(utf8(f) + bytes((qos,)) for f in filters)
    return packet(SUBSCRIBE | 0x02, body)


def publish_packet(mid: int, topic: bytes, properties: bytes, payload: bytes) -> bytes:
    """A QoS 1 PUBLISH; ``topic`` is length-prefixed, ``properties`` include their length."""
    length = len(topic) + 2 + len(properties) + len(payload)
    return b"".join((b"\x32", varint(length), topic, _U16.pack(mid), properties, payload))


# -- decoding --------------------------------------------------------------------------------


@dataclass(slots=True)
class Message:
    """An incoming PUBLISH."""

    topic: str
    payload: bytes
    qos: int = 0
    mid: int = 0
    retain: bool = False
    dup: bool = False
    user_properties: list[tuple[str, str]] = field(default_factory=list)


def read_varint(data: Buffer, pos: int) -> tuple[int, int]:
    """The variable byte integer at ``pos`` and the position after it."""
    value = 0
    shift = 0
    while True:
        if pos >= len(data):
            raise MalformedPacket("truncated variable byte integer")
        byte = data[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return value, pos
        shift += 7
        if shift > 21:
            raise MalformedPacket("variable byte integer longer than 4 bytes")


def _read_utf8(data: Buffer, pos: int, end: int) -> tuple[str, int]:
    if pos + 2 > end:
        raise MalformedPacket("truncated string")
    size = (data[pos] << 8) | data[pos + 1]
    pos += 2
    if pos + size > end:
        raise MalformedPacket("truncated string")
    try:
        return data[pos : pos + size].decode(), pos + size
    except UnicodeDecodeError:
        raise MalformedPacket("invalid UTF-8 string") from None


def read_properties(
    data: Buffer, pos: int, end: int
) -> tuple[dict[int, Any], list[tuple[str, str]], int]:
    """The property block at ``pos``: other properties by id, user properties, next position."""
    size, pos = read_varint(data, pos)
    stop = pos + size
    if stop > end:
        raise MalformedPacket("properties run past the packet")
    props: dict[int, Any] = {}
    users: list[tuple[str, str]] = []
    while pos < stop:
        ident = data[pos]
        pos += 1
        kind = _PROPERTY_TYPES.get(ident)
        if kind in _SIZES and pos + _SIZES[kind] > stop:
            raise MalformedPacket("truncated property")
        value: Any
        if kind == _PAIR:
            key, pos = _read_utf8(data, pos, stop)
            value, pos = _read_utf8(data, pos, stop)
            users.append((key, value))
            continue
        if kind == _BYTE:
            value, pos = data[pos], pos + 1
        elif kind == _INT2:
            value, pos = (data[pos] << 8) | data[pos + 1], pos + 2
        elif kind == _INT4:
            value, pos = _U32.unpack_from(data, pos)[0], pos + 4
        elif kind == _VARINT:
            value, pos = read_varint(data, pos)
        elif kind == _UTF8:
            value, pos = _read_utf8(data, pos, stop)
        elif kind == _BINARY:
            length = (data[pos] << 8) | data[pos + 1]
            value, pos = bytes(data[pos + 2 : pos + 2 + length]), pos + 2 + length
            if pos > stop:
                raise MalformedPacket("truncated property")
        else:
            raise MalformedPacket(f"unknown property 0x{ident:02x}")
        props[ident] = value
    if pos != stop:
        raise MalformedPacket("properties run past their length")
    return props, users, stop


def parse_publish(first: int, data: Buffer) -> Message:
    """The PUBLISH packet ``data`` (everything after the fixed header)."""
    qos = (first >> 1) & 0x03
    if qos == 3:
        raise MalformedPacket("PUBLISH with QoS 3")
    end = len(data)
    topic, pos = _read_utf8(data, 0, end)
    mid = 0
    if qos:
        if pos + 2 > end:
            raise MalformedPacket("truncated PUBLISH")
        mid = (data[pos] << 8) | data[pos + 1]
        pos += 2
    if pos >= end:
        raise MalformedPacket("PUBLISH without a property length")
    if data[pos] == 0:  # no properties
        users: list[tuple[str, str]] = []
        pos += 1
    else:
        users, pos = _publish_properties(data, pos, end)
    return Message(
        topic, bytes(data[pos:]), qos, mid, bool(first & 0x01), bool(first & 0x08), users
    )


def _publish_properties(data: Buffer, start: int, end: int) -> tuple[list[tuple[str, str]], int]:
    """The user properties of the block at ``start`` and the position after it.

    A fast path for what the bus sends (a short block of user properties only); anything else
    goes through :func:`read_properties`.
    """
    size = data[start]
    pos, stop = start + 1, start + 1 + size
    users: list[tuple[str, str]] = []
    if size < 0x80 and stop <= end:
        try:
            while pos < stop and data[pos] == PROP_USER:
                key = pos + 3
                value = key + ((data[pos + 1] << 8) | data[pos + 2]) + 2
                pos = value + ((data[value - 2] << 8) | data[value - 1])
                if pos > stop:
                    break
                users.append((data[key : value - 2].decode(), data[value:pos].decode()))
            if pos == stop:
                return users, stop
        except (IndexError, UnicodeDecodeError):
            pass  # the general parser says what is wrong
    _, users, pos = read_properties(data, start, end)
    return users, pos


REASONS = {
    0x80: "unspecified error",
    0x81: "malformed packet",
    0x82: "protocol error",
    0x83: "implementation specific error",
    0x84: "unsupported protocol version",
    0x85: "client identifier not valid",
    0x86: "bad user name or password",
    0x87: "not authorized",
    0x88: "server unavailable",
    0x89: "server busy",
    0x8A: "banned",
    0x8B: "server shutting down",
    0x8D: "keep alive timeout",
    0x8E: "session taken over",
    0x8F: "topic filter invalid",
    0x90: "topic name invalid",
    0x93: "receive maximum exceeded",
    0x95: "packet too large",
    0x97: "quota exceeded",
    0x99: "payload format invalid",
    0x9C: "use another server",
    0x9D: "server moved",
    0x9F: "connection rate exceeded",
}


def reason(code: int) -> str:
    return f"{REASONS.get(code, 'reason')} (0x{code:02x})"


# -- the connection --------------------------------------------------------------------------


class MqttConnection(asyncio.Protocol, Generic[T]):
    """One MQTT v5 connection; ``async with`` connects (CONNACK received) and disconnects.

    ``on_message(message)`` is called for each incoming PUBLISH as it is parsed (and the
    message is acknowledged when it returns), ``on_puback(token, reason_code)`` for each
    answered :meth:`publish`, and ``on_read_done()`` after all packets of one read were
    handled: the place to act once per batch; ``on_writable()`` when the transport takes
    writes again after :attr:`writing_paused`. An exception from a callback ends the connection
    (:attr:`lost` says why).
    """

    def __init__(
        self,
        host: str,
        port: int,
        client_id: str,
        *,
        clean_start: bool,
        session_expiry_s: int,
        keepalive_s: int,
        on_message: Callable[[Message], None],
        on_puback: Callable[[T, int], None],
        on_read_done: Callable[[], None] = lambda: None,
        on_writable: Callable[[], None] = lambda: None,
        timeout_s: float = 10.0,
        max_inflight: int = RECEIVE_MAXIMUM,
        username: str | None = None,
        password: str | None = None,
    ) -> None:
        self._address = (host, port)
        self._connect = connect_packet(
            client_id,
            clean_start=clean_start,
            keepalive_s=keepalive_s,
            session_expiry_s=session_expiry_s,
            username=username,
            password=password,
        )
        self._keepalive_s = keepalive_s
        self._timeout_s = timeout_s
        self._max_inflight = max_inflight
        self.on_message = on_message
        self.on_puback = on_puback
        self.on_read_done = on_read_done
        self.on_writable = on_writable

        self._loop = asyncio.get_running_loop()
        self._transport: asyncio.Transport | None = None
        self._buffer = bytearray()
        self._out: list[bytes] = []
        self._flush_scheduled = False
        self._can_write = asyncio.Event()
        self._can_write.set()
        self._connack: asyncio.Future[tuple[bool, dict[int, Any]]] = self._loop.create_future()
        self._subacks: dict[int, asyncio.Future[bytes]] = {}
        self._inflight: dict[int, T] = {}
        self._next_mid = 0
        self._receive_maximum = RECEIVE_MAXIMUM
        self._maximum_packet_size = 0
        self._ping_sent: float | None = None
        self._keepalive_task: asyncio.Task[None] | None = None
        self.session_present = False
        self._closed = asyncio.Event()
        self.lost: asyncio.Future[None] = self._loop.create_future()
        """Done when the connection is gone; its exception (an ``MqttError``) says why."""
        self.last_received = time.monotonic()

    # -- lifecycle ---------------------------------------------------------------------------

    async def __aenter__(self) -> MqttConnection[T]:
        await self.connect()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.disconnect()

    async def connect(self) -> None:
        try:
            await asyncio.wait_for(self._connect_and_wait(), self._timeout_s)
        except TimeoutError:
            self.abort()
            raise MqttError("no CONNACK from the broker in time") from None
        except OSError as exc:
            raise MqttError(
                f"cannot connect to {self._address[0]}:{self._address[1]}: {exc}"
            ) from exc

    async def _connect_and_wait(self) -> None:
        await self._loop.create_connection(lambda: self, *self._address)
        self._send(self._connect)
        session_present, props = await asyncio.shield(self._connack)
        self.session_present = session_present
        self._receive_maximum = props.get(PROP_RECEIVE_MAXIMUM, RECEIVE_MAXIMUM)
        self._maximum_packet_size = props.get(PROP_MAXIMUM_PACKET_SIZE, 0)
        keepalive = props.get(PROP_SERVER_KEEP_ALIVE, self._keepalive_s)
        if keepalive:
            self._keepalive_task = self._loop.create_task(self._keep_alive(keepalive))

    async def disconnect(self) -> None:
        """Say goodbye (the session stays, as agreed at CONNECT) and close."""
        if self._transport is not None and not self.lost.done():
            self._send(_DISCONNECT)
            self.flush()
            transport = self._transport
            self._fail(MqttError("connection closed"))
            transport.close()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._closed.wait(), self._timeout_s)
        self.abort()

    def abort(self) -> None:
        """Drop the connection at once (no DISCONNECT)."""
        if self._transport is not None:
            self._transport.abort()
        self._fail(MqttError("connection closed"))

    @property
    def send_quota(self) -> int:
        """How many more QoS 1 messages may be published before a PUBACK comes back."""
        return min(self._receive_maximum, self._max_inflight) - len(self._inflight)

    @property
    def receive_maximum(self) -> int:
        """The broker's Receive Maximum (from CONNACK; 65 535 if it gave none)."""
        return self._receive_maximum

    @property
    def writing_paused(self) -> bool:
        """The transport's write buffer is above its high-water mark: hold back publishes."""
        return not self._can_write.is_set()

    async def writable(self) -> None:
        """Until the transport's write buffer is below its high-water mark again."""
        await self._can_write.wait()
        if self.lost.done():
            self.lost.result()  # raises why

    # -- requests ----------------------------------------------------------------------------

    async def subscribe(self, filters: Sequence[str], qos: int = 1) -> list[int]:
        """Subscribe; the broker's reason code per filter (0-2: granted QoS, >= 0x80 refused)."""
        mid = self._new_mid()
        future: asyncio.Future[bytes] = self._loop.create_future()
        self._subacks[mid] = future
        self._send(subscribe_packet(mid, filters, qos))
        self.flush()
        try:
            codes = await asyncio.wait_for(asyncio.shield(future), self._timeout_s)
        except TimeoutError:
            raise MqttError("no SUBACK from the broker in time") from None
        finally:
            self._subacks.pop(mid, None)
        return list(codes)

    def publish(self, token: T, topic: bytes, properties: bytes, payload: bytes) -> bool:
        """Send a QoS 1 PUBLISH (buffered until :meth:`flush` or the end of this loop step).

        ``topic`` is the length-prefixed topic name and ``properties`` the property block with
        its length (see :func:`utf8`, :func:`user_properties`). ``on_puback(token, code)``
        reports the broker's answer. False, sending nothing, when the message is larger than
        the broker accepts (CONNACK Maximum Packet Size).
        """
        if self.lost.done():
            self.lost.result()
        mid = self._new_mid()
        data = publish_packet(mid, topic, properties, payload)
        if self._maximum_packet_size and len(data) > self._maximum_packet_size:
            return False
        self._inflight[mid] = token
        self._send(data)
        return True

    def flush(self) -> None:
        """Write everything buffered, in one go."""
        self._flush_scheduled = False
        if not self._out:
            return
        data = self._out[0] if len(self._out) == 1 else b"".join(self._out)
        self._out.clear()
        if self._transport is not None and not self._transport.is_closing():
            self._transport.write(data)

    def _send(self, data: bytes) -> None:
        self._out.append(data)
        if not self._flush_scheduled:
            self._flush_scheduled = True
            self._loop.call_soon(self.flush)

    def _new_mid(self) -> int:
        for _ in range(65_535):
            self._next_mid = self._next_mid % 65_535 + 1
            if self._next_mid not in self._inflight and self._next_mid not in self._subacks:
                return self._next_mid
        raise MqttError("no free packet identifier")  # pragma: no cover - quota prevents it

    async def _keep_alive(self, interval_s: int) -> None:
        while True:
            await asyncio.sleep(interval_s / 2)
            now = time.monotonic()
            if self._ping_sent is not None and now - self._ping_sent > interval_s:
                self._fail(MqttError(f"no answer from the broker for {interval_s} s"))
                if self._transport is not None:
                    self._transport.abort()
                return
            if self._ping_sent is None:
                self._ping_sent = now
                self._send(_PINGREQ)

    # -- asyncio.Protocol --------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self._transport = transport

    def connection_lost(self, exc: Exception | None) -> None:
        why = f"connection lost: {exc}" if exc else "connection closed by the broker"
        self._fail(MqttError(why))
        self._transport = None
        self._closed.set()

    def pause_writing(self) -> None:
        self._can_write.clear()

    def resume_writing(self) -> None:
        self._can_write.set()
        try:
            self.on_writable()
        except Exception as exc:
            log.exception("MQTT connection: on_writable failed")
            self._fail(MqttError(f"{exc!r}"))
            if self._transport is not None:
                self._transport.abort()

    def data_received(self, data: bytes) -> None:
        self.last_received = time.monotonic()
        buffer = self._buffer
        if buffer:
            buffer += data
            view: Buffer = buffer
        else:
            view = data
        size = len(view)
        pos = 0
        try:
            while size - pos >= 2:
                first = view[pos]
                length, start = read_varint_partial(view, pos + 1)
                if start < 0:
                    break  # the length itself is not complete yet
                end = start + length
                if end > size:
                    break
                self._handle(first, view[start:end])
                pos = end
            self.on_read_done()
        except Exception as exc:
            if not isinstance(exc, MqttError):
                log.exception("MQTT connection: failed handling what the broker sent")
            self._fail(exc if isinstance(exc, MqttError) else MqttError(f"{exc!r}"))
            self.flush()  # best effort: the PUBACKs of what was handled before the failure
            if self._transport is not None:
                self._transport.abort()
            return
        finally:
            if view is buffer:
                del buffer[:pos]
            elif pos < size:
                buffer += view[pos:]
        self.flush()

    # -- packets -----------------------------------------------------------------------------

    def _handle(self, first: int, body: Buffer) -> None:
        kind = first & 0xF0
        if kind == PUBLISH:
            message = parse_publish(first, body)
            self.on_message(message)
            if message.qos:  # only now: the owner has taken it (manual acknowledgement)
                self._send(_PUBACK.pack(PUBACK, 2, message.mid))
        elif kind == PUBACK:
            if len(body) < 2:
                raise MalformedPacket("truncated PUBACK")
            mid = (body[0] << 8) | body[1]
            code = body[2] if len(body) > 2 else 0
            token = self._inflight.pop(mid, None)
            if token is None:
                log.debug("PUBACK for unknown packet id %d", mid)
            else:
                self.on_puback(token, code)
        elif kind == PINGRESP:
            self._ping_sent = None
        elif kind == SUBACK:
            if len(body) < 3:
                raise MalformedPacket("truncated SUBACK")
            mid = (body[0] << 8) | body[1]
            _, _, pos = read_properties(body, 2, len(body))
            future = self._subacks.get(mid)
            if future is not None and not future.done():
                future.set_result(bytes(body[pos:]))
        elif kind == CONNACK:
            self._handle_connack(body)
        elif kind == DISCONNECT:
            code = body[0] if body else 0
            props = read_properties(body, 1, len(body))[0] if len(body) > 1 else {}
            text = props.get(PROP_REASON_STRING)
            raise MqttError(
                f"the broker disconnected us: {reason(code)}" + (f": {text}" if text else "")
            )
        elif kind == UNSUBACK:
            pass
        else:
            raise MqttError(f"unexpected packet type 0x{kind:02x} from the broker")

    def _handle_connack(self, body: Buffer) -> None:
        if len(body) < 2:
            raise MalformedPacket("truncated CONNACK")
        code = body[1]
        props = read_properties(body, 2, len(body))[0] if len(body) > 2 else {}
        if code >= 0x80:
            text = props.get(PROP_REASON_STRING)
            raise MqttError(
                f"the broker refused the connection: {reason(code)}" + (f": {text}" if text else "")
            )
        if not self._connack.done():
            self._connack.set_result((bool(body[0] & 0x01), props))

    def _fail(self, exc: MqttError) -> None:
        if self.lost.done():
            return
        self.lost.set_exception(exc)
        self.lost.exception()  # retrieved: whoever cares awaits it
        futures: list[asyncio.Future[Any]] = [self._connack, *self._subacks.values()]
        for future in futures:
            if not future.done():
                future.set_exception(exc)
                future.exception()
        self._can_write.set()
        if self._keepalive_task is not None:
            self._keepalive_task.cancel()


def read_varint_partial(data: Buffer, pos: int) -> tuple[int, int]:
    """Like :func:`read_varint`, but ``(0, -1)`` when the bytes end before the integer does."""
    byte = data[pos] if pos < len(data) else -1
    if 0 <= byte < 0x80:  # fast path: packets up to 127 bytes
        return byte, pos + 1
    try:
        return read_varint(data, pos)
    except MalformedPacket:
        if len(data) - pos < 4:
            return 0, -1
        raise
