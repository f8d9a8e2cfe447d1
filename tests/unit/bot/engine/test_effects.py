"""Effects that change existing records: compare-and-set, idempotent, absent records left alone."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest

from bot.config import GuardSettings
from bot.core.cases import Case
from bot.core.context import MessageContext
from bot.core.effects import AppendToRecord, Effect, LinkCaseToIncident, MergeIntoRecord, OpenCase, Reply
from bot.core.models import Decision, InboundMessage
from bot.engine.cases import CaseBook, CaseResult
from bot.engine.effects import EffectApplier
from bot.pipeline.guards import ReplyGuard
from bot.pipeline.pipeline import Outcome
from bot.store.base import Store
from tests.conftest import make_message
from tests.unit.bot.engine.case_drafts import draft

NOW = datetime(2026, 5, 21, 10, tzinfo=UTC)


async def apply(store: Store, *effects: Effect) -> None:
    ctx = MessageContext(message=make_message(created_at=NOW), now=NOW)
    decision = Decision(message_key=ctx.message.key, action="monitor", reason="r", rule="x")
    await EffectApplier(store, ReplyGuard(store, GuardSettings())).apply(
        Outcome(ctx, decision, list(effects))
    )


async def test_merge_sets_missing_fields_only(store: Store) -> None:
    await store.put_record("case", "C-1", {"status": "open", "incident_id": None})
    await store.put_record("case", "C-2", {"status": "open", "incident_id": "spike:old"})
    await apply(
        store,
        MergeIntoRecord("case", "C-1", {"incident_id": "spike:new"}),
        MergeIntoRecord("case", "C-2", {"incident_id": "spike:new"}),
        MergeIntoRecord("case", "C-missing", {"incident_id": "spike:new"}),
    )
    one, two = await store.get_record("case", "C-1"), await store.get_record("case", "C-2")
    assert one is not None and one.data == {"status": "open", "incident_id": "spike:new"}
    assert two is not None and two.data["incident_id"] == "spike:old"
    assert await store.get_record("case", "C-missing") is None


async def test_append_is_idempotent_per_item_key(store: Store) -> None:
    await store.put_record("alert", "a1", {"kind": "crisis"})
    item = {"key": "twitter:r1", "action": "monitor"}
    await apply(store, AppendToRecord("alert", "a1", "related_messages", item))
    await apply(store, AppendToRecord("alert", "a1", "related_messages", item))  # redelivery
    await apply(store, AppendToRecord("alert", "a1", "related_messages", {"key": "twitter:r2"}))
    record = await store.get_record("alert", "a1")
    assert record is not None
    assert [i["key"] for i in record.data["related_messages"]] == ["twitter:r1", "twitter:r2"]
    assert record.data["kind"] == "crisis"


async def test_open_case_acknowledges_what_happened_and_links_incidents_through_the_message(
    store: Store,
) -> None:
    async def open_case(key: str) -> None:
        msg = make_message(key, created_at=NOW)
        ctx = MessageContext(message=msg, now=NOW, language="es")
        decision = Decision(message_key=msg.key, action="case", reason="r", rule="x")
        effect = OpenCase(case=draft(key, at=NOW), ack_public=True)
        await EffectApplier(store, ReplyGuard(store, GuardSettings())).apply(Outcome(ctx, decision, [effect]))

    await open_case("k1")
    await open_case("k2")
    first = await store.get_outbox("case_ack:twitter:k1:robot")
    second = await store.get_outbox("case_ack:twitter:k2:robot")
    assert first is not None and "Hemos abierto el caso C-1001" in first.text
    assert second is not None and "Seguimos con tu caso C-1001" in second.text
    links = [LinkCaseToIncident(key, "spike:9") for key in ("twitter:k2", "twitter:nope")]
    await apply(store, *links)
    case = await store.get_record("case", "C-1001")
    assert case is not None and case.data["incident_id"] == "spike:9"
    assert case.data["crm"] is False  # part of an outage: no CRM ticket of its own


async def test_append_waits_for_a_record_another_worker_is_still_creating(store: Store) -> None:
    """Two replicas: the crisis is saved by one while the other already appends a reply to it."""

    async def create_later() -> None:
        await asyncio.sleep(0.05)
        await store.put_record("alert", "crisis:1", {"kind": "crisis"})

    creating = asyncio.create_task(create_later())
    item = {"key": "twitter:reply", "action": "monitor"}
    await apply(store, AppendToRecord("alert", "crisis:1", "related_messages", item, await_record=True))
    await creating
    record = await store.get_record("alert", "crisis:1")
    assert record is not None and record.data["related_messages"] == [item]


class CountingGuard(ReplyGuard):
    """The real guard, counting how often a reply is put to it."""

    asked = 0

    async def blocked(self, ctx: MessageContext) -> str | None:
        self.asked += 1
        return await super().blocked(ctx)


async def test_a_claimed_batch_knows_which_replies_its_messages_already_queued(store: Store) -> None:
    # k1's reply was queued by an earlier delivery; k2 has none yet. One look-up for the batch.
    old, new = make_message("k1", created_at=NOW), make_message("k2", created_at=NOW)
    guard = CountingGuard(store, GuardSettings())
    applier = EffectApplier(store, guard)
    first = Reply(account="robot", text="uno dos tres cuatro", purpose="answer")
    await applier.apply(Outcome(MessageContext(message=old, now=NOW), _decision(old), [first]))
    assert guard.asked == 1

    applier = EffectApplier(store, guard)  # a fresh process: nothing remembered but the store
    applier.prefetch([old, new])
    single = store.get_outbox

    async def no_single_look_up(key: str) -> None:
        raise AssertionError(f"asked the store for {key} alone")

    store.get_outbox = no_single_look_up  # type: ignore[method-assign, assignment]
    for msg in (old, new):
        twice: list[Effect] = [first, first]  # the same reply asked twice while the message is applied
        await applier.apply(Outcome(MessageContext(message=msg, now=NOW), _decision(msg), twice))
    assert guard.asked == 2  # only k2's reply, once: k1's was queued, k2's second is its first
    store.get_outbox = single  # type: ignore[method-assign]
    assert (await store.outbox_keys_of(["twitter:k1", "twitter:k2", "twitter:k3"])) == {
        "answer:twitter:k1:robot",
        "answer:twitter:k2:robot",
    }


def _decision(msg: InboundMessage) -> Decision:
    return Decision(message_key=msg.key, action="answer", reason="r", rule="x")


class WaitingCaseBook(CaseBook):
    """The real case book, which opens the case only once the guard was asked (or fails then)."""

    def __init__(self, store: Store, asked: asyncio.Event, *, fail: bool = False) -> None:
        super().__init__(store.records)
        self._asked = asked
        self._fail = fail

    async def open_or_join(self, draft: Case) -> CaseResult:
        await self._asked.wait()
        if self._fail:
            raise RuntimeError("case store down")
        return await super().open_or_join(draft)


class SignallingGuard(CountingGuard):
    answered = 0

    def __init__(self, store: Store, asked: asyncio.Event) -> None:
        super().__init__(store, GuardSettings())
        self._asked_event = asked

    async def blocked(self, ctx: MessageContext) -> str | None:
        self._asked_event.set()
        reason = await super().blocked(ctx)
        self.answered += 1
        return reason


def _case_outcome(key: str) -> Outcome:
    msg = make_message(key, created_at=NOW)
    decision = Decision(message_key=msg.key, action="case", reason="r", rule="x")
    effect = OpenCase(case=draft(key, at=NOW), ack_public=True)
    return Outcome(MessageContext(message=msg, now=NOW, language="es"), decision, [effect])


async def test_a_case_acknowledgement_is_guarded_while_its_case_is_written(store: Store) -> None:
    # The case book waits for the guard: were they asked one after the other, this would hang.
    asked = asyncio.Event()
    guard = SignallingGuard(store, asked)
    applier = EffectApplier(store, guard, WaitingCaseBook(store, asked))
    await asyncio.wait_for(applier.apply(_case_outcome("k1")), timeout=5)
    ack = await store.get_outbox("case_ack:twitter:k1:robot")
    assert ack is not None and "Hemos abierto el caso C-1001" in ack.text
    assert guard.asked == 1

    # A redelivery whose acknowledgement is queued: the case is found again, the guard not asked.
    asked.set()
    applier.prefetch([make_message("k1", created_at=NOW)])
    await applier.apply(_case_outcome("k1"))
    assert guard.asked == 1
    assert await store.outbox_keys_of(["twitter:k1"]) == {"case_ack:twitter:k1:robot"}


async def test_a_failed_case_leaves_no_guard_answer_running(store: Store) -> None:
    asked = asyncio.Event()
    guard = SignallingGuard(store, asked)
    applier = EffectApplier(store, guard, WaitingCaseBook(store, asked, fail=True))
    with pytest.raises(RuntimeError, match="case store down"):
        await asyncio.wait_for(applier.apply(_case_outcome("k1")), timeout=5)
    assert (guard.asked, guard.answered) == (1, 1)  # waited for before the failure went up
    assert await store.get_outbox("case_ack:twitter:k1:robot") is None
