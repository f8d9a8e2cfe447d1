"""Showing an acknowledgement on the alert record itself, where `GET /api/v1/alerts` reads it.

The war-room keeps who acknowledged what in its own record (`state.py`), so a detector's
rewrite of a growing spike can never lose it; but `GET /api/v1/alerts` lists the alert records,
which therefore said `"status": "open"`, version 1, after a `POST alerts/{id}/ack` answered 200.
The acknowledgement is now also merged into the alert (compare-and-set, so the version grows),
and spike updates merge their figures without resetting the status (`bot/spike_watch.py`).
"""

from __future__ import annotations

from bot.core.alerts import Alert
from bot.core.records import RecordKind
from bot.store.base import Store

CAS_ATTEMPTS = 20


async def mark_alert_acknowledged(store: Store, alert_id: str, *, by: str, at: str) -> bool:
    """Set `status: acknowledged` (with who and when) on an open alert; False if there is none.

    A closed alert stays closed (its spike is over) but still records who acknowledged it.
    """
    for _ in range(CAS_ATTEMPTS):
        record = await store.get_record(RecordKind.ALERT, alert_id)
        if record is None:
            return False
        alert = Alert.from_record(record)
        if alert.acknowledged_by:
            return True
        alert.acknowledged_by, alert.acknowledged_at = by, at
        if alert.status == "open":
            alert.status = "acknowledged"
        if await store.cas_record(
            RecordKind.ALERT, alert_id, expected_version=record.version, data=alert.data()
        ):
            return True
    raise RuntimeError(f"alert {alert_id} kept changing under us")
