"""Which replies a claimed batch's messages already queued, looked up once for the batch.

Why: before a reply goes through the guards, the effect applier asks whether this very reply is
already in the outbox (a redelivered message must not be metered, nor answered, twice). That was
one store call per reply; at claim time the batch's message keys are known, so one look-up on
the outbox's indexed `message_key` answers it for every reply of the batch.

Looking up at claim time keeps the guarantee: a message's replies are only ever queued while
that message is processed, which is after its batch was claimed, and what this process queues
itself meanwhile is added to the answer (`added`). Another process handling the same message at
the same moment (a redelivery after the visibility timeout) is the race the single look-up had
too: both may pass the guards, and the outbox's insert-if-absent still queues the reply once.
A message with no answer (not prefetched, or a failed look-up) asks the store itself.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import OrderedDict
from collections.abc import Sequence

from bot.core.models import InboundMessage
from bot.store.base import Store

# Answers of messages that never replied are forgotten past this many.
MAX_AHEAD = 4096


class QueuedReplies:
    """The outbox keys queued per message of the claimed batches, for `EffectApplier`."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self._ahead: OrderedDict[str, tuple[asyncio.Future[set[str]], set[str]]] = OrderedDict()

    def prefetch(self, messages: Sequence[InboundMessage]) -> None:
        if not messages:
            return
        keys = [m.key for m in messages]
        found = asyncio.ensure_future(self._store.outbox_keys_of(keys))
        # A failed look-up is asked again per reply in `queued`; never "exception never retrieved".
        found.add_done_callback(lambda f: f.cancelled() or f.exception())
        for key in keys:
            self._ahead.pop(key, None)  # a redelivery's newer answer goes to the end
            self._ahead[key] = (found, set())
        while len(self._ahead) > MAX_AHEAD:
            self._ahead.popitem(last=False)

    async def queued(self, message_key: str, idempotency_key: str) -> bool:
        """Whether the outbox already holds `idempotency_key`, an item of `message_key`."""
        ahead = self._ahead.get(message_key)
        if ahead is not None:
            with contextlib.suppress(Exception):
                return idempotency_key in ahead[1] or idempotency_key in await ahead[0]
        return await self._store.get_outbox(idempotency_key) is not None

    def done(self, message_key: str) -> None:
        """The message's effects were applied: a later pass over it asks afresh."""
        self._ahead.pop(message_key, None)

    def added(self, message_key: str, idempotency_key: str) -> None:
        """This process queued `idempotency_key` for `message_key`: later checks see it."""
        ahead = self._ahead.get(message_key)
        if ahead is not None:
            ahead[1].add(idempotency_key)
