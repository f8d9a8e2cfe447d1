"""Follows approved replies to their end and shows the result in the war-room.

Why a small polling task rather than a hook in the publisher: the reply is delivered by the
customer channel's adapter, and the publisher has no completion callback; the drafts being
published at any moment are a handful, so looking at them twice a second costs nothing, and the
state lives in the store, so a reply approved just before a restart is still followed after it.
The same pass repairs a crash between approving a draft and queueing its reply.
"""

from __future__ import annotations

import asyncio
import logging

from bot.core.drafts import Draft
from bot.core.models import AuditEvent
from bot.core.records import RecordKind
from bot.engine.periodic import run_every
from bot.store.base import Store
from bot.store.records import RecordFilter
from bot.store.scan import all_records
from bot.warroom.approval import AUDIT_KIND, queue_reply
from bot.warroom.state import WarRoomLog

log = logging.getLogger(__name__)

FINAL = {"published": "published", "failed": "failed", "needs_review": "needs_review", "cancelled": "failed"}


class ResultWatcher:
    """Moves approved drafts to published / failed / needs_review when their outbox item does."""

    def __init__(self, store: Store, warroom_log: WarRoomLog) -> None:
        self._store = store
        self._log = warroom_log

    async def tick(self) -> int:
        """One pass; returns how many drafts reached a final state."""
        done = 0
        # Only approved drafts, filtered in the database, every page of them.
        approved = RecordFilter(RecordKind.DRAFT, status="approved")
        for record in await all_records(self._store.records, approved):
            draft = Draft.from_record(record)
            if draft.status != "approved" or draft.outbox_key is None:
                continue
            item = await self._store.get_outbox(draft.outbox_key)
            if item is None:
                await queue_reply(self._store, draft)
                continue
            status = FINAL.get(item.status)
            if status is None:
                continue
            result = item.last_error or _receipt_summary(item.receipt)
            final = draft.model_copy(update={"status": status, "result": result})
            if not await self._store.cas_record(
                RecordKind.DRAFT, draft.id, expected_version=draft.version, data=final.data()
            ):
                continue  # another replica got there first
            detail = {
                "action": "publish",
                "outcome": status,
                "outbox_key": draft.outbox_key,
                "result": result,
            }
            await self._store.append_audit([AuditEvent(kind=AUDIT_KIND, subject=draft.id, detail=detail)])
            await self._log.record(
                draft.alert_id, "centinela:outbox", f"reply {status.replace('_', ' ')}", result
            )
            done += 1
        return done

    async def run(self, stop: asyncio.Event, interval_s: float) -> None:
        await run_every(interval_s, self.tick, stop, name="war-room results")


def _receipt_summary(receipt: dict[str, object] | None) -> str:
    if not receipt:
        return ""
    return ", ".join(f"{k}={v}" for k, v in receipt.items() if isinstance(v, str | int | float))[:200]
