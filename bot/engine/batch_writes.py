"""A claimed batch's write-only effects, put in one transaction when the batch ends.

Why: most effects are records that nothing in the pipeline reads back (agent-queue entries, echo
fingerprints, community replies, audit events of held replies). Written one at a time they were
a records-store round trip each, one transaction each on PostgreSQL: the larger part of the
per-message store calls. Collected per message and written together before the batch's
decisions are saved and its messages acked, they cost two calls per batch, and every guarantee
stays: nothing is acked before its writes are durable (a crash redelivers and the idempotent
effects are made again), and a message whose writes cannot be stored fails alone (its neighbours
are written one message at a time, so it reaches the dead letters without blocking them).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from bot.core.models import AuditEvent
from bot.core.records import RecordKind
from bot.store.base import Store
from bot.store.records import RecordWrite

log = logging.getLogger(__name__)

# Kinds the pipeline never reads while deciding or applying: safe to write at the batch's end.
# (Echoes are read only by the look-up made when a later batch is claimed.)
DEFERRABLE = frozenset({RecordKind.AGENT_QUEUE, RecordKind.ECHO, RecordKind.COMMUNITY_REPLY})


class BatchWrites:
    """Per-message writes of one claimed batch, in the order the effects made them."""

    def __init__(self) -> None:
        self._records: dict[str, list[RecordWrite]] = {}
        self._audit: dict[str, list[AuditEvent]] = {}

    def put(self, message_key: str, write: RecordWrite) -> None:
        self._records.setdefault(message_key, []).append(write)

    def audit(self, message_key: str, event: AuditEvent) -> None:
        self._audit.setdefault(message_key, []).append(event)

    def drop(self, message_key: str) -> None:
        """The message failed: its effects are made again when it is handed out again."""
        self._records.pop(message_key, None)
        self._audit.pop(message_key, None)

    def records_alone(self) -> list[RecordWrite] | None:
        """Every record write, in order, when the batch has no audit events (the usual batch:
        the worker then stores them with the decisions, in their transaction); else None."""
        if any(self._audit.values()):
            return None
        return [w for writes in self._records.values() for w in writes]

    def clear(self) -> None:
        """Stored (with the decisions): nothing left to flush."""
        self._records.clear()
        self._audit.clear()

    async def flush(self, store: Store) -> set[str]:
        """Write everything; returns the keys of the messages whose writes could not be stored."""
        keys = list(dict.fromkeys([*self._records, *self._audit]))
        try:
            await self._write(store, keys)
        except Exception:
            log.exception("writing a batch's effects failed; writing them one message at a time")
            failed = set()
            for key in keys:
                try:
                    await self._write(store, [key])
                except Exception:
                    log.exception("the effects of message %s could not be written", key)
                    failed.add(key)
            return failed
        finally:
            self._records.clear()
            self._audit.clear()
        return set()

    async def _write(self, store: Store, keys: Sequence[str]) -> None:
        writes = [w for key in keys for w in self._records.get(key, [])]
        events = [e for key in keys for e in self._audit.get(key, [])]
        if writes:
            await store.records.put_records(writes)
        if events:
            await store.append_audit(events)
