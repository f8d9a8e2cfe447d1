"""The publisher's outbox writes, grouped: what piles up while one write is under way goes next, together.

Why: each send writes its item twice (the in-flight mark before, the outcome after), and with
several sends in flight those writes were one store call each. Here a write waits for the
store only as long as it did: it starts at once when none is under way, otherwise it joins
the next group, which starts the moment the current one ends. Each caller still returns only
once its own item is stored, so an item is marked before its send begins and its outcome is
stored before the publisher counts it, exactly as with one call per write.
"""

from __future__ import annotations

import asyncio

from bot.core.models import OutboxItem
from bot.store.base import Store


class OutboxWrites:
    """`update_outbox` for the publisher, grouped while a write is under way."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self._waiting: list[tuple[OutboxItem, asyncio.Future[None]]] = []
        self._writer: asyncio.Task[None] | None = None

    async def update(self, item: OutboxItem) -> None:
        done = asyncio.get_running_loop().create_future()
        self._waiting.append((item, done))
        if self._writer is None:
            self._writer = asyncio.create_task(self._write_groups())
        await done

    async def _write_groups(self) -> None:
        group: list[tuple[OutboxItem, asyncio.Future[None]]] = []
        try:
            while self._waiting:
                group, self._waiting = self._waiting, []
                try:
                    await self._store.update_outboxes([item for item, _ in group])
                except Exception as exc:  # every writer of the group hears it, as it would alone
                    _settle(group, exc)
                else:
                    _settle(group, None)
        except BaseException as exc:  # cancelled: nobody is left waiting for a write never made
            _settle([*group, *self._waiting], exc)
            self._waiting = []
            raise
        finally:
            self._writer = None


def _settle(group: list[tuple[OutboxItem, asyncio.Future[None]]], error: BaseException | None) -> None:
    for _, done in group:
        if done.done():
            continue
        if error is None:
            done.set_result(None)
        else:
            done.set_exception(error)
