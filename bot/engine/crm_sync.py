"""Keep the CRM in step with the local cases: from the records, never in the pipeline's way.

Cases are created locally first; this loop (one replica at a time, under a lease) takes the
pending sync records and, per case: finds the ticket by its reference before creating one (so a
create whose answer was lost is never repeated: exactly one ticket per case), updates status and
priority, and adds the comments the CRM has not seen. A 429 waits its Retry-After; other
temporary failures back off exponentially; after `max_attempts`, or a refusal, the sync record
is `failed` (the CRM dead letter, listed in the API and audited) and the next case goes on.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from adapters.base import DeliveryError, PermanentFailure, RateLimited
from adapters.crm.base import CrmConnector
from bot.core.cases import Case
from bot.core.models import AuditEvent, Record, utc_now
from bot.core.records import RecordKind
from bot.engine.cases import load_case
from bot.engine.crm_queue import ATTEMPTS
from bot.store.records import RecordFilter, RecordStore

log = logging.getLogger(__name__)

SyncCounter = Callable[[str], None]


@dataclass(frozen=True, slots=True)
class CrmSyncSettings:
    batch: int = 50
    max_attempts: int = 8
    backoff_s: float = 2.0
    max_backoff_s: float = 600.0


class CrmSync:
    """One pass (`run_once`) syncs what is due; the service runs it every few seconds."""

    def __init__(
        self,
        store: RecordStore,
        crm: CrmConnector,
        *,
        settings: CrmSyncSettings | None = None,
        clock: Callable[[], datetime] = utc_now,
        counted: SyncCounter | None = None,
    ) -> None:
        self._store = store
        self._crm = crm
        self._settings = settings or CrmSyncSettings()
        self._clock = clock
        self._counted = counted or (lambda _state: None)

    async def run_once(self) -> int:
        """Sync the pending cases that are due; returns how many were tried."""
        now = self._clock()
        page = await self._store.query_records(
            RecordFilter(RecordKind.CRM_SYNC, status="pending"), limit=self._settings.batch
        )
        due = [r for r in page.items if _due(r, now)]
        for record in reversed(due):  # oldest first
            await self._sync(record, now)
        return len(due)

    async def _sync(self, record: Record, now: datetime) -> None:
        case = await load_case(self._store, str(record.data["case_id"]))
        if case is None or not case.crm:
            await self._settle(record, {"status": "local"})
            return
        ticket = record.data.get("ticket_id")
        done = int(record.data.get("comments_synced") or 0)
        try:
            ticket, done = await self._push(case, ticket, done)
        except DeliveryError as exc:
            await self._failed(record, case, exc, now, ticket, done)
            return
        await self._settle(record, {"status": "synced", "ticket_id": ticket, "comments_synced": done})
        self._counted("synced")

    async def _push(self, case: Case, ticket: str | None, done: int) -> tuple[str, int]:
        """The ticket id and how many comments it has, after bringing it up to date."""
        if ticket is None:
            ticket = await self._crm.find_ticket(case)  # after an unknown outcome, it may exist
            if ticket is None:
                ticket = await self._crm.create_ticket(case)
            else:
                await self._crm.update_ticket(ticket, case)
        else:
            await self._crm.update_ticket(ticket, case)
        for comment in case.comments[done:]:
            await self._crm.add_comment(ticket, case, comment)
            done += 1
        return ticket, done

    async def _failed(
        self, record: Record, case: Case, exc: DeliveryError, now: datetime, ticket: str | None, done: int
    ) -> None:
        attempts = int(record.data.get("attempts") or 0) + (0 if isinstance(exc, RateLimited) else 1)
        progress: dict[str, Any] = {"ticket_id": ticket, "comments_synced": done, "last_error": str(exc)}
        if isinstance(exc, PermanentFailure) or attempts >= self._settings.max_attempts:
            await self._settle(record, {**progress, "status": "failed", "attempts": attempts})
            event = AuditEvent(kind="crm_sync_failed", subject=case.id, detail={"error": str(exc)[:300]})
            await self._store.append_audit([event])
            log.error("CRM sync of case %s failed for good: %s", case.id, exc)
            self._counted("failed")
            return
        if isinstance(exc, RateLimited):
            wait = exc.retry_after
        else:
            wait = min(self._settings.max_backoff_s, self._settings.backoff_s * 2 ** (attempts - 1))
        later = (now + timedelta(seconds=wait)).isoformat()
        await self._settle(
            record, {**progress, "attempts": attempts, "next_attempt_at": later}, keep_status=True
        )
        log.warning("CRM sync of case %s: %s; retry in %.0f s", case.id, exc, wait)
        self._counted("retry")

    async def _settle(self, read: Record, fields: dict[str, Any], *, keep_status: bool = False) -> None:
        """Write the outcome; if the case changed meanwhile (marked pending again), keep it pending."""
        for _ in range(ATTEMPTS):
            current = await self._store.get_record(RecordKind.CRM_SYNC, read.id)
            if current is None:
                return
            changed = current.version != read.version
            update = dict(fields)
            if changed or keep_status:
                update.pop("status", None)
            if changed:
                update.pop("attempts", None)
                update.pop("next_attempt_at", None)
            if await self._store.cas_record(
                RecordKind.CRM_SYNC,
                read.id,
                expected_version=current.version,
                data={**current.data, **update},
            ):
                return


def _due(record: Record, now: datetime) -> bool:
    at = record.data.get("next_attempt_at")
    return at is None or datetime.fromisoformat(str(at)) <= now
