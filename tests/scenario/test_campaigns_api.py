"""`/api/v1/campaigns`: define (problems listed), preview, list, show, lifecycle actions."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from aiohttp import web
from aiohttp.test_utils import TestClient

from bot.web.app import create_app
from tests.conftest import API_TOKEN, settings_for
from tests.paths import SAMPLES

ClientFactory = Callable[[web.Application], Awaitable[TestClient[Any, Any]]]
AUTH = {"Authorization": f"Bearer {API_TOKEN}"}
SAMPLE: dict[str, Any] = yaml.safe_load((SAMPLES / "campaigns" / "mayo-50.yaml").read_text(encoding="utf-8"))


@pytest.fixture
async def client(aiohttp_client: ClientFactory, tmp_path: Path) -> TestClient[Any, Any]:
    return await aiohttp_client(create_app(settings_for(tmp_path)))


def json_ready(campaign: dict[str, Any]) -> dict[str, Any]:
    window = campaign["window"]
    return {**campaign, "window": {**window, "start": str(window["start"]), "end": str(window["end"])}}


async def test_define_approve_pause_and_show(client: TestClient[Any, Any]) -> None:
    body = json_ready(SAMPLE)
    created = await client.post("/api/v1/campaigns?actor=marta", json=body, headers=AUTH)
    assert created.status == 201
    answer = await created.json()
    assert answer["campaign"]["status"] == "draft" and len(answer["campaign"]["posts"]) == 18
    assert (await client.post("/api/v1/campaigns", json=body, headers=AUTH)).status == 200  # unchanged
    approved = await client.post("/api/v1/campaigns/mayo-50/approve", json={"actor": "jefa"}, headers=AUTH)
    assert approved.status == 200 and (await approved.json())["campaign"]["approved_by"] == "api:jefa"
    again = await client.post("/api/v1/campaigns/mayo-50/approve", headers=AUTH)
    assert again.status == 409 and not (await again.json())["ok"]
    assert (await client.post("/api/v1/campaigns/mayo-50/pause", headers=AUTH)).status == 200
    listed = await (await client.get("/api/v1/campaigns?status=paused", headers=AUTH)).json()
    assert [c["id"] for c in listed["items"]] == ["mayo-50"] and listed["next"] is None
    shown = await (await client.get("/api/v1/campaigns/mayo-50", headers=AUTH)).json()
    assert [h["to"] for h in shown["history"]] == ["draft", "approved", "paused"]
    assert shown["posts"][0]["key"] == "campaign:mayo-50:step:1:2026-05-20T07:00:00Z:twitter:es"
    assert (await client.get("/api/v1/campaigns/nope", headers=AUTH)).status == 404
    assert (await client.post("/api/v1/campaigns/nope/cancel", headers=AUTH)).status == 404


async def test_a_text_over_the_limit_is_refused_naming_step_channel_and_language(
    client: TestClient[Any, Any],
) -> None:
    body = json_ready(SAMPLE)
    body["steps"][1]["text"]["pt"] = "x" * 281
    refused = await client.post("/api/v1/campaigns", json=body, headers=AUTH)
    assert refused.status == 400
    answer = await refused.json()
    assert answer["field"] == "steps" and "problem" in answer["error"]
    assert [(e["step"], e["channel"], e["lang"]) for e in answer["errors"]] == [(2, "twitter", "pt")]
    preview = await (await client.post("/api/v1/campaigns/preview", json=body, headers=AUTH)).json()
    assert preview["campaign"] == "mayo-50" and len(preview["steps"]) == 18 and len(preview["errors"]) == 1
    assert (await (await client.get("/api/v1/campaigns", headers=AUTH)).json())["items"] == []


@pytest.mark.parametrize(
    ("method", "path", "data", "field"),
    [
        ("post", "/api/v1/campaigns", b"[1, 2]", "body"),
        ("post", "/api/v1/campaigns", b"{not json", "body"),
        ("post", "/api/v1/campaigns/preview", b'"text"', "body"),
        ("get", "/api/v1/campaigns?status=sleeping", None, "status"),
        ("get", "/api/v1/campaigns?limit=0", None, "limit"),
        ("get", "/api/v1/campaigns?cursor=zzz", None, "cursor"),
        ("post", "/api/v1/campaigns/x/approve", b'{"actor": 3}', "actor"),
    ],
)
async def test_bad_input_is_a_400_naming_the_field(
    client: TestClient[Any, Any], method: str, path: str, data: bytes | None, field: str
) -> None:
    response = await client.request(
        method, path, data=data, headers={**AUTH, "Content-Type": "application/json"}
    )
    assert response.status == 400
    assert (await response.json())["field"] == field
