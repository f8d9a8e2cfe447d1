"""One way to run timed work: a tick every interval until a stop event, errors logged, never fatal.

The war-room's escalation and results loops, the KB folder poll and adapters' pollers all need the
same loop: run the tick, survive its errors (a failed tick is caught up by the next one), wait the
interval or until told to stop (or woken early), and stop promptly. Written once here.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

log = logging.getLogger(__name__)


async def run_every(
    interval_s: float,
    tick: Callable[[], Awaitable[object]],
    stop: asyncio.Event,
    *,
    name: str,
    first_tick_now: bool = True,
    wake: asyncio.Event | None = None,
) -> None:
    """Call `tick` every `interval_s` seconds until `stop` is set.

    With `first_tick_now=False` the loop waits one interval before the first tick (a poll of
    something that was just loaded). `wake`, when set by someone, cuts the wait short.
    """
    if not first_tick_now and await _wait(stop, wake, interval_s):
        return
    while not stop.is_set():
        try:
            await tick()
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("%s: tick failed; the next one retries", name)
        if await _wait(stop, wake, interval_s):
            return


async def _wait(stop: asyncio.Event, wake: asyncio.Event | None, timeout: float) -> bool:
    """Wait up to `timeout` for `stop` (True) or `wake` (False, and cleared)."""
    waiters = [asyncio.ensure_future(stop.wait())]
    if wake is not None:
        waiters.append(asyncio.ensure_future(wake.wait()))
    try:
        await asyncio.wait(waiters, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiter in waiters:
            waiter.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await waiter
    if wake is not None and wake.is_set():
        wake.clear()
    return stop.is_set()
