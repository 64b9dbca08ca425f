"""A scriptable MQTT v5 broker stand-in, for what a stock Mosquitto cannot be made to do in a test.

It answers CONNECT with the CONNACK reason code and properties it is given, grants every
subscription, and answers each QoS 1 PUBLISH with a PUBACK carrying ``puback_code``, after
``puback_delay_s``, echoing it back when ``echo`` is set. It records what it received and the
most QoS 1 publishes that were ever awaiting a PUBACK at once."""

from __future__ import annotations

import asyncio
import contextlib

from artguard.bus import mqtt_protocol as mp


class FakeBroker:
    def __init__(
        self,
        *,
        receive_maximum: int | None = None,
        server_keep_alive: int | None = None,
        puback_code: int = 0,
        puback_delay_s: float = 0.0,
        answer_pings: bool = True,
        echo: bool = False,
        connack_code: int = 0,
    ) -> None:
        self.receive_maximum = receive_maximum
        self.server_keep_alive = server_keep_alive
        self.puback_code = puback_code
        self.puback_delay_s = puback_delay_s
        self.answer_pings = answer_pings
        self.echo = echo
        self.connack_code = connack_code
        self.credentials: list[bytes] = []
        self.published: list[mp.Message] = []
        self.connects = 0
        self.pings = 0
        self.unacknowledged = 0
        self.max_unacknowledged = 0
        self.port = 0
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    async def start(self) -> int:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self.port

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        try:
            while True:
                first, body = await read_packet(reader)
                kind = first & 0xF0
                if kind == mp.CONNECT:
                    self.connects += 1
                    self.credentials.append(body)
                    writer.write(self._connack())
                elif kind == mp.SUBSCRIBE:
                    granted = bytes(1 for _ in range(_count_filters(body)))
                    writer.write(mp.packet(mp.SUBACK, body[:2] + b"\x00" + granted))
                elif kind == mp.PUBLISH:
                    message = mp.parse_publish(first, body)
                    self.published.append(message)
                    self.unacknowledged += 1
                    self.max_unacknowledged = max(self.max_unacknowledged, self.unacknowledged)
                    ack = asyncio.create_task(self._puback(writer, message, first, body))
                    self._tasks.add(ack)
                    ack.add_done_callback(self._tasks.discard)
                elif kind == mp.PINGREQ:
                    self.pings += 1
                    if self.answer_pings:
                        writer.write(bytes((mp.PINGRESP, 0)))
                elif kind == mp.DISCONNECT:
                    break
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            self._tasks.discard(task)
            writer.close()

    def _connack(self) -> bytes:
        props = b""
        if self.receive_maximum is not None:
            props += bytes((mp.PROP_RECEIVE_MAXIMUM,)) + self.receive_maximum.to_bytes(2, "big")
        if self.server_keep_alive is not None:
            props += bytes((mp.PROP_SERVER_KEEP_ALIVE,))
            props += self.server_keep_alive.to_bytes(2, "big")
        code = bytes((self.connack_code,))
        return mp.packet(mp.CONNACK, b"\x00" + code + mp.varint(len(props)) + props)

    async def _puback(
        self, writer: asyncio.StreamWriter, message: mp.Message, first: int, body: bytes
    ) -> None:
        if self.puback_delay_s:
            await asyncio.sleep(self.puback_delay_s)
        self.unacknowledged -= 1
        with contextlib.suppress(ConnectionError):
            writer.write(bytes((mp.PUBACK, 3)) + message.mid.to_bytes(2, "big"))
            writer.write(bytes((self.puback_code,)))
            if self.echo and self.puback_code < 0x80:
                writer.write(mp.packet(first, body))  # same packet id: fine for a test


async def read_packet(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    first = (await reader.readexactly(1))[0]
    length, shift = 0, 0
    while True:
        byte = (await reader.readexactly(1))[0]
        length |= (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            break
    return first, await reader.readexactly(length)


def _count_filters(body: bytes) -> int:
    _, _, pos = mp.read_properties(body, 2, len(body))
    count = 0
    while pos < len(body):
        size = int.from_bytes(body[pos : pos + 2], "big")
        pos += 2 + size + 1
        count += 1
    return count
