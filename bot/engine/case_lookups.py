"""What the case book reads for every complaint, looked up for a whole claimed batch at once.

Why: each complaint asked the records store three questions of its own before it could open or
join a case (is the sender a known customer, did this message already do something, did an
interrupted attempt of it already open a case), three round trips per complaint and, for the
last one, a filtered query built and compiled each time. At claim time the batch's messages are
known, so the three questions are asked once for the batch (`prefetch`), in three calls.

Looking up at claim time keeps the guarantees: a message's `case_message` and the case it opened
are only ever written while that message is processed, which is after its batch was claimed;
an identity linked to a customer in between (a person, through the API) is the same race a
look-up made a moment later would have had. Each answer is used once (`take`): a message handed
out again later, or an answer whose look-up failed, asks the store itself.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass

from bot.core.customers import identity_id
from bot.core.models import InboundMessage, Record
from bot.core.records import RecordKind
from bot.store.records import RecordStore

# Answers prefetched and never taken (messages that were not complaints) are forgotten past this.
MAX_AHEAD = 4096


@dataclass(frozen=True, slots=True)
class BatchAnswers:
    """The records found for one claimed batch, and which ids and keys were asked."""

    identities: dict[str, Record]
    identities_asked: frozenset[str]
    handled: dict[str, Record]  # case_message by message key
    opened: dict[str, list[Record]]  # cases by the message key that opened them


@dataclass(frozen=True, slots=True)
class CaseAnswers:
    """One message's answers: `identity` is None when the sender's identity was not asked."""

    identity: tuple[Record | None] | None
    handled: Record | None
    opened: list[Record]


class CaseLookups:
    """Batched look-ups for `CaseBook`, taken one message at a time."""

    def __init__(self, store: RecordStore) -> None:
        self._store = store
        self._ahead: OrderedDict[str, asyncio.Future[BatchAnswers]] = OrderedDict()

    def prefetch(self, messages: Sequence[InboundMessage]) -> None:
        if not messages:
            return
        found = asyncio.ensure_future(self._ask(messages))
        # A failed look-up is asked again per message in `take`; never "exception never retrieved".
        found.add_done_callback(lambda f: f.cancelled() or f.exception())
        for message in messages:
            self._ahead[message.key] = found
        while len(self._ahead) > MAX_AHEAD:
            self._ahead.popitem(last=False)

    async def _ask(self, messages: Sequence[InboundMessage]) -> BatchAnswers:
        keys = [m.key for m in messages]
        asked = frozenset(identity_id(m.channel, m.author.handle) for m in messages if m.author.handle)
        identities, handled, opened = await asyncio.gather(
            self._store.get_records(RecordKind.IDENTITY, sorted(asked)),
            self._store.get_records(RecordKind.CASE_MESSAGE, keys),
            self._store.records_by_key(RecordKind.CASE, keys),
        )
        return BatchAnswers(identities, asked, handled, opened)

    async def take(self, message_key: str, channel: str, author: str) -> CaseAnswers | None:
        """The prefetched answers for this message, or None: then the caller asks the store."""
        ahead = self._ahead.pop(message_key, None)
        if ahead is None:
            return None
        with contextlib.suppress(Exception):
            batch = await ahead
            wanted = identity_id(channel, author) if author else None
            identity = (batch.identities.get(wanted),) if wanted in batch.identities_asked else None
            return CaseAnswers(identity, batch.handled.get(message_key), batch.opened.get(message_key, []))
        return None

    def forget(self) -> None:
        self._ahead.clear()
