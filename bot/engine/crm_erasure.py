"""The CRM side of an erasure: each queued ticket's requester is erased in the CRM, once.

Why a queue and not a call inside the erasure: the CRM may be down when the request comes,
and the local erasure must not wait for it nor be lost with it. `CustomerEraser` leaves a
`crm_erasure` record (ticket ids only); the CRM job works through it on the scheduler's leader,
ticket by ticket (a ticket done is never asked again), and audits the outcome. After
`max_attempts` failed passes the record is `failed`, audited, for a person to finish by hand.
"""

from __future__ import annotations

import logging
from typing import Any

from adapters.base import DeliveryError
from adapters.crm.base import CrmConnector
from bot.core.models import AuditEvent, Record
from bot.core.records import RecordKind
from bot.store.records import RecordFilter, RecordStore

log = logging.getLogger(__name__)


class CrmErasures:
    def __init__(self, store: RecordStore, crm: CrmConnector, *, max_attempts: int = 8) -> None:
        self._store = store
        self._crm = crm
        self._max_attempts = max_attempts

    async def run_once(self) -> int:
        """Work through the pending CRM erasures; returns how many records were tried."""
        page = await self._store.query_records(
            RecordFilter(RecordKind.CRM_ERASURE, status="pending"), limit=50
        )
        for record in page.items:
            await self._erase(record)
        return len(page.items)

    async def _erase(self, record: Record) -> None:
        done = list(record.data.get("done") or [])
        for ticket in record.data.get("tickets") or []:
            if ticket in done:
                continue
            try:
                await self._crm.erase_requester(str(ticket))
            except DeliveryError as exc:
                attempts = int(record.data.get("attempts") or 0) + 1
                status = "failed" if attempts >= self._max_attempts else "pending"
                await self._settle(record, {"done": done, "attempts": attempts, "status": status}, str(exc))
                return
            done.append(ticket)
        await self._settle(record, {"done": done, "status": "done"})

    async def _settle(self, record: Record, change: dict[str, Any], error: str | None = None) -> None:
        data = {**record.data, **change, **({"last_error": error[:300]} if error else {})}
        if not await self._store.cas_record(
            RecordKind.CRM_ERASURE, record.id, expected_version=record.version, data=data
        ):
            return  # another pass got there first; it settles the record itself
        if data["status"] != "pending":
            detail = {"crm": self._crm.name, "tickets": data["done"], "error": error}
            event = AuditEvent(kind=f"crm_erasure_{data['status']}", subject=record.id, detail=detail)
            await self._store.append_audit([event])
        elif error:
            log.warning("CRM erasure for %s will be retried: %s", record.id, error)
