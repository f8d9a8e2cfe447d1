"""A segment campaign through the whole service: customers from the records, their private
messages through the pipeline (which records when they wrote, and an opt-out), the campaign
defined and approved through the API, and the leader writing to the right customers once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bot.core.customers import Customer, Identity
from bot.core.digests import person_digest
from bot.core.records import RecordKind
from bot.engine.customers import CustomerBook
from bot.web.app import STORE, create_app
from tests.conftest import eventually, make_message, settings_for
from tests.scenario.test_campaign_service import AUTH, ClientFactory, due_campaign


def segment_campaign(now: datetime) -> dict[str, Any]:
    """The service test's campaign, its first step only (due two minutes ago), to a segment."""
    due = due_campaign(now)
    segment = {"tags": ["nautico"], "regions": ["Madrid"]}
    return {**due, "id": "club", "channels": ["whatsapp"], "segment": segment, "steps": due["steps"][:1]}


async def test_a_segment_campaign_reaches_the_right_customers_once(
    aiohttp_client: ClientFactory, tmp_path: Path
) -> None:
    client = await aiohttp_client(
        create_app(settings_for(tmp_path, scheduler={"sweep_s": 0.1, "lease_s": 5}))
    )
    store = client.app[STORE]
    book = CustomerBook(store.records)
    phones = {"K-1": "+34600000001", "K-2": "+34600000002", "K-3": "+34600000003"}
    for cid, phone in phones.items():
        lang = "en" if cid == "K-2" else "es"
        member = Customer(
            id=cid,
            preferred_language=lang,
            segments=["nautico", "region:Madrid"],
            identities=[Identity(channel="whatsapp", handle=phone)],
        )
        assert (await book.upsert(member)).ok
    public_only = Customer(
        id="K-4",
        segments=["nautico", "region:Madrid"],
        identities=[Identity(channel="twitter", handle="@k4")],
    )
    assert (await book.upsert(public_only)).ok
    wrote = datetime.now(UTC) - timedelta(hours=1)
    await store.enqueue(
        [
            make_message(
                "w1", "hola, una consulta", channel="whatsapp", handle=phones["K-1"], created_at=wrote
            ),
            make_message("w2", "hello there", channel="whatsapp", handle=phones["K-2"], created_at=wrote),
            make_message("w3", "BAJA", channel="whatsapp", handle=phones["K-3"], created_at=wrote),
            make_message("t1", "hola", channel="twitter", handle="@k4", created_at=wrote),
        ]
    )
    digests = [person_digest("whatsapp", p) for p in phones.values()]
    await eventually(lambda: store.get_record(RecordKind.OPT_OUT, digests[2]))
    assert await eventually(lambda: store.get_record(RecordKind.CONTACT, digests[1]))
    assert await store.get_record(RecordKind.CONTACT, person_digest("twitter", "@k4")) is None

    created = await client.post("/api/v1/campaigns", json=segment_campaign(datetime.now(UTC)), headers=AUTH)
    assert created.status == 201, await created.text()
    approved = await client.post("/api/v1/campaigns/club/approve", json={"actor": "jefa"}, headers=AUTH)
    assert approved.status == 200

    async def campaign_done() -> bool:
        record = await store.get_record(RecordKind.CAMPAIGN, "club")
        return record is not None and record.data["status"] == "done"

    await eventually(campaign_done, timeout=20)
    items = [
        i
        for i in await store.records.list_outbox(limit=100)
        if i.idempotency_key.startswith("campaign:club:")
    ]
    assert sorted((i.recipient, i.text) for i in items) == [
        (phones["K-1"], "Hoy, 50% de descuento."),
        (phones["K-2"], "Today, 50% off."),
    ]
