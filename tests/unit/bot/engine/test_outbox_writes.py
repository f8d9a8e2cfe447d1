"""The publisher's outbox writes: grouped while one is under way, each caller told of its own."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

import pytest

from bot.core.models import OutboxItem
from bot.engine.outbox_writes import OutboxWrites


class SlowStore:
    """Records each `update_outboxes` call; a call stays under way until `release` is set."""

    def __init__(self) -> None:
        self.calls: list[list[str]] = []
        self.release = asyncio.Event()
        self.fail = False

    async def update_outboxes(self, items: Sequence[OutboxItem]) -> None:
        self.calls.append([i.idempotency_key for i in items])
        await self.release.wait()
        if self.fail:
            raise ConnectionError("store went away")


def item(key: str) -> OutboxItem:
    return OutboxItem(idempotency_key=key, account="robot", channel="twitter", text="t")


async def test_writes_made_while_one_is_under_way_go_next_together() -> None:
    store = SlowStore()
    writes = OutboxWrites(store)  # type: ignore[arg-type]
    first = asyncio.create_task(writes.update(item("a")))
    await asyncio.sleep(0)
    later = [asyncio.create_task(writes.update(item(k))) for k in ("b", "c")]
    await asyncio.sleep(0)
    assert store.calls == [["a"]] and not first.done()  # a caller waits for its own item
    store.release.set()
    await asyncio.gather(first, *later)
    assert store.calls == [["a"], ["b", "c"]]
    await writes.update(item("d"))  # none under way: at once, alone
    assert store.calls[-1] == ["d"]


async def test_a_failed_write_reaches_every_writer_of_its_group() -> None:
    store = SlowStore()
    store.fail = True
    store.release.set()
    writes = OutboxWrites(store)  # type: ignore[arg-type]
    outcomes: list[Any] = list(
        await asyncio.gather(writes.update(item("a")), writes.update(item("b")), return_exceptions=True)
    )
    assert [type(o) for o in outcomes] == [ConnectionError, ConnectionError]
    store.fail = False
    await writes.update(item("c"))  # the next write is made as usual
    assert store.calls[-1] == ["c"]
    with pytest.raises(ConnectionError):
        store.fail = True
        await writes.update(item("d"))
