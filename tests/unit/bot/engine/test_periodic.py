"""The one periodic loop: survives failing ticks, stops promptly, can be woken early."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest

from bot.engine.periodic import run_every


async def test_a_failing_tick_does_not_end_the_loop(caplog: pytest.LogCaptureFixture) -> None:
    stop = asyncio.Event()
    calls: list[int] = []

    async def tick() -> None:
        calls.append(len(calls))
        if len(calls) == 1:
            raise RuntimeError("first tick breaks")
        if len(calls) == 3:
            stop.set()

    await asyncio.wait_for(run_every(0.001, tick, stop, name="test loop"), timeout=5)
    assert calls == [0, 1, 2]
    assert "test loop: tick failed" in caplog.text


async def test_stop_ends_the_wait_at_once() -> None:
    stop = asyncio.Event()
    ticked = asyncio.Event()

    async def tick() -> None:
        ticked.set()

    loop = asyncio.create_task(run_every(3600, tick, stop, name="hourly"))
    await asyncio.wait_for(ticked.wait(), timeout=5)
    stop.set()
    await asyncio.wait_for(loop, timeout=5)  # an hour's wait cut short


async def test_wake_cuts_the_wait_short_and_the_first_tick_can_wait() -> None:
    stop, wake = asyncio.Event(), asyncio.Event()
    calls: list[str] = []
    second = asyncio.Event()

    async def tick() -> None:
        calls.append("tick")
        if len(calls) == 2:
            second.set()

    loop = asyncio.create_task(run_every(3600, tick, stop, name="woken", first_tick_now=False, wake=wake))
    await asyncio.sleep(0)
    assert calls == []  # waits an interval before the first tick
    wake.set()
    await asyncio.wait_for(_until(lambda: calls == ["tick"]), timeout=5)
    wake.set()
    await asyncio.wait_for(second.wait(), timeout=5)
    stop.set()
    await asyncio.wait_for(loop, timeout=5)


async def _until(condition: Callable[[], bool]) -> None:
    while not condition():
        await asyncio.sleep(0.001)
