"""Admission to every intake route: a cap on requests in flight, and backpressure on queue depth.

Applied by the web app to each adapter's POST routes (the generic webhook, Meta's, Discourse's...),
so every platform gets the same answer when the service is busy: 503 with a JSON error and
`Retry-After`, which webhook platforms retry. Verification challenges (GET) are not gated.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence

from aiohttp import web

from bot.core.intake_limits import IntakeGate
from bot.core.models import InboundMessage
from bot.web.errors import store_down, unavailable

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
Ingest = Callable[[Sequence[InboundMessage]], Awaitable[list[bool]]]


def admitted(handler: Handler, gate: IntakeGate) -> Handler:
    """`handler` behind the gate: refused at once when too many requests are in flight or the
    queue is full, before its body is read."""

    async def handle(request: web.Request) -> web.StreamResponse:
        if not gate.enter():
            return unavailable("too many intake requests in flight", gate.settings.retry_after_s)
        try:
            if await _queue_full(gate):
                return unavailable(
                    "queue is full: intake paused until it drains", gate.settings.retry_after_s
                )
            return await handler(request)
        finally:
            gate.leave()

    return handle


async def _queue_full(gate: IntakeGate) -> bool:
    """The depth check; while the store is down the depth is unknown and the request goes on, so
    a bad signature or body still gets its 4xx, and a good one its 503 when the enqueue fails."""
    try:
        return await gate.queue_full()
    except store_down():
        return False


def counted(ingest: Ingest, gate: IntakeGate) -> Ingest:
    """The intake sink, telling the gate what it accepted (its depth estimate between reads)."""

    async def sink(messages: Sequence[InboundMessage]) -> list[bool]:
        fresh = await ingest(messages)
        gate.accepted(sum(fresh))
        return fresh

    return sink
