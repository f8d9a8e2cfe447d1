"""Declared outage through the service: notice posted, matching complaints answered with the
incident, resolution posted and each complainer told once, in their language."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from bot.core.models import utc_now
from bot.web.app import STORE, create_app
from tests.conftest import API_TOKEN, eventually, make_message, settings_for

ClientFactory = Callable[[web.Application], Awaitable[TestClient[Any, Any]]]
AUTH = {"Authorization": f"Bearer {API_TOKEN}"}


@pytest.fixture
async def client(aiohttp_client: ClientFactory, tmp_path: Path) -> TestClient[Any, Any]:
    return await aiohttp_client(create_app(settings_for(tmp_path)))


async def test_declare_answer_resolve_each_exactly_once(client: TestClient[Any, Any]) -> None:
    store = client.app[STORE]
    started = await client.post(
        "/api/v1/outages", json={"title": "Fibra Madrid", "region": "Madrid"}, headers=AUTH
    )
    assert started.status == 201
    outage = (await started.json())["outage"]["id"]

    async def all_published(prefix: str, count: int) -> list[str]:
        """The published keys under `prefix` once there are `count` of them (then no more come)."""
        items = await store.records.list_outbox(limit=1000)
        mine = [i for i in items if i.idempotency_key.startswith(prefix)]
        done = len(mine) == count and all(i.status == "published" for i in mine)
        return sorted(i.idempotency_key for i in mine) if done else []

    await eventually(lambda: all_published(f"outage:{outage}:notice:", 6))  # X and Facebook, es/en/pt

    now = utc_now()
    complaints = [
        make_message(
            "c1",
            "Llevo toda la mañana sin internet en Madrid, la fibra no funciona",
            handle="@ana",
            created_at=now,
        ),
        make_message(
            "c2", "No internet in Madrid since this morning, the fibre is down", handle="@bob", created_at=now
        ),
        make_message(
            "c3", "Sigo sin internet en Madrid, ¿cuándo lo arregláis?", handle="@ana", created_at=now
        ),
        make_message(
            "c4", "¿Cómo cambio la contraseña del wifi?", handle="@eva", created_at=now
        ),  # not about it
    ]
    # @ana's second complaint (c3) is a follow-up: it arrives once her first is decided. Sent
    # together, the two would be decided in order but their cases opened concurrently, and
    # either could be the one that opens the case (both end in the same case either way).
    follow_up = complaints.pop(2)
    for batch in (complaints, [follow_up]):
        await store.enqueue(batch)
        for message in batch:
            await eventually(lambda m=message: store.get_decision(m.key))  # type: ignore[misc]
    for key in ("twitter:c1", "twitter:c2", "twitter:c3"):
        decision = await store.get_decision(key)
        assert decision is not None and decision.action == "case", (key, decision)
    replies = {i.message_key: i.text for i in await store.records.list_outbox(limit=1000) if i.message_key}
    assert outage in replies["twitter:c1"] and outage in replies["twitter:c2"]
    assert replies["twitter:c1"].startswith("[Respuesta automática] @ana Sabemos")
    assert replies["twitter:c2"].startswith("[Automatic reply] @bob We know about an incident")
    assert outage not in replies.get("twitter:c4", "")

    async def complainers() -> bool:
        response = await client.get("/api/v1/incidents?limit=5", headers=AUTH)
        items = (await response.json())["items"]
        return any(i["id"] == outage and len(i["data"]["complainers"]) == 3 for i in items)

    await eventually(complainers)
    resolved = await client.post(f"/api/v1/outages/{outage}/resolve", json={"actor": "oncall"}, headers=AUTH)
    assert resolved.status == 200 and "2 complainer(s) told" in (await resolved.json())["message"]
    assert (await client.post(f"/api/v1/outages/{outage}/resolve", headers=AUTH)).status == 200
    told = await eventually(lambda: all_published(f"outage:{outage}:told:", 2))  # @ana once, @bob once
    texts = {
        i.recipient: i.text for i in await store.records.list_outbox(limit=1000) if i.idempotency_key in told
    }
    assert "La incidencia que nos comentaste (Fibra Madrid) ya está resuelta" in texts["@ana"]
    assert "The incident you told us about (Fibra Madrid) is now resolved" in texts["@bob"]
    await eventually(lambda: all_published(f"outage:{outage}:resolved:", 6))
    assert (await client.post("/api/v1/outages/O-nope/resolve", headers=AUTH)).status == 404
    assert (await client.post("/api/v1/outages", json={"title": "x"}, headers=AUTH)).status == 400
