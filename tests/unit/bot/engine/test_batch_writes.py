"""A claimed batch's write-only effects: stored with its decisions before the ack, a bad one
fails alone (the batch's writes are then made first, one message at a time if need be).

Run on both hot paths (the records in SQLite). A watcher gives each message a community-reply
record (one of the kinds the pipeline never reads back), as the real watcher does.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from bot.core.context import MessageContext
from bot.core.effects import Effect, SaveRecord
from bot.core.models import Decision, utc_now
from bot.core.records import RecordKind
from bot.engine.effects import EffectApplier
from bot.engine.runtime import Extensions, build_pipeline
from bot.engine.worker import Worker
from bot.pipeline.guards import ReplyGuard
from bot.store.base import Store
from bot.store.records import RecordWrite
from tests.conftest import make_message, settings_for


class _Helped:
    """Every message helped someone: one community-reply record per message."""

    async def watch(self, ctx: MessageContext, decision: Decision) -> list[Effect]:
        return [SaveRecord(RecordKind.COMMUNITY_REPLY, ctx.message.key, {"message_key": ctx.message.key})]


def _worker(store: Store, tmp_path: Path) -> Worker:
    settings = settings_for(tmp_path, max_attempts=2)
    pipeline = build_pipeline(settings, store, extensions=Extensions(watchers=[_Helped()]))
    return Worker(
        "w1", store, pipeline, EffectApplier(store, ReplyGuard(store, settings.guards)), batch_size=20
    )


async def test_the_batch_s_records_are_stored_in_one_call_with_its_decisions(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[tuple[int, int]] = []
    save_decisions = store.records.save_decisions

    async def counted(decisions: Sequence[Decision], records: Sequence[RecordWrite] = ()) -> None:
        # Nothing is acked yet: a crash here redelivers, nothing is lost.
        assert await store.queue_depth() == 12
        calls.append((len(decisions), len(records)))
        await save_decisions(decisions, records)

    async def apart(_writes: Sequence[RecordWrite]) -> None:
        raise AssertionError("the records were written apart from the decisions")

    monkeypatch.setattr(store.records, "save_decisions", counted)
    monkeypatch.setattr(store.records, "put_records", apart)
    messages = [make_message(f"h{i:02d}", "gracias por la ayuda", created_at=utc_now()) for i in range(12)]
    await store.enqueue(messages)
    assert await _worker(store, tmp_path).run_once() == 12
    assert calls == [(12, 12)]
    found = await store.records.get_records(RecordKind.COMMUNITY_REPLY, [m.key for m in messages])
    assert sorted(found) == sorted(m.key for m in messages)
    assert all([await store.get_decision(m.key) is not None for m in messages])
    assert await store.queue_depth() == 0


async def test_a_message_whose_records_cannot_be_stored_fails_alone(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    put_records = store.records.put_records
    poison = make_message("bad", "gracias por la ayuda", created_at=utc_now())

    async def refusing(writes: Sequence[RecordWrite]) -> Any:
        if any(w.record_id == poison.key for w in writes):
            raise ValueError("value too long for the column")
        await put_records(writes)

    save_decisions = store.records.save_decisions

    async def refusing_together(decisions: Sequence[Decision], records: Sequence[RecordWrite] = ()) -> None:
        if any(w.record_id == poison.key for w in records):
            raise ValueError("value too long for the column")  # and nothing of the call is stored
        await save_decisions(decisions, records)

    monkeypatch.setattr(store.records, "put_records", refusing)
    monkeypatch.setattr(store.records, "save_decisions", refusing_together)
    others = [make_message(f"h{i:02d}", "gracias por la ayuda", created_at=utc_now()) for i in range(5)]
    await store.enqueue([*others[:2], poison, *others[2:]])
    worker = _worker(store, tmp_path)
    assert await worker.run_once() == 6
    assert await store.get_decision(poison.key) is None
    assert all([await store.get_decision(m.key) is not None for m in others])
    found = await store.records.get_records(RecordKind.COMMUNITY_REPLY, [m.key for m in [*others, poison]])
    assert sorted(found) == sorted(m.key for m in others)
    # Handed back, not dropped: it waits for its retry (attempt 1 of 2), the others were acked.
    assert await store.queue_depth() == 1
    assert await store.count_dead_letters() == 0
