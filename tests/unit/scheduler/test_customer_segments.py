"""Segments from the customer records: tags and `region:`/`plan:`/`community:` entries choose,
private identities only, live customers only, their language, their last private message."""

from __future__ import annotations

from datetime import timedelta

from bot.core.customers import Customer, Identity
from bot.core.digests import person_digest
from bot.core.records import RecordKind
from bot.engine.customers import CustomerBook
from bot.engine.erasure import CustomerEraser
from bot.store.base import Store
from scheduler.campaign_book import CampaignBook
from scheduler.campaign_file import CampaignSegment
from scheduler.campaign_runner import CampaignRunner
from scheduler.customer_segments import CustomerSegmentSource
from tests.unit.scheduler.campaign_rig import Clock
from tests.unit.scheduler.test_segments import SEGMENT_CAMPAIGN, STEP

NAUTICO_MADRID = ["nautico", "region:Madrid", "plan:fibra-600"]


def customer(
    cid: str, *identities: tuple[str, str], segments: list[str] | None = None, lang: str = "es"
) -> Customer:
    return Customer(
        id=cid,
        preferred_language=lang,
        segments=NAUTICO_MADRID if segments is None else segments,
        identities=[Identity(channel=c, handle=h) for c, h in identities],
    )


async def wrote(store: Store, channel: str, handle: str, hours_ago: float) -> None:
    at = (STEP - timedelta(hours=hours_ago)).isoformat()
    await store.records.put_record(
        RecordKind.CONTACT, person_digest(channel, handle), {"channel": channel, "at": at}
    )


async def test_members_follow_the_customer_records(store: Store) -> None:
    book = CustomerBook(store.records)
    for c in (
        customer("K-1", ("whatsapp", "+34600000001"), ("twitter", "@uno")),
        customer("K-2", ("whatsapp", "+34600000002"), lang="en"),
        customer("K-3", ("twitter", "@solo_publico")),  # public identities only
        customer("K-4", ("whatsapp", "+34600000004"), segments=["nautico", "region:Barcelona"]),
        customer("K-5", ("whatsapp", "+34600000005"), segments=["nautico", "region:Madrid", "plan:movil"]),
        customer("K-6", ("whatsapp", "+34600000006")),
    ):
        assert (await book.upsert(c)).ok
    assert (await book.merge("K-6", "K-1")).ok  # a merged customer is reached through the one it joined
    await wrote(store, "whatsapp", "+34600000001", hours_ago=1)
    source = CustomerSegmentSource(store, default_lang="es")

    chosen = await source.members(CampaignSegment(tags=["nautico"], regions=["madrid"]), "whatsapp")
    assert sorted((p.handle, p.lang, p.plan) for p in chosen) == [
        ("+34600000001", "es", "fibra-600"),
        ("+34600000002", "en", "fibra-600"),
        ("+34600000005", "es", "movil"),
        ("+34600000006", "es", "fibra-600"),
    ]
    by_handle = {p.handle: p for p in chosen}
    assert by_handle["+34600000001"].last_message_at == STEP - timedelta(hours=1)
    assert by_handle["+34600000002"].last_message_at is None  # never wrote: the window is closed
    assert by_handle["+34600000001"].tags == frozenset({"nautico"})

    plans = await source.members(CampaignSegment(plans=["fibra-600"], languages=["en"]), "whatsapp")
    assert [p.handle for p in plans] == ["+34600000002"]
    assert await source.members(CampaignSegment(tags=["nautico"]), "twitter") == []  # never in public
    assert await source.members(CampaignSegment(audience="followers"), "whatsapp") == []


async def test_erased_customers_are_not_members_and_their_contact_times_go(store: Store) -> None:
    book = CustomerBook(store.records)
    assert (await book.upsert(customer("K-1", ("whatsapp", "+34600000001")))).ok
    await wrote(store, "whatsapp", "+34600000001", hours_ago=1)
    assert len(await CustomerSegmentSource(store).members(CampaignSegment(), "whatsapp")) == 1
    assert (await CustomerEraser(store.records).erase("K-1", actor="dpo")).found
    assert await CustomerSegmentSource(store).members(CampaignSegment(), "whatsapp") == []
    assert await store.get_record(RecordKind.CONTACT, person_digest("whatsapp", "+34600000001")) is None


async def test_a_segment_step_reaches_the_right_customers_once(store: Store) -> None:
    book = CustomerBook(store.records)
    people = {
        "K-1": ("+34600000001", 2.0),  # in the segment, wrote 2 h ago
        "K-2": ("+34600000002", 3.0),  # opted out
        "K-3": ("+34600000003", 30.0),  # last wrote 30 h ago: the 24 h window is closed
    }
    for cid, (phone, hours_ago) in people.items():
        assert (await book.upsert(customer(cid, ("whatsapp", phone)))).ok
        await wrote(store, "whatsapp", phone, hours_ago)
    assert (await book.upsert(customer("K-4", ("twitter", "@publico")))).ok
    opted = {"status": "opted_out", "channel": "whatsapp"}
    await store.records.put_record(RecordKind.OPT_OUT, person_digest("whatsapp", "+34600000002"), opted)

    clock = Clock(STEP)
    campaigns = CampaignBook(store, clock=clock, segments=True)
    runner = CampaignRunner(store, campaigns, clock=clock, segments=CustomerSegmentSource(store))
    assert (await campaigns.define(SEGMENT_CAMPAIGN, actor="marta", source="test")).ok
    assert (await campaigns.act("nautico", "approve", actor="jefa")).ok
    report = await runner.sweep()
    items = [i for k in report.enqueued if (i := await store.get_outbox(k)) is not None]
    assert [(i.recipient, i.channel, i.text) for i in items] == [
        ("+34600000001", "whatsapp", "Socios del club: fibra al 50%.")
    ]
    clock.now = STEP + timedelta(minutes=5)
    assert (await runner.sweep()).enqueued == []
