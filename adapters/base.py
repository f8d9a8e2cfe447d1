"""The adapter protocol: one per platform, the only code that speaks a platform's language.

An adapter is the edge of the service. Inbound, it turns what a platform delivers (a webhook
body, a page of a polled API, a raw e-mail) into canonical `InboundMessage`s with `translate`, a
pure function that the routes, the poller and `centinela replay --adapter` all share, and hands
them to the durable intake (`AdapterContext.sink`). Outbound, `send` publishes one outbox item
and reports failures with the exceptions below, so the publisher can tell "try later" from
"never" from "we cannot know". Adapters import only `bot.core`: nothing of the pipeline, store
or web app leaks into them, and they are listed in one registry (`adapters/registry.py`).
"""

from __future__ import annotations

import contextlib
import logging
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from aiohttp import web
from pydantic import BaseModel

from bot.core.models import Channel, InboundMessage, OutboxItem

log = logging.getLogger(__name__)

IntakeSink = Callable[[Sequence[InboundMessage]], Awaitable[list[bool]]]
Receipt = dict[str, Any]
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class DeliveryError(Exception):
    """Base of every delivery failure an adapter reports."""


class RateLimited(DeliveryError):
    """The platform said 429: wait `retry_after` seconds before trying again."""

    def __init__(self, retry_after: float, detail: str = "rate limited") -> None:
        super().__init__(detail)
        self.retry_after = retry_after


class TemporaryFailure(DeliveryError):
    """Nothing was published (5xx, connection refused): safe to retry with backoff."""


class PermanentFailure(DeliveryError):
    """The platform refused for good (deleted post, blocked user, bad request): do not retry."""


class OutcomeUnknown(DeliveryError):
    """The request may have been published (connection dropped after sending): a person checks."""


class WindowExpired(PermanentFailure):
    """The channel's messaging window is closed (Meta's 24 hours): a free-form reply may not go out.

    The item is marked and a person is told why; only an approved template or tag could reach the
    customer now.
    """


# What odd platform content raises inside a translator: a list where the docs promise an object,
# a missing key, a value the canonical model refuses (pydantic's ValidationError is a ValueError).
MALFORMED_CONTENT = (KeyError, IndexError, TypeError, ValueError, AttributeError)


@dataclass(slots=True)
class Translation:
    """What one platform delivery became: canonical messages, and what was skipped and why.

    `skipped` counts events that are not customer messages (delivery statuses, reactions, our own
    echoes, edits already seen, unknown event types) by reason, as `replay --adapter` reports them.
    """

    messages: list[InboundMessage] = field(default_factory=list)
    skipped: Counter[str] = field(default_factory=Counter)

    def skip(self, reason: str, count: int = 1) -> None:
        self.skipped[reason] += count

    def extend(self, other: Translation) -> None:
        self.messages.extend(other.messages)
        self.skipped.update(other.skipped)

    @contextlib.contextmanager
    def item(self) -> Iterator[None]:
        """Translate one item of a delivery (a change, an event, a tweet): odd content counts it
        as `malformed` and the next item goes on, so one bad item never loses its neighbours and
        `translate` never raises, whatever arrives."""
        try:
            yield
        except MALFORMED_CONTENT as exc:
            log.debug("malformed platform item skipped: %s: %s", type(exc).__name__, exc)
            self.skip("malformed")


@dataclass(frozen=True, slots=True)
class Route:
    """An HTTP route the adapter needs mounted on the service (webhook, verification challenge)."""

    method: str
    path: str
    handler: Handler
    # Customer messages come in here: POSTs pass the intake's admission gate (size, concurrency,
    # queue depth). Staff interactions (Slack's buttons) do not, so a deep queue during an
    # outage never refuses an approval.
    intake: bool = True


class CursorStore(Protocol):
    """Small durable values a poller keeps across restarts (X's `since_id`, an IMAP UID).

    Backed by the hot-path store, so a restart neither misses nor repeats, and several replicas
    share one cursor.
    """

    async def get(self, key: str) -> str | None: ...

    async def set(self, key: str, value: str) -> None: ...


@dataclass(slots=True)
class AdapterStats:
    """Per-adapter counters for `/metrics` (received, sent, rate_limited, failed, window_expired...)."""

    counts: Counter[str] = field(default_factory=Counter)
    state: str = "ok"

    def count(self, event: str, n: int = 1) -> None:
        self.counts[event] += n


@dataclass(slots=True)
class AdapterContext:
    """What the composition root gives an adapter when it starts."""

    sink: IntakeSink
    cursors: CursorStore


class Adapter(Protocol):
    """A channel's way in and way out.

    `channels`: the canonical channels whose outbox items this adapter delivers (the registry
    routes by channel; `("*",)` means every channel without an adapter of its own). An adapter
    that only listens lists none.
    """

    name: str
    channels: tuple[Channel | str, ...]
    stats: AdapterStats

    def translate(self, payload: Any, headers: Mapping[str, str]) -> Translation:
        """Platform payload in, canonical messages out; never raises on an unknown event type."""

    def routes(self, sink: IntakeSink) -> Sequence[Route]:
        """Routes to mount (may be empty); handlers verify signatures before parsing anything."""

    async def start(self, context: AdapterContext) -> None:
        """Begin listening (pollers start their task here); webhook-only adapters do nothing."""

    async def send(self, item: OutboxItem) -> Receipt:
        """Publish one item; raise a `DeliveryError` subclass on failure."""

    def status(self) -> str:
        """One line for `/readyz` ("ok", "rate limited until 10:42Z", "disabled: ...")."""

    async def close(self) -> None: ...


class ListenOnly:
    """Mixin for adapters that never deliver (the generic webhook): sending is a permanent failure."""

    name: str

    async def send(self, item: OutboxItem) -> Receipt:
        raise PermanentFailure(f"the {self.name} adapter does not publish")


class NoRoutes:
    """Mixin for adapters with nothing to mount and nothing to translate from HTTP."""

    def routes(self, sink: IntakeSink) -> Sequence[Route]:
        return ()


class NoPoller:
    async def start(self, context: AdapterContext) -> None:
        return None


ConfigModel = type[BaseModel]
