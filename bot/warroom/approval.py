"""The approval service: the one path by which a person's decision on a draft takes effect.

Slack buttons, `POST /api/v1/drafts/{id}/approve|reject` and `centinela drafts approve|reject`
all call this module, so every path gets the same guarantees:

- approving is a compare-and-set on the draft, and the reply's idempotency key is fixed per
  message (`approved:{message_key}:official`): two approvers clicking together publish once;
- the reply goes through the outbox as the official account, threaded to the customer's message;
- every attempt, refused or not, is audited; acting on a draft also acknowledges its alert
  (someone is clearly on it), which stops the escalation.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from bot.core.channels import window_payload
from bot.core.drafts import Draft
from bot.core.models import AuditEvent, InboundMessage, OutboxItem, utc_now
from bot.core.records import RecordKind
from bot.engine.effects import reply_key
from bot.store.base import Store
from bot.store.records import RecordFilter
from bot.warroom.blocks import actor_label
from bot.warroom.state import CAS_ATTEMPTS, WarRoomLog

log = logging.getLogger(__name__)

Outcome = Literal["approved", "rejected", "acknowledged", "already", "not_found", "invalid", "refused"]
AUDIT_KIND = "warroom"


@dataclass(frozen=True, slots=True)
class ApprovalResult:
    """What happened, in words fit to show the person who asked."""

    outcome: Outcome
    message: str
    draft: Draft | None = None

    @property
    def ok(self) -> bool:
        return self.outcome in ("approved", "rejected", "acknowledged")


class ApprovalService:
    """Approve, edit-and-approve, reject and acknowledge, for every front end."""

    def __init__(
        self,
        store: Store,
        *,
        clock: Callable[[], datetime] = utc_now,
        wake: Callable[[], None] | None = None,
    ) -> None:
        self._store = store
        self._clock = clock
        self._wake = wake
        self.log = WarRoomLog(store, clock=clock)

    async def get(self, draft_id: str) -> Draft | None:
        record = await self._store.get_record(RecordKind.DRAFT, draft_id)
        return Draft.from_record(record) if record else None

    async def list(self, *, status: str | None = None, limit: int = 100) -> list[Draft]:
        where = RecordFilter(RecordKind.DRAFT, status=status)
        return [
            Draft.from_record(r) for r in (await self._store.records.query_records(where, limit=limit)).items
        ]

    async def approve(
        self, draft_id: str, *, actor: str, via: str, text: str | None = None
    ) -> ApprovalResult:
        """Publish the draft (or `text`, an edited version) as the official account, once."""
        action = "approve" if text is None else "edit"
        if text is not None and not text.strip():
            return await self._audited(action, draft_id, actor, via, "invalid", "the edited reply is empty")
        for _ in range(CAS_ATTEMPTS):
            draft = await self.get(draft_id)
            if draft is None:
                return await self._audited(action, draft_id, actor, via, "not_found", f"no draft {draft_id}")
            if draft.status != "pending":
                return await self._audited(action, draft_id, actor, via, "already", _already(draft), draft)
            final = text.strip() if text is not None else draft.text
            decided = draft.model_copy(
                update={
                    "status": "approved",
                    "final_text": final,
                    "edited": final != draft.text,
                    "decided_by": actor,
                    "decided_at": self._clock().isoformat(),
                    "outbox_key": reply_key(draft.message_key, "official", "approved"),
                }
            )
            if not await self._store.cas_record(
                RecordKind.DRAFT, draft_id, expected_version=draft.version, data=decided.data()
            ):
                continue  # someone else changed it first: look again, and most likely say "already"
            decided.version = draft.version + 1
            await queue_reply(self._store, decided)
            if self._wake is not None:
                self._wake()
            verb = "edited and approved" if decided.edited else "approved"
            await self.log.record(draft.alert_id, actor, verb, final, acknowledge=True)
            return await self._audited(
                action,
                draft_id,
                actor,
                via,
                "approved",
                f"Reply {verb}; publishing as the official account.",
                decided,
            )
        raise RuntimeError(f"draft {draft_id} kept changing under us")

    async def reject(self, draft_id: str, *, actor: str, via: str, reason: str) -> ApprovalResult:
        """Nothing is published; the reason is kept and shown."""
        if not reason.strip():
            return await self._audited("reject", draft_id, actor, via, "invalid", "a reason is required")
        for _ in range(CAS_ATTEMPTS):
            draft = await self.get(draft_id)
            if draft is None:
                return await self._audited(
                    "reject", draft_id, actor, via, "not_found", f"no draft {draft_id}"
                )
            if draft.status != "pending":
                return await self._audited("reject", draft_id, actor, via, "already", _already(draft), draft)
            decided = draft.model_copy(
                update={
                    "status": "rejected",
                    "reason": reason.strip(),
                    "decided_by": actor,
                    "decided_at": self._clock().isoformat(),
                }
            )
            if await self._store.cas_record(
                RecordKind.DRAFT, draft_id, expected_version=draft.version, data=decided.data()
            ):
                decided.version = draft.version + 1
                await self.log.record(draft.alert_id, actor, "rejected", reason.strip(), acknowledge=True)
                return await self._audited(
                    "reject",
                    draft_id,
                    actor,
                    via,
                    "rejected",
                    "Draft rejected; nothing will be published.",
                    decided,
                )
        raise RuntimeError(f"draft {draft_id} kept changing under us")

    async def acknowledge(self, alert_id: str, *, actor: str, via: str) -> ApprovalResult:
        """Someone is on it: the escalation stops. Acknowledging twice is harmless."""
        if await self._store.get_record(RecordKind.ALERT, alert_id) is None:
            return await self._audited(
                "acknowledge", alert_id, actor, via, "not_found", f"no alert {alert_id}"
            )
        before = await self.log.get(alert_id)
        if before is not None and before.status == "acknowledged":
            message = f"Already acknowledged by {before.acknowledged_by}."
            return await self._audited("acknowledge", alert_id, actor, via, "already", message)
        await self.log.record(alert_id, actor, "acknowledged", acknowledge=True)
        return await self._audited("acknowledge", alert_id, actor, via, "acknowledged", "Alert acknowledged.")

    async def refuse(self, action: str, subject: str, *, actor: str, via: str) -> ApprovalResult:
        """Record an attempt by someone who may not do this."""
        return await self._audited(
            action, subject, actor, via, "refused", "Only war-room approvers can do this."
        )

    async def _audited(
        self,
        action: str,
        subject: str,
        actor: str,
        via: str,
        outcome: Outcome,
        message: str,
        draft: Draft | None = None,
    ) -> ApprovalResult:
        detail = {"action": action, "via": via, "outcome": outcome, "message": message}
        await self._store.append_audit(
            [AuditEvent(kind=AUDIT_KIND, subject=subject, actor=actor, detail=detail)]
        )
        return ApprovalResult(outcome, message, draft)


async def queue_reply(store: Store, draft: Draft) -> bool:
    """The approved reply as an outbox item; insert-if-absent, so calling it again is harmless.

    The result watcher calls it too, which repairs a crash between approving and queueing.
    """
    assert draft.outbox_key is not None and draft.final_text is not None
    original = await store.get_message(draft.message_key) if draft.message_key else None
    item = OutboxItem.model_validate(
        {
            "idempotency_key": draft.outbox_key,
            "account": "official",
            "channel": draft.channel,
            "target": draft.message_id,
            "recipient": draft.author or None,
            "text": draft.final_text,
            "payload": _payload(draft, original),
            "message_key": draft.message_key,
        }
    )
    return (await store.add_outbox([item]))[0]


def _payload(draft: Draft, original: InboundMessage | None) -> dict[str, str] | None:
    """The window of the message answered; a draft answering no message (the incident of the
    day) is a post of its own (`bot/core/posts.py`)."""
    if original is not None:
        return window_payload(draft.channel, original.created_at)
    return None if draft.message_id else {"purpose": "daily"}


def _already(draft: Draft) -> str:
    by = f" by {actor_label(draft.decided_by)}" if draft.decided_by else ""
    return f"This draft was already {draft.status.replace('_', ' ')}{by}."
