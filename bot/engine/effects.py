"""Apply a pipeline `Outcome` to the store, once, whatever the number of deliveries.

Every effect gets an idempotency key derived from the message key, and every write is
insert-if-absent, so a message processed twice (a worker died before its ack) leaves exactly the
same state as one processed once: one reply in the outbox, one case, one alert.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable
from typing import Any

from bot.core.channels import window_payload
from bot.core.effects import (
    AppendToRecord,
    LinkCaseToIncident,
    MergeIntoRecord,
    Notify,
    OpenCase,
    Reply,
    SaveRecord,
)
from bot.core.models import AuditEvent, Decision, OutboxItem
from bot.core.records import RecordKind
from bot.engine.cases import CaseBook
from bot.pipeline.guards import ReplyGuard
from bot.pipeline.pipeline import Outcome
from bot.reading.normalise import echo_fingerprint
from bot.store.base import Store
from responders.agent import agent_queue_entry
from responders.case import case_ack_text

UPDATE_ATTEMPTS = 12  # about 1.5 s of backoff at most: far longer than any effect takes


class RecordUpdateFailed(RuntimeError):
    """An append or merge lost every compare-and-set race on its record."""


def reply_key(message_key: str, account: str, purpose: str) -> str:
    return f"{purpose}:{message_key}:{account}"


class EffectApplier:
    """Turns effects into outbox items and records, through the guards."""

    def __init__(self, store: Store, guard: ReplyGuard, cases: CaseBook | None = None) -> None:
        self._store = store
        self._guard = guard
        self._cases = cases or CaseBook(store.records)

    async def apply(self, outcome: Outcome) -> Decision:
        """Write the outcome's effects; returns the decision as finally taken (maybe suppressed)."""
        decision = outcome.decision
        for effect in outcome.effects:
            if isinstance(effect, Reply):
                decision = await self._reply(outcome, effect, decision)
            elif isinstance(effect, Notify):
                await self._store.add_outbox([_notify_item(effect)])
            elif isinstance(effect, SaveRecord):
                await self._store.put_record(
                    effect.kind, effect.record_id, effect.data, only_if_absent=effect.only_if_absent
                )
            elif isinstance(effect, AppendToRecord):
                await self._append(effect)
            elif isinstance(effect, MergeIntoRecord):
                await self._merge(effect)
            elif isinstance(effect, OpenCase):
                decision = await self._open_case(outcome, effect, decision)
            elif isinstance(effect, LinkCaseToIncident):
                await self._link_case(effect)
        return decision

    async def _open_case(self, outcome: Outcome, effect: OpenCase, decision: Decision) -> Decision:
        """Open or join the case, then acknowledge what happened (in the customer's language)."""
        result = await self._cases.open_or_join(effect.case)
        text = case_ack_text(
            result.case,
            result.outcome,
            handle=effect.case.author,
            public=effect.ack_public,
            language=result.language,
        )
        return await self._reply(outcome, Reply(account="robot", text=text, purpose="case_ack"), decision)

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

    async def _reply(self, outcome: Outcome, reply: Reply, decision: Decision) -> Decision:
        ctx = outcome.ctx
        msg = ctx.message
        key = reply_key(msg.key, reply.account, reply.purpose)
        if await self._store.get_outbox(key) is not None:
            return decision  # a redelivery: this reply was already queued, guards already passed
        if reply.automatic:
            reason = await self._guard.blocked(ctx)
            if reason is not None:
                return await self._suppress(outcome, decision, reason)
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
        if (await self._store.add_outbox([item]))[0]:
            fingerprint = echo_fingerprint(reply.text)
            if fingerprint is not None:
                await self._store.put_record(
                    RecordKind.ECHO, fingerprint, {"outbox": key}, only_if_absent=True
                )
        return decision

    async def _suppress(self, outcome: Outcome, decision: Decision, reason: str) -> Decision:
        """No automatic reply: keep why, and put the message in front of a person instead."""
        decision = decision.model_copy(update={"suppressed": reason})
        event = AuditEvent(kind="reply_suppressed", subject=decision.message_key, detail={"reason": reason})
        await self._store.append_audit([event])
        if decision.action in ("answer", "case") and not (
            outcome.ctx.author.own_account or outcome.ctx.author.bot
        ):
            entry: SaveRecord = agent_queue_entry(
                outcome.ctx, decision, why=f"automatic reply held: {reason}"
            )
            await self._store.put_record(
                RecordKind.AGENT_QUEUE, entry.record_id, entry.data, only_if_absent=True
            )
        return decision


def _notify_item(effect: Notify) -> OutboxItem:
    return OutboxItem(
        idempotency_key=effect.key,
        account="employee",
        channel=effect.channel,
        target=effect.target,
        text=effect.text,
        payload=effect.payload,
    )
