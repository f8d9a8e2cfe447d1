"""Declared outages: notice once, updates that coalesce, resolution and one word per complainer."""

from __future__ import annotations

from datetime import timedelta

from bot.core.records import RecordKind
from bot.pipeline.guards import set_kill_switch
from bot.store.base import Store
from scheduler.outages import OutageDesk
from tests.unit.scheduler.campaign_rig import Clock, utc


def desk(store: Store, clock: Clock) -> OutageDesk:
    return OutageDesk(
        store,
        channels=["twitter", "facebook", "whatsapp"],
        languages=["es", "en", "pt"],
        update_every_s=1800,
        clock=clock,
    )


async def keys(store: Store) -> list[str]:
    return sorted(item.idempotency_key for item in await store.records.list_outbox(limit=1000))


async def test_notice_updates_and_resolution_each_post_once(store: Store) -> None:
    clock = Clock(utc("2026-05-20T10:00:00"))
    outages = desk(store, clock)
    started = await outages.start("Fibra Madrid", region="Madrid", actor="oncall")
    assert started.ok and started.record is not None
    outage = started.record.id
    assert started.record.data["match_keys"] == ["region:madrid"]
    notices = await keys(store)
    # Public channels only (WhatsApp has no public posts), every language.
    assert notices == sorted(
        f"outage:{outage}:notice:{c}:{lang}" for c in ("twitter", "facebook") for lang in ("es", "en", "pt")
    )
    assert not (await outages.start("Fibra Madrid", region="Madrid", actor="other")).ok  # double click
    clock.now += timedelta(minutes=1)
    later = await OutageDesk(store, channels=[], languages=["es"], update_every_s=1800, clock=clock).start(
        "Fibra Madrid", region="Madrid", actor="other"
    )
    assert later.ok and later.record is not None and later.record.id != outage  # a new one, later
    clock.now -= timedelta(minutes=1)
    item = await store.get_outbox(f"outage:{outage}:notice:twitter:pt")
    assert item is not None and "Fibra Madrid (Madrid)" in item.text and item.text.startswith("Ocorrência")

    clock.now += timedelta(minutes=10)
    assert await outages.post_updates() == 0
    clock.now += timedelta(minutes=20)  # 30 minutes after the start: the first update
    assert await outages.post_updates() == 6
    await set_kill_switch(store, on=True, actor="test", reason="storm")
    clock.now += timedelta(minutes=30)
    assert await outages.post_updates() == 0  # the kill switch holds scheduled updates
    await set_kill_switch(store, on=False, actor="test")
    clock.now += timedelta(hours=1, minutes=40)  # slots 2..5 missed (down, held): one update, slot 5
    assert await outages.post_updates() == 6
    assert await outages.post_updates() == 0
    updates = [k for k in await keys(store) if ":update:" in k]
    assert sorted({k.split(":update:")[1].split(":")[0] for k in updates}) == ["1", "5"]


async def test_resolution_tells_each_complainer_once_in_their_language_and_channel(store: Store) -> None:
    clock = Clock(utc("2026-05-20T10:00:00"))
    outages = desk(store, clock)
    started = await outages.start("Fibra Madrid", region="Madrid", actor="oncall")
    assert started.record is not None
    outage = started.record.id
    record = await store.get_record(RecordKind.INCIDENT, outage)
    assert record is not None
    complainers = [
        {
            "key": "twitter:1",
            "channel": "twitter",
            "target": "1",
            "recipient": "@ana",
            "lang": "es",
            "at": "2026-05-20T10:01:00+00:00",
        },
        {
            "key": "twitter:2",
            "channel": "twitter",
            "target": "2",
            "recipient": "@ana",
            "lang": "es",
            "at": "2026-05-20T10:05:00+00:00",
        },
        {
            "key": "whatsapp:3",
            "channel": "whatsapp",
            "target": "3",
            "recipient": "+34600000000",
            "lang": "pt",
            "at": "2026-05-20T10:02:00+00:00",
        },
    ]
    data = {**record.data, "complainers": complainers}
    assert await store.cas_record(RecordKind.INCIDENT, outage, expected_version=record.version, data=data)

    clock.now += timedelta(hours=1)
    resolved = await outages.resolve(outage, actor="oncall")
    assert resolved.ok and "2 complainer(s) told" in resolved.message
    again = await outages.resolve(outage, actor="oncall")  # a second click, a retry
    assert again.ok and "0 complainer(s) told" in again.message
    told = [k for k in await keys(store) if ":told:" in k]
    assert len(told) == 2 and "+346" not in "".join(told)  # no phone number in keys (and logs)
    items = [await store.get_outbox(key) for key in told]
    ana = next(i for i in items if i is not None and i.channel == "twitter")
    assert ana.target == "2" and ana.text.startswith("[Respuesta automática] @ana La incidencia")
    whatsapp = next(i for i in items if i is not None and i.channel == "whatsapp")
    assert whatsapp.text.startswith("[Resposta automática] A ocorrência") and whatsapp.payload is not None
    assert whatsapp.recipient == "+34600000000" and whatsapp.target == "3"
    assert whatsapp.payload["customer_message_at"] == "2026-05-20T10:02:00+00:00"  # window checked at send
    assert len([k for k in await keys(store) if ":resolved:" in k]) == 6
    assert await outages.post_updates() == 0  # resolved: no more updates
    assert not (await outages.resolve("O-nope", actor="x")).ok
