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

The identity's case pointer (and the case it points at) is looked up with the batch too, but
unlike the three above it is written by other messages: the batch claimed ahead is looked up
while the batch in hand still opens and joins cases. So the book tells the look-ups when it
starts and ends an attempt on an identity (`writing`), and a prefetched pointer is used only if
no attempt on that identity ran or finished since its batch was asked (`pointer`); otherwise
the book reads it again, as before. A pointer another process moved in between is caught as a
pointer read a moment earlier always was: opening compares-and-sets the pointer itself, and
joining the case it pointed at compares-and-sets that case, which another writer only leaves
for a new one once it has changed (closed past its reopen window).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import Counter, OrderedDict
from collections.abc import Iterator, Sequence
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
    pointers: dict[str, Record]  # case_identity by identity id (of the identities asked)
    pointed: dict[str, Record]  # the cases those pointers point at, by case id
    issued: int  # how many attempts had ended when the batch was asked


@dataclass(frozen=True, slots=True)
class Pointer:
    """An identity's case pointer and the case it points at, as the batch's look-up found them."""

    record: Record | None
    case: Record | None


@dataclass(frozen=True, slots=True)
class CaseAnswers:
    """One message's answers: `identity` is None when the sender's identity was not asked."""

    identity: tuple[Record | None] | None
    handled: Record | None
    opened: list[Record]
    batch: BatchAnswers | None = None


class CaseLookups:
    """Batched look-ups for `CaseBook`, taken one message at a time."""

    def __init__(self, store: RecordStore) -> None:
        self._store = store
        self._ahead: OrderedDict[str, asyncio.Future[BatchAnswers]] = OrderedDict()
        self._ended = 0  # attempts ended so far (a clock for `pointer`)
        self._running: Counter[str] = Counter()  # attempts in flight, by identity
        self._last_end: dict[str, int] = {}  # the `_ended` count when an identity's last attempt ended
        self._forgotten = -1  # the latest end no longer in `_last_end`

    def prefetch(self, messages: Sequence[InboundMessage]) -> None:
        if not messages:
            return
        found = asyncio.ensure_future(self._ask(messages, self._ended))
        # A failed look-up is asked again per message in `take`; never "exception never retrieved".
        found.add_done_callback(lambda f: f.cancelled() or f.exception())
        for message in messages:
            self._ahead[message.key] = found
        while len(self._ahead) > MAX_AHEAD:
            self._ahead.popitem(last=False)

    async def _ask(self, messages: Sequence[InboundMessage], issued: int) -> BatchAnswers:
        keys = [m.key for m in messages]
        asked = frozenset(identity_id(m.channel, m.author.handle) for m in messages if m.author.handle)
        identities, handled, opened, pointers = await asyncio.gather(
            self._store.get_records(RecordKind.IDENTITY, sorted(asked)),
            self._store.get_records(RecordKind.CASE_MESSAGE, keys),
            self._store.records_by_key(RecordKind.CASE, keys),
            self._store.get_records(RecordKind.CASE_IDENTITY, sorted(asked)),
        )
        case_ids = sorted({str(p.data["case_id"]) for p in pointers.values()})
        pointed = await self._store.get_records(RecordKind.CASE, case_ids) if case_ids else {}
        return BatchAnswers(identities, asked, handled, opened, pointers, pointed, issued)

    async def take(self, message_key: str, channel: str, author: str) -> CaseAnswers | None:
        """The prefetched answers for this message, or None: then the caller asks the store."""
        ahead = self._ahead.pop(message_key, None)
        if ahead is None:
            return None
        with contextlib.suppress(Exception):
            batch = await ahead
            wanted = identity_id(channel, author) if author else None
            identity = (batch.identities.get(wanted),) if wanted in batch.identities_asked else None
            return CaseAnswers(
                identity, batch.handled.get(message_key), batch.opened.get(message_key, []), batch
            )
        return None

    def pointer(self, answers: CaseAnswers | None, identity: str) -> Pointer | None:
        """The batch's pointer for `identity`, or None when the caller must read it: not asked
        (a customer's identity), or an attempt on it ran since the batch was asked."""
        batch = answers.batch if answers is not None else None
        if batch is None or identity not in batch.identities_asked or self._running[identity]:
            return None
        last = self._last_end.get(identity, self._forgotten)
        if last > batch.issued:
            return None
        record = batch.pointers.get(identity)
        case = batch.pointed.get(str(record.data["case_id"])) if record is not None else None
        return Pointer(record, case)

    @contextlib.contextmanager
    def writing(self, identity: str) -> Iterator[None]:
        """An attempt on `identity`'s pointer runs inside: prefetched pointers of it go stale."""
        self._running[identity] += 1
        try:
            yield
        finally:
            self._running[identity] -= 1
            if not self._running[identity]:
                del self._running[identity]
            self._ended += 1
            self._last_end.pop(identity, None)  # kept in the order the attempts ended
            self._last_end[identity] = self._ended
            while len(self._last_end) > MAX_AHEAD:  # a batch older than a forgotten end reads again
                self._forgotten = self._last_end.pop(next(iter(self._last_end)))

    def forget(self) -> None:
        self._ahead.clear()
