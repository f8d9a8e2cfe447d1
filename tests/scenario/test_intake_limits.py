"""Stalled uploads, concurrent intake and a deep queue have limits (issue 11, findings 6 and 7),
and `/readyz` notices a stalled queue.

Before: a request whose body never arrived held its connection for minutes, intake took any
number of requests at once, and a 20,000-message backlog was accepted without bound (702 MB).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestClient

from adapters.webhook.signing import signed_headers
from bot.core.context import MessageContext
from bot.engine.runtime import Extensions
from bot.store.base import Store
from bot.web.app import STORE, create_app
from tests.conftest import WEBHOOK_SECRET, eventually, settings_for

ClientFactory = Callable[[web.Application], Awaitable[TestClient[Any, Any]]]


def message(msg_id: str) -> bytes:
    return json.dumps(
        {"id": msg_id, "channel": "twitter", "created_at": "2026-05-20T09:15:00Z", "text": "hola"}
    ).encode()


async def stalled_upload(
    port: int, announced: int = 1000
) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    """Headers and part of a body, then silence: the client that never finishes its upload."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    head = (
        "POST /webhooks/generic HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        f"Content-Length: {announced}\r\n\r\n"
    )
    writer.write(head.encode() + b'{"id": "m1", ')
    await writer.drain()
    return reader, writer


async def test_a_body_that_never_arrives_gets_408_within_the_read_timeout(
    aiohttp_client: ClientFactory, tmp_path: Path
) -> None:
    client = await aiohttp_client(create_app(settings_for(tmp_path, webhook_read_timeout_s=0.5)))
    assert client.port is not None
    reader, writer = await stalled_upload(client.port)
    try:
        status_line = await asyncio.wait_for(reader.readline(), timeout=5)
        assert status_line.startswith(b"HTTP/1.1 408")
    finally:
        writer.close()
    assert await client.app[STORE].queue_depth() == 0


async def test_concurrent_intake_is_capped_with_503_and_retry_after(
    aiohttp_client: ClientFactory, tmp_path: Path
) -> None:
    settings = settings_for(tmp_path, webhook_read_timeout_s=30.0, max_concurrent_intake=2)
    client = await aiohttp_client(create_app(settings))
    assert client.port is not None
    stalled = [await stalled_upload(client.port) for _ in range(2)]
    try:

        async def refused() -> bool:
            body = message("m9")
            async with client.post(
                "/webhooks/generic", data=body, headers=signed_headers(WEBHOOK_SECRET, body)
            ) as response:
                if response.status != 503:
                    return False
                assert response.headers["Retry-After"] and "error" in await response.json()
                return True

        assert await eventually(refused, timeout=5)
    finally:
        for _, writer in stalled:
            writer.close()

    async def accepted_again() -> bool:
        body = message("m10")
        async with client.post(
            "/webhooks/generic", data=body, headers=signed_headers(WEBHOOK_SECRET, body)
        ) as r:
            return r.status == 202

    assert await eventually(accepted_again, timeout=5)


class Blocked:
    """An analyser that holds the worker until released: the queue behind it stalls."""

    def __init__(self) -> None:
        self.release = asyncio.Event()

    async def analyse(self, ctx: MessageContext) -> None:
        await self.release.wait()

    async def set_free(self) -> None:
        self.release.set()


async def test_backpressure_503_when_the_queue_is_deeper_than_the_limit(
    aiohttp_client: ClientFactory, tmp_path: Path
) -> None:
    blocked = Blocked()
    settings = settings_for(tmp_path, max_queue_depth=3, workers=1, batch_size=1)
    app = create_app(settings, extensions=Extensions(analysers=[blocked]))
    # Released however the test ends: a worker held for ever would hang the app's shutdown.
    app.on_shutdown.append(lambda _app: blocked.set_free())
    client = await aiohttp_client(app)
    statuses = []
    for i in range(5):
        body = message(f"m{i}")
        async with client.post(
            "/webhooks/generic", data=body, headers=signed_headers(WEBHOOK_SECRET, body)
        ) as r:
            statuses.append(r.status)
            if r.status == 503:
                assert r.headers["Retry-After"] and "queue" in (await r.json())["error"]
    assert statuses == [202, 202, 202, 503, 503]
    assert await client.app[STORE].queue_depth() == 3
    blocked.release.set()
    await eventually(lambda: _empty(client), timeout=10)

    async def accepted_again() -> bool:  # within the gate's depth refresh interval
        body = message("later")
        async with client.post(
            "/webhooks/generic", data=body, headers=signed_headers(WEBHOOK_SECRET, body)
        ) as r:
            return r.status == 202

    assert await eventually(accepted_again, timeout=5)


async def _accepted(client: TestClient[Any, Any], ids: list[str]) -> None:
    for msg_id in ids:
        body = message(msg_id)
        async with client.post(
            "/webhooks/generic", data=body, headers=signed_headers(WEBHOOK_SECRET, body)
        ) as r:
            assert r.status == 202


async def _empty(client: TestClient[Any, Any]) -> bool:
    store: Store = client.app[STORE]
    return await store.queue_depth() == 0


async def test_readyz_is_503_while_the_queue_is_stalled(
    aiohttp_client: ClientFactory, tmp_path: Path
) -> None:
    blocked = Blocked()
    settings = settings_for(tmp_path, workers=1, batch_size=1, readyz_stall_s=0.3)
    app = create_app(settings, extensions=Extensions(analysers=[blocked]))
    app.on_shutdown.append(lambda _app: blocked.set_free())
    client = await aiohttp_client(app)
    assert (await client.get("/readyz")).status == 200
    await _accepted(client, [f"s{i}" for i in range(4)])

    async def stalled() -> dict[str, Any] | None:
        async with client.get("/readyz") as response:
            body: dict[str, Any] = await response.json()
            return body if response.status == 503 else None

    answer = await eventually(stalled, timeout=10)
    assert answer["status"] == "queue stalled" and answer["oldest_waiting_s"] >= 0.3
    blocked.release.set()
    await eventually(lambda: _empty(client), timeout=10)
    assert (await client.get("/readyz")).status == 200


async def test_an_intake_only_replica_stores_everything_and_decides_nothing(
    aiohttp_client: ClientFactory, tmp_path: Path
) -> None:
    """`workers=0`: a web tier in front of worker replicas. It accepts and stores; the queue is
    another replica's to drain, so a waiting queue does not make this one unready."""
    settings = settings_for(tmp_path, workers=0, readyz_stall_s=0.001)  # any wait would be "stalled"
    client = await aiohttp_client(create_app(settings))
    store: Store = client.app[STORE]
    await _accepted(client, [f"io{i}" for i in range(5)])
    assert await store.queue_depth() == 5
    assert await store.list_decisions() == []
    async with client.get("/readyz") as response:
        assert response.status == 200, await response.text()
