"""One HTTP client for an action service's outgoing calls (webhooks, door controllers).

A new ``httpx.AsyncClient`` builds a TLS context and loads the CA bundle: about 25 ms of CPU,
even for an ``http://`` URL, and synchronous. Built per call on the event loop, it stalled
every door request waiting behind it: with the demo's pager webhook down, each failed delivery
and its retry cost two such stalls, about half of the event loop's time stalled over 5 ms in
``bench/access.py`` at 500 requests/s. So each service keeps one client, built once in a
worker thread, and reuses it (keep-alive connections to the same pager or controller too).
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib

import httpx

_FIRST_USE_IMPORTS = ("httpcore._backends.anyio", "anyio._backends._asyncio")
"""Modules an ``httpx`` client imports on its first request (about 30, ~20 ms): imported with
the client, off the loop, so the first notification does not stall the doors either."""


class SharedHttpClient:
    """A lazily built, shared ``httpx.AsyncClient``; :meth:`close` it on the way down."""

    def __init__(self) -> None:
        self._client: httpx.AsyncClient | None = None
        self._building = asyncio.Lock()  # concurrent first calls wait for the one build

    async def get(self) -> httpx.AsyncClient:
        if self._client is None:
            async with self._building:
                if self._client is None:
                    self._client = await asyncio.to_thread(_build)
        return self._client

    async def close(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            await client.aclose()


def _build() -> httpx.AsyncClient:
    client = httpx.AsyncClient()
    for name in _FIRST_USE_IMPORTS:
        with contextlib.suppress(ImportError):  # internals of httpx's dependencies
            importlib.import_module(name)
    return client
