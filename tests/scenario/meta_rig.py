"""The service with the Meta adapter on, its Graph base URL pointed at `FakeGraph`."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from bot.web.app import create_app
from tests.conftest import settings_for
from tests.fakes.meta_graph import (
    APP_SECRET,
    IG_ID,
    PAGE_ID,
    PAGE_TOKEN,
    PHONE_ID,
    VERIFY_TOKEN,
    WA_TOKEN,
    FakeGraph,
)
from tests.scenario.conftest import kb_extensions

ClientFactory = Callable[[web.Application], Awaitable[TestClient[Any, Any]]]
ServerFactory = Callable[[web.Application], Awaitable[TestServer]]


@dataclass
class MetaRig:
    client: TestClient[Any, Any]
    graph: FakeGraph

    async def deliver(self, raw: bytes, headers: dict[str, str]) -> tuple[int, dict[str, Any]]:
        async with self.client.post("/webhooks/meta", data=raw, headers=headers) as response:
            return response.status, await response.json()


def meta_section(graph_url: str) -> dict[str, Any]:
    return {
        "app_secret": APP_SECRET,
        "verify_token": VERIFY_TOKEN,
        "page_id": PAGE_ID,
        "page_token": PAGE_TOKEN,
        "instagram_id": IG_ID,
        "whatsapp_phone_number_id": PHONE_ID,
        "whatsapp_token": WA_TOKEN,
        "base_url": graph_url,
        "timeout_s": 2.0,
    }


async def meta_rig(
    aiohttp_client: ClientFactory,
    aiohttp_server: ServerFactory,
    tmp_path: Path,
    kb: Path | None,
    **overrides: Any,
) -> MetaRig:
    """`kb`: the shared KB (`shared_kb` fixture), or None when the test needs no answers."""
    graph = FakeGraph()
    server = await aiohttp_server(graph.app())
    settings = settings_for(tmp_path, meta=meta_section(str(server.make_url(""))), **overrides)
    extensions = kb_extensions(settings, kb)
    client = await aiohttp_client(create_app(settings, extensions=extensions))
    return MetaRig(client, graph)
