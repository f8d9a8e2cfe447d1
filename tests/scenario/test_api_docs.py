"""The served OpenAPI document and its page: no token needed, nothing fetched from elsewhere."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from bot.web.app import create_app
from bot.web.openapi import openapi_document
from tests.conftest import settings_for
from tests.scenario.warroom_rig import ClientFactory


@pytest.fixture
async def client(aiohttp_client: ClientFactory, tmp_path: Path) -> TestClient[Any, Any]:
    return await aiohttp_client(create_app(settings_for(tmp_path)))


async def test_document_is_served_without_a_token(client: TestClient[Any, Any]) -> None:
    async with client.get("/api/v1/openapi.json") as response:
        assert response.status == 200 and response.content_type == "application/json"
        assert await response.json() == openapi_document()


async def test_docs_page_ships_everything_it_needs(client: TestClient[Any, Any]) -> None:
    async with client.get("/api/v1/docs") as response:
        assert response.status == 200 and response.content_type == "text/html"
        page = await response.text()
    assert 'fetch("openapi.json")' in page  # relative: /api/v1/openapi.json, the same server
    external = re.findall(r"""(?:src|href)\s*=\s*["'](?:https?:)?//""", page)
    assert external == []  # no CDN: works offline
    assert "@import" not in page


async def test_the_rest_of_the_api_still_needs_the_token(client: TestClient[Any, Any]) -> None:
    async with client.get("/api/v1/decisions") as response:
        assert response.status == 401
