"""Apply a pipeline `Outcome` to the store, once, whatever the number of deliveries.

Every effect gets an idempotency key derived from the message key, and every write is
insert-if-absent, so a message processed twice (a worker died before its ack) leaves exactly the
same state as one processed once: one reply in the outbox, one case, one alert. What a reply
brings along (its echo fingerprint, the agent-queue entry kept if a guard holds it) is decided by
the pipeline (`bot/pipeline/reply_policy.py`) and applied here as given.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
from collections.abc import Callable, Sequence
from typing import Any

from bot.core.channels import window_payload
from bot.core.context import MessageContext
from bot.core.effects import (
    AppendToRecord,
    IdentifyCustomer,
    LinkCaseToIncident,
    MergeIntoRecord,
    Notify,
    OpenCase,
    Reply,
    SaveRecord,
)
from bot.core.models import AuditEvent, Decision, InboundMessage, OutboxItem
from bot.core.records import RecordKind
from bot.engine.batch_writes import DEFERRABLE, BatchWrites
from bot.engine.cases import CaseBook
from bot.engine.queued_replies import QueuedReplies
from bot.engine.self_id import SelfIdentification
from bot.pipeline.guards import ReplyGuard
from bot.pipeline.pipeline import Outcome
from bot.pipeline.reply_policy import CASE_ACK, case_ack
from bot.store.base import Store
from bot.store.records import RecordWrite

# A guard's answer asked ahead of its reply: (the reply's idempotency key, the answer).
GuardAhead = tuple[str, "asyncio.Future[str | None]"]
UPDATE_ATTEMPTS = 12  # about 1.5 s of backoff at most: far longer than any effect takes


class RecordUpdateFailed(RuntimeError):
    """An append or merge lost every compare-and-set race on its record."""


def reply_key(message_key: str, account: str, purpose: str) -> str:
    return f"{purpose}:{message_key}:{account}"


class EffectApplier:
    """Turns effects into outbox items and records, through the guards."""

    def __init__(
        self,
        store: Store,
        guard: ReplyGuard,
        cases: CaseBook | None = None,
        self_id: SelfIdentification | None = None,
    ) -> None:
        self._store = store
        self._guard = guard
        self._cases = cases or CaseBook(store.records)
        self._self_id = self_id
        self._queued = QueuedReplies(store)

    def prefetch(self, messages: Sequence[InboundMessage]) -> None:
        """A batch was claimed: the look-ups its effects will make start now, once for the batch."""
        self._cases.prefetch(messages)
        self._queued.prefetch(messages)

    async def apply(self, outcome: Outcome, writes: BatchWrites | None = None) -> Decision:
        """Write the outcome's effects; returns the decision as finally taken (maybe suppressed).

        With `writes` (the worker's claimed batch), the write-only ones are left there for the
        batch's end instead of written now.
        """
        try:
            return await self._apply(outcome, writes)
        finally:
            self._queued.done(outcome.ctx.message.key)

    async def _apply(self, outcome: Outcome, writes: BatchWrites | None) -> Decision:
        decision = outcome.decision
        for effect in outcome.effects:
            if isinstance(effect, Reply):
                decision = await self._reply(outcome, effect, decision, writes)
            elif isinstance(effect, Notify):
                await self._store.add_outbox([_notify_item(effect)])
            elif isinstance(effect, SaveRecord):
                write = RecordWrite(effect.kind, effect.record_id, effect.data, effect.only_if_absent)
                await self._put(outcome, write, writes)
            elif isinstance(effect, AppendToRecord):
                await self._append(effect)
            elif isinstance(effect, MergeIntoRecord):
                await self._merge(effect)
            elif isinstance(effect, OpenCase):
                decision = await self._open_case(outcome, effect, decision, writes)
            elif isinstance(effect, LinkCaseToIncident):
                await self._link_case(effect)
            elif isinstance(effect, IdentifyCustomer):
                decision = await self._identify(outcome, effect, decision, writes)
        return decision

    async def _identify(
        self, outcome: Outcome, effect: IdentifyCustomer, decision: Decision, writes: BatchWrites | None
    ) -> Decision:
        """The code flow's step for this message: the code mail first, then the reply.

        The reply is the flow's own (not an automatic answer the guards meter): the customer
        asked for it, and the flow limits attempts and codes itself; the kill switch still holds it.
        """
        if self._self_id is None:
            return decision
        message_key = outcome.ctx.message.key
        if await self._queued.queued(message_key, reply_key(message_key, "robot", "self_id")):
            return decision  # a redelivery of a step already taken
        result = await self._self_id.handle(outcome.ctx, effect.claim)
        if result.mail is not None:
            await self._store.add_outbox([result.mail])  # insert-if-absent: one code mail per claim
        hand_off = result.hand_off(outcome.ctx, decision)
        if hand_off is not None:
            await self._store.put_record(
                hand_off.kind, hand_off.record_id, hand_off.data, only_if_absent=True
            )
        reply = Reply(account="robot", text=result.reply, purpose="self_id", automatic=False)
        return await self._reply(outcome, reply, decision, writes)

    async def _put(self, outcome: Outcome, write: RecordWrite, writes: BatchWrites | None) -> None:
        if writes is not None and write.kind in DEFERRABLE:
            writes.put(outcome.ctx.message.key, write)
        else:
            await self._store.put_record(
                write.kind, write.record_id, write.data, only_if_absent=write.only_if_absent
            )

    async def _open_case(
        self, outcome: Outcome, effect: OpenCase, decision: Decision, writes: BatchWrites | None
    ) -> Decision:
        """Open or join the case, then acknowledge what happened (in the customer's language).

        The acknowledgement's guard is asked while the case book works: it reads the message
        (author, thread, age), never the case, so its reservation goes to the store with the
        case's write instead of one round trip after it; the reply is queued once both are
        back. The reservation is the message's own (`ReplyGuard.blocked`): should the case
        fail, the redelivery passes it again, as after a crash between the two.
        """
        ahead = await self._guard_ahead(outcome.ctx, reply_key(outcome.ctx.message.key, "robot", CASE_ACK))
        try:
            result = await self._cases.open_or_join(effect.case)
        except BaseException:
            await _discard(ahead)
            raise
        ack = case_ack(outcome.ctx, decision, effect, result.case, result.outcome, result.language)
        return await self._reply(outcome, ack, decision, writes, ahead)

    async def _guard_ahead(self, ctx: MessageContext, key: str) -> GuardAhead | None:
        """The guard's answer for the reply `key`, asked now; None for a reply already queued
        (a redelivery is not metered twice)."""
        if await self._queued.queued(ctx.message.key, key):
            return None
        return key, asyncio.ensure_future(self._guard.blocked(ctx))

    async def _link_case(self, effect: LinkCaseToIncident) -> None:
        handled = await self._store.get_record(RecordKind.CASE_MESSAGE, effect.message_key)
        if handled is None:
            return

        def change(data: dict[str, Any]) -> dict[str, Any] | None:
            if data.get("incident_id") is not None:
                return None
            # Part of an outage now: it stays local unless it already reached the CRM.
            local = data.get("crm_sync") == "pending"
            return {**data, "incident_id": effect.incident_id, "crm": data.get("crm", True) and not local}

        await self._update(RecordKind.CASE, str(handled.data["case_id"]), change)

    async def _append(self, effect: AppendToRecord) -> None:
        def change(data: dict[str, Any]) -> dict[str, Any] | None:
            items = list(data.get(effect.field) or [])
            if any(i.get("key") == effect.item.get("key") for i in items):
                return None
            return {**data, effect.field: [*items, effect.item][-effect.max_items :]}

        await self._update(effect.kind, effect.record_id, change, await_record=effect.await_record)

    async def _merge(self, effect: MergeIntoRecord) -> None:
        def change(data: dict[str, Any]) -> dict[str, Any] | None:
            wanted = {
                k: v
                for k, v in effect.fields.items()
                if not (effect.only_missing and data.get(k) is not None)
            }
            return {**data, **wanted} if wanted else None

        await self._update(effect.kind, effect.record_id, change, await_record=effect.await_record)

    async def _update(
        self,
        kind: str,
        record_id: str,
        change: Callable[[dict[str, Any]], dict[str, Any] | None],
        *,
        await_record: bool = False,
    ) -> None:
        """Compare-and-set loop on an existing record; `change` returns None for "nothing to do".

        `await_record`: an earlier message's effects create the record (a crisis alert, a
        spike), and on another worker or replica they may still be on their way: wait a moment.
        Lost races on a record that exists raise in the end (the message is retried): an
        update is never silently dropped for being contended.
        """
        for attempt in range(UPDATE_ATTEMPTS):
            record = await self._store.get_record(kind, record_id)
            if record is None and (not await_record or attempt == UPDATE_ATTEMPTS - 1):
                return
            if record is not None:
                data = change(record.data)
                if data is None:
                    return
                if await self._store.cas_record(kind, record_id, expected_version=record.version, data=data):
                    return
            await asyncio.sleep(min(0.005 * 2**attempt, 0.2) * random.random())
        raise RecordUpdateFailed(f"{kind} {record_id}: still contended after {UPDATE_ATTEMPTS} tries")

    async def _reply(
        self,
        outcome: Outcome,
        reply: Reply,
        decision: Decision,
        writes: BatchWrites | None,
        ahead: GuardAhead | None = None,
    ) -> Decision:
        """`ahead`: the guard's answer asked earlier for this reply (`_guard_ahead`)."""
        ctx = outcome.ctx
        msg = ctx.message
        key = reply_key(msg.key, reply.account, reply.purpose)
        asked = ahead[1] if ahead is not None and ahead[0] == key and reply.automatic else None
        if asked is None:
            await _discard(ahead)
        if await self._queued.queued(msg.key, key):
            await _discard(ahead)
            return decision  # a redelivery: this reply was already queued, guards already passed
        if reply.automatic:
            reason = await asked if asked is not None else await self._guard.blocked(ctx)
            if reason is not None:
                return await self._suppress(outcome, reply, decision, reason, writes)
        item = OutboxItem(
            idempotency_key=key,
            account=reply.account,
            channel=msg.channel,
            target=msg.id,
            recipient=msg.author.handle or None,
            text=reply.text,
            payload=window_payload(msg.channel, msg.created_at),
            message_key=msg.key,
            created_at=ctx.now,
            next_attempt_at=ctx.now,
        )
        added = (await self._store.add_outbox([item]))[0]
        self._queued.added(msg.key, key)  # queued now, by us or by whoever won the insert
        if added and reply.echo is not None:
            echo = RecordWrite(RecordKind.ECHO, reply.echo, {"outbox": key}, only_if_absent=True)
            await self._put(outcome, echo, writes)
        return decision

    async def _suppress(
        self, outcome: Outcome, reply: Reply, decision: Decision, reason: str, writes: BatchWrites | None
    ) -> Decision:
        """No automatic reply: keep why, and keep the record the pipeline asked for instead."""
        decision = decision.model_copy(update={"suppressed": reason})
        event = AuditEvent(kind="reply_suppressed", subject=decision.message_key, detail={"reason": reason})
        if writes is not None:
            writes.audit(decision.message_key, event)
        else:
            await self._store.append_audit([event])
        entry = reply.if_held
        if entry is not None:
            data = {**entry.data, "reason": f"{entry.data.get('reason', '')}: {reason}"}
            held = RecordWrite(entry.kind, entry.record_id, data, only_if_absent=entry.only_if_absent)
            await self._put(outcome, held, writes)
        return decision


async def _discard(ahead: GuardAhead | None) -> None:
    """A guard answer asked ahead and not used: waited for (never left running or unretrieved)."""
    if ahead is not None:
        with contextlib.suppress(Exception):
            await ahead[1]


def _notify_item(effect: Notify) -> OutboxItem:
    return OutboxItem(
        idempotency_key=effect.key,
        account="employee",
        channel=effect.channel,
        target=effect.target,
        text=effect.text,
        payload=effect.payload,
    )
