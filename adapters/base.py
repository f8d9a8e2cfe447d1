"""The adapter protocol: one per platform, the only code that speaks a platform's language.

An adapter brings messages in (`start(sink)`, translating payloads into `InboundMessage` at the
edge) and delivers outbox items (`send`). It reports delivery failures with the exceptions
below, so the publisher can tell "try later" from "never" from "we cannot know".
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Protocol

from pydantic import BaseModel

from bot.core.models import InboundMessage, OutboxItem

IntakeSink = Callable[[Sequence[InboundMessage]], Awaitable[list[bool]]]
Receipt = dict[str, Any]


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


class Adapter(Protocol):
    """A channel's way in and way out."""

    name: str
    config_model: type[BaseModel]

    async def start(self, sink: IntakeSink) -> None:
        """Begin listening (polling, streaming); webhook adapters may do nothing here."""

    async def send(self, item: OutboxItem) -> Receipt:
        """Publish one item; raise a `DeliveryError` subclass on failure."""

    async def close(self) -> None: ...
