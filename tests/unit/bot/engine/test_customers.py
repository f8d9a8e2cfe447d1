"""Customers: linked identities join the customer's case on any channel, the preferred
language wins, merges keep every identity, and an erasure leaves no personal data behind."""

from __future__ import annotations

from bot.core.context import MessageContext
from bot.core.customers import Customer, Identity
from bot.core.effects import SaveRecord
from bot.core.models import Author, Decision, InboundMessage, OutboxItem
from bot.core.records import RecordKind
from bot.engine.case_lifecycle import CaseLifecycle
from bot.engine.cases import CaseBook
from bot.engine.customers import CustomerBook, customer_of
from bot.engine.erasure import CustomerEraser
from bot.pipeline.community_replies import CommunityReplyWatcher
from bot.store.records import Filters, RecordStore
from bot.store.sql.store import SqlRecordStore
from tests.records_dump import records_database_text
from tests.unit.bot.engine.case_drafts import T0, draft

PERSONAL = ("Ana Pérez", "ana@example.com", "+34600111222", "CT-778899", "@ana", "34600111222", "texto")


def _sent(key: str, message_key: str, recipient: str, text: str, target: str | None = None) -> OutboxItem:
    """A reply or mail to her, as the outbox keeps it (channel from the key's message)."""
    channel = message_key.split(":", 1)[0] if target else "email"
    return OutboxItem(
        idempotency_key=key,
        account="robot",
        channel=channel,
        target=target,
        recipient=recipient,
        text=text,
        message_key=message_key,
        created_at=T0,
    )


async def _ana(records: RecordStore) -> CustomerBook:
    book = CustomerBook(records)
    ana = Customer(
        id="K-1",
        name="Ana Pérez",
        email="ana@example.com",
        phone="+34600111222",
        contract_number="CT-778899",
        preferred_language="pt",
        identities=[Identity(channel="twitter", handle="@ana")],
    )
    assert (await book.upsert(ana)).ok
    return book


async def test_after_linking_whatsapp_the_same_customer_joins_the_same_case(records: RecordStore) -> None:
    cases = CaseBook(records)
    opened = await cases.open_or_join(draft("t1"))  # before the customer is known
    book = await _ana(records)  # the import links @ana: her open case comes along
    assert (await book.link("K-1", Identity(channel="whatsapp", handle="34600111222"))).ok
    joined = await cases.open_or_join(draft("w1", "34600111222", channel="whatsapp"))
    assert joined.outcome == "joined" and joined.case.id == opened.case.id
    assert joined.language == "pt"  # her preferred language wins over the message's (es)
    found = await customer_of(records, "whatsapp", "34600111222")
    assert found is not None and found.id == "K-1"


async def test_an_identity_belongs_to_one_customer_and_unlinks(records: RecordStore) -> None:
    book = await _ana(records)
    await book.upsert(Customer(id="K-2", name="Bo"))
    assert (await book.link("K-2", Identity(channel="twitter", handle="@ANA"))).outcome == "refused"
    assert (await book.unlink("K-1", Identity(channel="twitter", handle="ana"))).ok
    assert await customer_of(records, "twitter", "@ana") is None
    assert (await book.link("K-2", Identity(channel="twitter", handle="@ana"))).ok


async def test_merging_keeps_every_identity_and_fills_missing_fields(records: RecordStore) -> None:
    book = await _ana(records)
    await book.upsert(Customer(id="K-9", identities=[Identity(channel="email", handle="ana@work.example")]))
    merged = await book.merge("K-1", "K-9")
    assert merged.ok and merged.customer is not None
    assert {i.id for i in merged.customer.identities} == {"email:ana@work.example", "twitter:ana"}
    assert merged.customer.email == "ana@example.com" and merged.customer.preferred_language == "pt"
    found = await customer_of(records, "twitter", "@ana")
    assert found is not None and found.id == "K-9"
    assert (await book.merge("K-1", "K-1")).outcome == "refused"


async def _helpful_reply(records: RecordStore, author: str, to: str, n: int) -> None:
    """What the pipeline's community-reply watcher records when `author` replies to `to`."""
    answered = InboundMessage(id=f"q{n}", channel="twitter", created_at=T0, author=Author(handle=to))
    reply = InboundMessage(
        id=f"r{n}", channel="twitter", created_at=T0, author=Author(handle=author), in_reply_to=answered.id
    )
    decision = Decision(message_key=reply.key, action="monitor", reason="r", rule="x", author=author)

    async def find(key: str) -> InboundMessage | None:
        return answered if key == answered.key else None

    (effect,) = await CommunityReplyWatcher(find).watch(MessageContext(message=reply, now=T0), decision)
    assert isinstance(effect, SaveRecord)
    await records.put_record(effect.kind, effect.record_id, effect.data)


async def test_an_erased_customer_leaves_no_personal_data_in_the_database(records: RecordStore) -> None:
    assert isinstance(records, SqlRecordStore)
    cases = CaseBook(records)
    opened = await cases.open_or_join(draft("t1"))
    book = await _ana(records)
    await book.link("K-1", Identity(channel="whatsapp", handle="34600111222"))
    await cases.open_or_join(draft("w1", "34600111222", channel="whatsapp"))
    await CaseLifecycle(records).add_note(opened.case.id, "llamé a Ana Pérez al +34600111222", actor="eva")
    await records.add_outbox(
        [_sent("case_ack:twitter:t1:robot", "twitter:t1", "@ana", "@ana texto", target="t1")]
    )
    await _helpful_reply(records, "@ana", "bea", 1)  # her reply that helped bea (the People view)
    await _helpful_reply(records, "bea", "@ana", 2)  # bea's, kept
    erasure = await CustomerEraser(records).erase("K-1", actor="api:dpo")
    assert erasure.found and erasure.cases == 1 and erasure.identities == 2 and erasure.outbox_items == 1

    everything = await records_database_text(records)
    for value in PERSONAL:
        assert value not in everything, value
    assert await records.get_record(RecordKind.COMMUNITY_REPLY, "twitter:r2") is not None
    assert await records.get_record(RecordKind.COMMUNITY_REPLY, "twitter:r1") is None
    assert await records.get_record(RecordKind.CUSTOMER, "K-1") is not None  # the tombstone
    [event] = (await records.query_audit(Filters({"kind": "customer_erased"}))).items
    assert event.subject == "K-1" and event.actor == "api:dpo"
    assert (await CustomerEraser(records).erase("K-404", actor="t")).found is False


async def test_erasure_reaches_the_code_flow_and_queues_the_crm_side_for_tickets_it_has(
    records: RecordStore,
) -> None:
    from bot.core.self_id import Challenge, lookup_key

    opened = await CaseBook(records).open_or_join(draft("t1"))
    await _ana(records)
    assert await records.get_record(RecordKind.CUSTOMER_KEY, lookup_key("contract", "CT778899")) is not None
    await records.put_record(RecordKind.CRM_SYNC, opened.case.id, {"status": "synced", "ticket_id": 35436})
    # Someone asked for a code on WhatsApp for her contract; the mail went to her address.
    challenge = Challenge(
        customer_id="K-1", code_hash="h", salt="s", message_key="whatsapp:w1", expires_at=T0
    )
    await records.put_record(RecordKind.SELF_ID_CHALLENGE, "whatsapp:34600111222", challenge.data())
    await records.put_record(RecordKind.SELF_ID_MESSAGE, "whatsapp:w1", {"customer_id": "K-1"})
    code = "Seu código de verificação é 123456"
    await records.add_outbox([_sent("self_id_code:whatsapp:w1", "whatsapp:w1", "ana@example.com", code)])

    erasure = await CustomerEraser(records).erase("K-1", actor="api:dpo")
    assert erasure.crm_tickets == 1 and erasure.outbox_items == 1
    everything = await records_database_text(records)
    for value in (*PERSONAL, "123456"):
        assert value not in everything, value
    for kind in (RecordKind.SELF_ID_CHALLENGE, RecordKind.SELF_ID_MESSAGE):
        assert await records.count_records(kind) == 0
    assert await records.count_records(RecordKind.CUSTOMER_KEY) == 0
    queued = await records.get_record(RecordKind.CRM_ERASURE, "K-1")
    assert queued is not None and queued.data == {
        "customer_id": "K-1",
        "status": "pending",
        "tickets": ["35436"],
    }
    [event] = (await records.query_audit(Filters({"kind": "crm_erasure_queued"}))).items
    assert event.subject == "K-1"
