"""The outbox publisher: delivers queued items through their channel's adapter, once.

Why an outbox: deciding and publishing fail independently. The decision is kept even when the
platform is down; delivery retries with exponential backoff, honours 429 Retry-After, and when
the outcome is unknown (the connection dropped after the request went out) it stops and asks a
person (`needs_review`) rather than risk publishing the same reply twice.

The same holds when the publisher itself dies mid-send: before each send the item is marked
(`attempt_started_at`, next attempt pushed to the end of the lease) in the store, and every
outcome clears the mark. An item found still marked when its lease lapses was sent, or maybe
sent, by a process that crashed or lost its store before recording the outcome: it becomes
`needs_review`, never a blind second post.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta

from adapters.base import (
    Adapter,
    OutcomeUnknown,
    PermanentFailure,
    RateLimited,
    TemporaryFailure,
    WindowExpired,
)
from bot.core.models import AuditEvent, OutboxItem, utc_now
from bot.engine.outbox_writes import OutboxWrites
from bot.pipeline.guards import kill_switch_on
from bot.store.base import Store

log = logging.getLogger(__name__)
ONE_TIME_SENT = "[one-time code sent]"

SEND_LEASE = timedelta(seconds=60)
WINDOW_EXPIRED = "window expired"
"""How `last_error` of an item refused by a closed messaging window begins (API and CLI show it)."""


class Publisher:
    """Sends due outbox items; safe to run in several processes (the records store leases each
    item to one publisher)."""

    def __init__(
        self,
        store: Store,
        adapters: Mapping[str, Adapter],
        *,
        max_attempts: int = 6,
        base_backoff_s: float = 2.0,
        parallel_sends: int = 8,
        clock: Callable[[], datetime] = utc_now,
        send_lease: timedelta = SEND_LEASE,
    ) -> None:
        self._store = store
        self._writes = OutboxWrites(store)  # the sends' marks and outcomes, grouped
        self._adapters = adapters
        self._max_attempts = max_attempts
        self._base_backoff_s = base_backoff_s
        self._parallel_sends = parallel_sends
        self._clock = clock
        self._lease = send_lease
        self._owner = f"publisher-{uuid.uuid4().hex[:12]}"
        self.wake = asyncio.Event()
        # Passes in one process take turns: a pass started while another is sending would find
        # that pass's items leased and skip them, so "nothing left" could not be trusted.
        self._pass = asyncio.Lock()

    async def run_once(self, limit: int = 100) -> int:
        """Try every due item once; returns how many reached a final state."""
        async with self._pass:
            return await self._run_pass(limit)

    async def _run_pass(self, limit: int) -> int:
        now = self._clock()
        paused = await kill_switch_on(self._store)
        # One lease per item in the records store (FOR UPDATE SKIP LOCKED on PostgreSQL): each
        # due item goes to one publisher of all replicas; settling it ends the lease.
        leased = await self._store.lease_outbox(
            now, limit, owner=self._owner, lease_s=self._lease.total_seconds()
        )
        held = [i for i in leased if paused and i.account == "robot"]
        if held:  # held robot items stay pending (not dropped) until the switch is released
            await self._store.update_outboxes(held)
        due = [i for i in leased if not (paused and i.account == "robot")]
        limit_sends = asyncio.Semaphore(self._parallel_sends)

        async def attempt(item: OutboxItem) -> int:
            async with limit_sends:
                return await self._deliver(item, now)

        return sum(await asyncio.gather(*(attempt(item) for item in due)))

    async def run(self, stop: asyncio.Event, idle_s: float = 0.25) -> None:
        """Publish until `stop` is set, waking early when new items arrive."""
        while not stop.is_set():
            # Cleared before the pass, so an item queued during the pass wakes the next one
            # at once instead of waiting out the idle timeout.
            self.wake.clear()
            try:
                await self.run_once()
            except Exception:
                log.exception("outbox publisher pass failed; retrying")
            if self.wake.is_set():
                continue
            waiters = [asyncio.ensure_future(stop.wait()), asyncio.ensure_future(self.wake.wait())]
            await asyncio.wait(waiters, timeout=idle_s, return_when=asyncio.FIRST_COMPLETED)
            for waiter in waiters:
                waiter.cancel()

    async def _deliver(self, item: OutboxItem, now: datetime) -> int:
        adapter = self._adapters.get(item.channel) or self._adapters.get("*")
        attempts = item.attempts + 1
        if adapter is None:
            return await self._finish(item, "failed", attempts, f"no adapter for channel {item.channel}")
        if item.attempt_started_at is not None:
            started = item.attempt_started_at.isoformat()
            return await self._finish(
                item,
                "needs_review",
                item.attempts,
                f"an attempt started at {started} and its outcome was never recorded (crash or "
                "store error after sending): check the platform before publishing again",
            )
        marked = {"attempt_started_at": now, "next_attempt_at": now + self._lease, "updated_at": utc_now()}
        await self._writes.update(item.model_copy(update=marked))
        try:
            receipt = await adapter.send(item)
        except RateLimited as exc:
            # `retry_after` counts from the platform's answer, not from this pass's start: the
            # store calls and the request before it would otherwise bring the retry that much
            # before the platform's reset (a 429 again, seen by 3 ms in a test).
            retry_at = self._clock() + timedelta(seconds=exc.retry_after)
            return await self._retry(item, attempts, retry_at, str(exc), count=False)
        except TemporaryFailure as exc:
            if attempts >= self._max_attempts:
                return await self._finish(
                    item, "failed", attempts, f"gave up after {attempts} attempts: {exc}"
                )
            delay = self._base_backoff_s * 2 ** (attempts - 1)
            return await self._retry(item, attempts, now + timedelta(seconds=delay), str(exc))
        except WindowExpired as exc:
            # Not a fault of ours nor of the platform: only a person (with a template or a tag)
            # can still reach the customer, so the item says so and the audit names it apart.
            return await self._finish(
                item, "failed", attempts, f"{WINDOW_EXPIRED}: {exc}", audit_kind="outbox_window_expired"
            )
        except PermanentFailure as exc:
            return await self._finish(item, "failed", attempts, str(exc))
        except OutcomeUnknown as exc:
            return await self._finish(item, "needs_review", attempts, str(exc))
        except Exception as exc:
            log.exception("adapter %s raised unexpectedly", adapter.name)
            return await self._finish(item, "needs_review", attempts, f"unexpected error: {exc!r}")
        outcome: dict[str, object] = {"status": "published", "attempts": attempts, "receipt": receipt}
        if (item.payload or {}).get("one_time"):
            outcome["text"] = ONE_TIME_SENT  # a one-time code is not kept once it has left
        done = item.model_copy(update={**outcome, "attempt_started_at": None, "updated_at": utc_now()})
        await self._writes.update(done)
        return 1

    async def _retry(
        self, item: OutboxItem, attempts: int, at: datetime, error: str, *, count: bool = True
    ) -> int:
        update = {
            "attempts": attempts if count else item.attempts,
            "next_attempt_at": at,
            "last_error": error,
            "attempt_started_at": None,
        }
        await self._writes.update(item.model_copy(update={**update, "updated_at": utc_now()}))
        return 0

    async def _finish(
        self, item: OutboxItem, status: str, attempts: int, error: str, *, audit_kind: str | None = None
    ) -> int:
        outcome = {"status": status, "attempts": attempts, "last_error": error}
        final = item.model_copy(update={**outcome, "attempt_started_at": None, "updated_at": utc_now()})
        await self._writes.update(final)
        detail = {"status": status, "error": error, "channel": item.channel}
        await self._store.append_audit(
            [AuditEvent(kind=audit_kind or "outbox_" + status, subject=item.idempotency_key, detail=detail)]
        )
        log.warning("outbox item %s is %s: %s", item.idempotency_key, status, error)
        return 1
