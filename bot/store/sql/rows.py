"""Models ↔ rows: which fields of an object become the indexed columns beside its JSON.

Why here and not in SQL (generated columns, JSON operators): the extraction is the same Python
on both engines, it runs once per write, and the migration of an old file fills the new columns
with exactly the same function.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from bot.core.models import AuditEvent, Decision, OutboxItem, Record


def ts(at: datetime) -> float:
    return at.timestamp()


def from_ts(value: float) -> datetime:
    return datetime.fromtimestamp(value, UTC)


def channel_of_key(message_key: str) -> str | None:
    """Message keys are `channel:id`."""
    channel, sep, _ = message_key.partition(":")
    return channel if sep else None


def record_columns(data: dict[str, Any]) -> dict[str, Any]:
    """The indexed columns of a record, from its data.

    `customer` is the CRM id when known, else the author's handle: a case by customer must find
    the cases of a person the CRM does not know yet. `key` is the message the record is about;
    `priority` is a case's (the case list filters on it).
    """
    customer = data.get("customer_id") or data.get("customer") or data.get("author")
    key = data.get("message_key") or data.get("key")
    status, channel, priority = data.get("status"), data.get("channel"), data.get("priority")
    return {
        "status": str(status)[:64] if status is not None else None,
        "customer": str(customer)[:256] if customer else None,
        "channel": str(channel)[:32] if channel else None,
        "key": str(key)[:512] if key else None,
        "priority": str(priority)[:16] if isinstance(priority, str) and priority else None,
    }


def record_json(data: dict[str, Any]) -> str:
    """Data as stored: datetimes and other values JSON cannot hold become strings."""
    return json.dumps(data, default=str, separators=(",", ":"), ensure_ascii=False)


def record_from_row(kind: str, rid: str, version: int, created: float, updated: float, body: str) -> Record:
    return Record(
        kind=kind,
        id=rid,
        version=version,
        data=json.loads(body),
        created_at=from_ts(created),
        updated_at=from_ts(updated),
    )


def decision_row(d: Decision) -> dict[str, Any]:
    return {
        "key": d.message_key,
        "action": d.action,
        "decided_at": ts(d.decided_at),
        "body": d.model_dump_json(),
        "channel": channel_of_key(d.message_key),
    }


def outbox_row(item: OutboxItem) -> dict[str, Any]:
    return {
        "key": item.idempotency_key,
        "status": item.status,
        "next_attempt_at": ts(item.next_attempt_at),
        "created_at": ts(item.created_at),
        "body": item.model_dump_json(),
        "channel": item.channel,
        "message_key": item.message_key,
        "attempt_started_at": ts(item.attempt_started_at) if item.attempt_started_at else None,
    }


def audit_row(event: AuditEvent) -> dict[str, Any]:
    return {
        "kind": event.kind,
        "at": ts(event.at),
        "body": event.model_dump_json(),
        "subject": event.subject[:512],
        "actor": event.actor[:256],
    }
