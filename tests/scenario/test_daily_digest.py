"""The daily digest: queued once per local day at its time, uploaded to the fake Slack as a PNG."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from bot.core.models import Decision
from bot.warroom.digest import DailyDigest
from bot.web.app import RUNTIME, STORE, WARROOM, create_app
from tests.conftest import eventually, settings_for
from tests.fakes.slack_api import BOT_TOKEN, SIGNING_SECRET, FakeSlack

ClientFactory = Callable[[web.Application], Awaitable[TestClient[Any, Any]]]
ServerFactory = Callable[[web.Application], Awaitable[TestServer]]
WAR_ROOM = "C0WARROOM"
DAY = datetime(2026, 5, 20, tzinfo=UTC)
SIX_PM_MADRID = datetime(2026, 5, 20, 16, 0, tzinfo=UTC)  # 18:00 CEST


@pytest.fixture
async def rig(
    aiohttp_client: ClientFactory, aiohttp_server: ServerFactory, tmp_path: Path
) -> tuple[TestClient[Any, Any], FakeSlack]:
    fake = FakeSlack()
    server = await aiohttp_server(fake.app())
    slack = {
        "bot_token": BOT_TOKEN, "signing_secret": SIGNING_SECRET, "channel": WAR_ROOM,
        "api_base_url": str(server.make_url("/api/")), "escalation_tick_s": 3600,
    }  # fmt: skip
    dashboard = {"digest_time": "18:00", "timezone": "Europe/Madrid", "digest_language": "es"}
    client = await aiohttp_client(create_app(settings_for(tmp_path, slack=slack, dashboard=dashboard)))
    return client, fake


def _decision(key: str, at: datetime, action: str, sentiment: str) -> Decision:
    return Decision.model_validate(
        {"message_key": key, "action": action, "reason": "r", "rule": "x", "decided_at": at,
         "message_at": at, "sentiment": sentiment}
    )  # fmt: skip


async def test_the_digest_is_queued_once_at_its_local_time_and_uploaded(
    rig: tuple[TestClient[Any, Any], FakeSlack],
) -> None:
    client, fake = rig
    store = client.app[STORE]
    at = SIX_PM_MADRID - timedelta(hours=3)
    await store.records.save_decisions(
        [
            _decision("twitter:1", at, "answer", "neutral"),
            _decision("twitter:2", at + timedelta(minutes=5), "case", "negative"),
            _decision("email:3", at + timedelta(hours=1), "agent", "negative"),
            _decision("twitter:old", at - timedelta(days=2), "answer", "positive"),  # not in the 24 h
        ]
    )
    digest = client.app[WARROOM].digest
    assert digest is not None
    assert not await digest.tick(SIX_PM_MADRID - timedelta(seconds=1))  # 17:59:59 in Madrid
    assert await digest.tick(SIX_PM_MADRID + timedelta(seconds=30))
    assert not await digest.tick(SIX_PM_MADRID + timedelta(hours=3))  # once a day
    queued = await store.records.get_outbox("digest:2026-05-20")
    assert queued is not None and queued.payload is not None and queued.payload["op"] == "upload"
    assert "3 mensajes" in queued.text and "1 respondidos automáticamente (33%)" in queued.text
    assert "2 negativos" in queued.text

    # A second replica (or the service after a restart) finds the day's digest already queued.
    other = DailyDigest(store, client.app[WARROOM].settings_dashboard, channel=WAR_ROOM)
    assert not await other.tick(SIX_PM_MADRID + timedelta(hours=1))

    client.app[RUNTIME].publisher.wake.set()

    async def uploaded() -> dict[str, Any] | None:
        return next((f for f in fake.files if f["filename"] == "centinela-2026-05-20.png"), None)

    shared = await eventually(uploaded, timeout=10)
    assert shared["channel"] == WAR_ROOM and shared["content"].startswith(b"\x89PNG\r\n\x1a\n")
    assert shared["length"] == len(shared["content"]) > 1000
    assert "Resumen diario de Centinela (2026-05-20" in shared["initial_comment"]
    published = await eventually(lambda: _published(client))
    assert published.receipt == {"file": shared["id"]}
    # Uploaded once. (Past 18:00 in Madrid the service's own loop, on the real clock, also
    # sends today's digest: a different day, a different file.)
    completed = fake.calls_to("files.completeUploadExternal")
    assert len([call for call in completed if "(2026-05-20" in str(call.args["files"])]) == 1
    # The next day has its own key.
    assert await digest.tick(SIX_PM_MADRID + timedelta(days=1))


async def _published(client: TestClient[Any, Any]) -> Any:
    item = await client.app[STORE].records.get_outbox("digest:2026-05-20")
    return item if item is not None and item.status == "published" else None
