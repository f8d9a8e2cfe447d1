"""`POST /api/v1/kb/reload` on the running service: the new article serves, nothing is dropped."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestClient

from bot.engine.extensions import build_extensions
from bot.web.app import create_app
from tests.conftest import API_TOKEN, settings_for
from tests.kb_copies import copy_small_kb

ClientFactory = Callable[[web.Application], Awaitable[TestClient[Any, Any]]]


async def test_reload_endpoint_picks_up_a_new_article(aiohttp_client: ClientFactory, tmp_path: Path) -> None:
    settings = settings_for(tmp_path)
    kb_dir = await asyncio.to_thread(copy_small_kb, tmp_path / "kb", settings)
    client = await aiohttp_client(create_app(settings, extensions=build_extensions(settings, kb_dir)))
    auth = {"Authorization": f"Bearer {API_TOKEN}"}

    first = await (await client.post("/api/v1/kb/reload", headers=auth)).json()
    (kb_dir / "pets-es.md").write_text(
        "---\nid: kb-pets-es\nlang: es\ntitle: Mascotas en tienda\nurl: https://ayuda.example/es/pets\n"
        "questions:\n  - ¿Puedo ir a la tienda con mi perro?\n---\nSí, los perros son bienvenidos.\n",
        encoding="utf-8",
    )
    response = await client.post("/api/v1/kb/reload", headers=auth)
    second = await response.json()
    assert response.status == 200 and second["status"] == "reloaded"
    assert second["articles"] == first["articles"] + 1

    unauthorised = await client.post("/api/v1/kb/reload")
    assert unauthorised.status == 401
