"""The REST API: bearer auth, decisions, dead letters with re-queue, the kill switch."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from bot.core.context import MessageContext
from bot.core.models import DeadLetter
from bot.engine.runtime import Extensions
from bot.web.app import STORE, create_app
from tests.conftest import API_TOKEN, eventually, make_message, settings_for

ClientFactory = Callable[[web.Application], Awaitable[TestClient[Any, Any]]]
AUTH = {"Authorization": f"Bearer {API_TOKEN}"}


@pytest.fixture
async def client(aiohttp_client: ClientFactory, tmp_path: Path) -> TestClient[Any, Any]:
    return await aiohttp_client(create_app(settings_for(tmp_path)))


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer nope"}, {"Authorization": API_TOKEN}])
async def test_api_needs_the_bearer_token(client: TestClient[Any, Any], headers: dict[str, str]) -> None:
    response = await client.get("/api/v1/decisions", headers=headers)
    assert response.status == 401


async def test_messages_and_decisions(client: TestClient[Any, Any]) -> None:
    store = client.app[STORE]
    await store.enqueue([make_message("m1", "I want to talk to a person please")])
    await eventually(lambda: store.get_decision("twitter:m1"))
    body = await (await client.get("/api/v1/messages/twitter:m1", headers=AUTH)).json()
    assert body["message"]["id"] == "m1" and body["decision"]["message_key"] == "twitter:m1"
    listed = await (await client.get("/api/v1/decisions?limit=5", headers=AUTH)).json()
    assert [d["message_key"] for d in listed["decisions"]] == ["twitter:m1"]
    assert (await client.get("/api/v1/messages/twitter:nope", headers=AUTH)).status == 404


async def test_kill_switch_through_the_api(client: TestClient[Any, Any]) -> None:
    response = await client.put("/api/v1/kill-switch", json={"on": True, "reason": "storm"}, headers=AUTH)
    assert (await response.json())["on"] is True
    assert (await (await client.get("/api/v1/kill-switch", headers=AUTH)).json())["on"] is True
    bad = await client.put("/api/v1/kill-switch", json={"on": "yes"}, headers=AUTH)
    assert bad.status == 400
    await client.put("/api/v1/kill-switch", json={"on": False}, headers=AUTH)
    audit = await (await client.get("/api/v1/audit?kind=kill_switch", headers=AUTH)).json()
    assert [e["subject"] for e in audit["events"]] == ["off", "on"]


class BrokenUntilFixed:
    """An analyser with a bug that staff fix before re-queueing the dead letter."""

    def __init__(self) -> None:
        self.fixed = False

    async def analyse(self, ctx: MessageContext) -> None:
        if not self.fixed:
            raise RuntimeError("analyser bug")


async def test_dead_letters_listed_and_requeued(aiohttp_client: ClientFactory, tmp_path: Path) -> None:
    broken = BrokenUntilFixed()
    app = create_app(settings_for(tmp_path, max_attempts=2), extensions=Extensions(analysers=[broken]))
    client = await aiohttp_client(app)
    store = client.app[STORE]
    await store.enqueue([make_message("dl")])

    async def listed() -> list[Any]:
        body = await (await client.get("/api/v1/dead-letters", headers=AUTH)).json()
        assert body["next"] is None and body["dead_letters"] == body["items"]
        return list(body["items"])

    letters = await eventually(listed, timeout=15)
    loaded = [DeadLetter.model_validate(d).message for d in letters]
    assert [m.id if m else None for m in loaded] == ["dl"]
    assert "analyser bug" in letters[0]["error"]
    broken.fixed = True
    response = await client.post("/api/v1/dead-letters/twitter:dl/requeue", headers=AUTH)
    assert response.status == 200
    assert (await client.post("/api/v1/dead-letters/twitter:dl/requeue", headers=AUTH)).status == 404
    await eventually(lambda: store.get_decision("twitter:dl"))
    assert await listed() == []
    bad = await client.get("/api/v1/dead-letters?cursor=not-ours", headers=AUTH)
    assert bad.status == 400 and (await bad.json())["field"] == "cursor"
