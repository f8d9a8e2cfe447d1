"""Apply a pipeline `Outcome` to the store, once, whatever the number of deliveries.

Every effect gets an idempotency key derived from the message key, and every write is
insert-if-absent, so a message processed twice (a worker died before its ack) leaves exactly the
same state as one processed once: one reply in the outbox, one case, one alert. What a reply
brings along (its echo fingerprint, the agent-queue entry kept if a guard holds it) is decided by
the pipeline (`bot/pipeline/reply_policy.py`) and applied here as given.
"""

from __future__ import annotations

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
from bot.pipeline.reply_policy import case_ack
from bot.store.base import Store


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
        ack = case_ack(outcome.ctx, decision, effect, result.case, result.outcome, result.language)
        return await self._reply(outcome, ack, decision)

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

        await self._update(effect.kind, effect.record_id, change)

    async def _merge(self, effect: MergeIntoRecord) -> None:
        def change(data: dict[str, Any]) -> dict[str, Any] | None:
            wanted = {
                k: v
                for k, v in effect.fields.items()
                if not (effect.only_missing and data.get(k) is not None)
            }
            return {**data, **wanted} if wanted else None

        await self._update(effect.kind, effect.record_id, change)

    async def _update(
        self, kind: str, record_id: str, change: Callable[[dict[str, Any]], dict[str, Any] | None]
    ) -> None:
        """Compare-and-set loop on an existing record; `change` returns None for "nothing to do"."""
        for _ in range(5):
            record = await self._store.get_record(kind, record_id)
            if record is None:
                return
            data = change(record.data)
            if data is None:
                return
            if await self._store.cas_record(kind, record_id, expected_version=record.version, data=data):
                return

    async def _reply(self, outcome: Outcome, reply: Reply, decision: Decision) -> Decision:
        ctx = outcome.ctx
        msg = ctx.message
        key = reply_key(msg.key, reply.account, reply.purpose)
        if await self._store.get_outbox(key) is not None:
            return decision  # a redelivery: this reply was already queued, guards already passed
        if reply.automatic:
            reason = await self._guard.blocked(ctx)
            if reason is not None:
                return await self._suppress(reply, decision, reason)
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
        if (await self._store.add_outbox([item]))[0] and reply.echo is not None:
            await self._store.put_record(RecordKind.ECHO, reply.echo, {"outbox": key}, only_if_absent=True)
        return decision

    async def _suppress(self, reply: Reply, decision: Decision, reason: str) -> Decision:
        """No automatic reply: keep why, and keep the record the pipeline asked for instead."""
        decision = decision.model_copy(update={"suppressed": reason})
        event = AuditEvent(kind="reply_suppressed", subject=decision.message_key, detail={"reason": reason})
        await self._store.append_audit([event])
        entry = reply.if_held
        if entry is not None:
            data = {**entry.data, "reason": f"{entry.data.get('reason', '')}: {reason}"}
            await self._store.put_record(
                entry.kind, entry.record_id, data, only_if_absent=entry.only_if_absent
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
