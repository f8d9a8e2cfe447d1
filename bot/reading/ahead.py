"""What reads claimed batches ahead of the decisions: helper processes, or a thread of the worker."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from bot.core.models import InboundMessage
    from bot.reading.text_reading import TextReading


class ReadsAhead(Protocol):
    """`bot.reading.pool.ReadingPool` or `bot.reading.inline_batch.InlineBatches`."""

    async def start(self) -> None: ...

    async def close(self) -> None: ...

    def prefetch(self, messages: Sequence[InboundMessage]) -> None:
        """Start reading `messages` (the claimed batch), for `take` to pick up."""
        ...

    async def take(self, message: InboundMessage) -> TextReading | None:
        """`message`'s reading made ahead; None means read it inline."""
        ...
