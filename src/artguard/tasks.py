"""Background asyncio tasks: stopping one the same way everywhere."""

from __future__ import annotations

import asyncio
import contextlib


async def cancel(task: asyncio.Task[object] | None) -> None:
    """Cancel ``task`` (if any) and wait until it has finished unwinding."""
    if task is None:
        return
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
