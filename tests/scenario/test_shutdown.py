"""Graceful shutdown: intake stops, the batch in hand finishes, nothing is lost or left stuck."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestClient

from bot.core.models import utc_now
from bot.store.sqlite import SqliteStore
from bot.web.app import STORE, create_app
from tests.conftest import eventually, make_message, settings_for

ClientFactory = Callable[[web.Application], Awaitable[TestClient[Any, Any]]]


async def test_shutdown_mid_traffic_loses_nothing(aiohttp_client: ClientFactory, tmp_path: Path) -> None:
    settings = settings_for(tmp_path, visibility_timeout_s=3600, batch_size=16)
    client = await aiohttp_client(create_app(settings))
    store = client.app[STORE]
    texts = [
        "Me han cobrado dos veces la factura",
        "¿cómo reinicio el router?",
        "quiero hablar con una persona",
    ]
    messages = [make_message(f"m{i:04d}", texts[i % 3], created_at=utc_now()) for i in range(3000)]
    await store.enqueue(messages)
    await eventually(lambda: store.list_decisions(limit=1))

    await client.close()  # runs the app's cleanup: workers finish their batch, store closes

    reopened = SqliteStore(settings.sqlite_path)
    await reopened.open()
    try:
        decided = {d.message_key for d in await reopened.list_decisions(limit=5000)}
        waiting = await reopened.queue_depth()
        assert len(decided) + waiting == 3000
        assert 0 < waiting < 3000, "shutdown should land mid-traffic"
        # Nothing was left claimed: a new consumer gets every remaining message at once,
        # without waiting for the (one hour) visibility timeout.
        claims = await reopened.claim("after-restart", 5000)
        assert len(claims) == waiting
        assert not decided & {c.message.key for c in claims}
    finally:
        await reopened.close()
