"""A campaign through the whole service: the leader enqueues a due step, the X and Meta
adapters publish it as posts of their own (a tweet, a Page post), once each."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestClient

from bot.core.digests import person_digest
from bot.core.records import RecordKind
from bot.web.app import STORE, create_app
from scheduler.campaign_book import CampaignBook
from scheduler.campaign_runner import CampaignRunner
from scheduler.segments import Recipient, StaticSegmentSource
from tests.conftest import API_TOKEN, eventually, make_message, settings_for
from tests.fakes.meta_graph import PAGE_ID, FakeGraph
from tests.fakes.x_api import BRAND_ID, FakeX
from tests.scenario.meta_rig import ServerFactory, meta_section
from tests.scenario.test_x import x_section
from tests.unit.scheduler.campaign_rig import Clock
from tests.unit.scheduler.test_segments import SEGMENT_CAMPAIGN, STEP

ClientFactory = Callable[[web.Application], Awaitable[TestClient[Any, Any]]]
AUTH = {"Authorization": f"Bearer {API_TOKEN}"}


def due_campaign(now: datetime) -> dict[str, Any]:
    """One step two minutes ago (within the grace of one hour), one tomorrow."""
    step = now - timedelta(minutes=2)
    return {
        "id": "now-1",
        "name": "Due now",
        "window": {"start": str(step.date()), "end": str(step.date() + timedelta(days=1)), "timezone": "UTC"},
        "channels": ["twitter", "facebook"],
        "account": "official",
        "steps": [
            {"at": f"start {step:%H:%M}", "text": {"es": "Hoy, 50% de descuento.", "en": "Today, 50% off."}},
            {"at": "end 23:59", "text": {"es": "Mañana sigue."}},
        ],
    }


async def test_a_due_step_is_posted_once_as_a_tweet_and_a_page_post(
    aiohttp_client: ClientFactory, aiohttp_server: ServerFactory, tmp_path: Path
) -> None:
    fake_x, graph = FakeX(), FakeGraph()
    x_url = str((await aiohttp_server(fake_x.app())).make_url(""))
    graph_url = str((await aiohttp_server(graph.app())).make_url(""))
    settings = settings_for(
        tmp_path, x=x_section(x_url), meta=meta_section(graph_url), scheduler={"sweep_s": 0.1, "lease_s": 5}
    )
    client = await aiohttp_client(create_app(settings))
    store = client.app[STORE]
    created = await client.post("/api/v1/campaigns", json=due_campaign(datetime.now(UTC)), headers=AUTH)
    assert created.status == 201, await created.text()
    assert (
        await client.post("/api/v1/campaigns/now-1/approve", json={"actor": "jefa"}, headers=AUTH)
    ).status == 200

    async def published() -> list[str] | None:
        items = await store.records.list_outbox(status="published", limit=100)
        keys = sorted(i.idempotency_key for i in items if i.idempotency_key.startswith("campaign:now-1:"))
        return keys if len(keys) == 4 else None

    keys = await eventually(published, timeout=20)
    assert [k.rsplit(":", 2)[1:] for k in keys] == [
        ["facebook", "en"],
        ["facebook", "es"],
        ["twitter", "en"],
        ["twitter", "es"],
    ]
    tweets = [t for t in fake_x.posted if t["author_id"] == BRAND_ID]
    assert sorted(t["text"] for t in tweets) == ["Hoy, 50% de descuento.", "Today, 50% off."]
    assert all("reply" not in t for t in tweets)  # posts of their own, not replies
    feed = graph.sent("feed")
    assert sorted(c.body["message"] for c in feed) == ["Hoy, 50% de descuento.", "Today, 50% off."]
    assert {c.node for c in feed} == {PAGE_ID}
    shown = await (await client.get("/api/v1/campaigns/now-1", headers=AUTH)).json()
    assert shown["status"] == "running"
    assert sorted(p["state"] for p in shown["posts"]) == ["published"] * 4 + ["scheduled"] * 2
    assert json.dumps(shown).count("needs_review") == 0


async def test_an_opt_out_keyword_through_the_pipeline_stops_segment_messages_at_once(
    aiohttp_client: ClientFactory, tmp_path: Path
) -> None:
    client = await aiohttp_client(create_app(settings_for(tmp_path)))
    store = client.app[STORE]
    await store.enqueue([make_message("w1", "¡BAJA!", channel="whatsapp", handle="+34600000001")])
    digest = person_digest("whatsapp", "+34600000001")
    opted = await eventually(lambda: store.get_record(RecordKind.OPT_OUT, digest))
    assert opted.data["status"] == "opted_out"

    people = [
        Recipient(
            "whatsapp", handle, "es", tags=frozenset({"nautico"}), region="Madrid", last_message_at=STEP
        )
        for handle in ("+34600000001", "+34600000002")
    ]
    clock = Clock(STEP)
    book = CampaignBook(store, clock=clock, segments=True)
    assert (await book.define(SEGMENT_CAMPAIGN, actor="marta", source="test")).ok
    assert (await book.act("nautico", "approve", actor="jefa")).ok
    report = await CampaignRunner(store, book, clock=clock, segments=StaticSegmentSource(people)).sweep()
    recipients = [i.recipient for k in report.enqueued if (i := await store.get_outbox(k)) is not None]
    assert recipients == ["+34600000002"]
