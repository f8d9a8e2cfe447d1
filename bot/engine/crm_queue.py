"""Mark a case for the CRM: the sync record that says the CRM is behind the local case.

Why a record per case and not a flag inside the case: its status column is indexed, so the sync
finds what is pending in one query, and `GET /api/v1/crm-sync?status=failed` lists the dead
letters; the case itself stays the staff's record, written by people and the pipeline.
"""

from __future__ import annotations

from typing import Any, Final

from bot.core.cases import Case
from bot.core.records import RecordKind
from bot.store.records import RecordStore

ATTEMPTS: Final = 16
SYNC_STATES: Final = ("pending", "synced", "failed", "local")


async def mark_for_sync(store: RecordStore, case: Case, *, only_if_tracked: bool = False) -> None:
    """The CRM must hear about `case` (new, changed or commented). Local cases are left alone;
    with `only_if_tracked`, so are cases the sync never took up (opened with no CRM configured)."""
    if not case.crm:
        return
    for _ in range(ATTEMPTS):
        current = await store.get_record(RecordKind.CRM_SYNC, case.id)
        if current is None and only_if_tracked:
            return
        if current is not None and current.data.get("status") == "pending":
            return
        base: dict[str, Any] = dict(current.data) if current else {"case_id": case.id, "attempts": 0}
        data = {**base, "status": "pending", "attempts": 0, "next_attempt_at": None, "channel": case.channel}
        if await store.cas_record(
            RecordKind.CRM_SYNC, case.id, expected_version=current.version if current else 0, data=data
        ):
            return
