"""Rotating the webhook secret and the API token without downtime: both values work during the change."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from adapters.webhook.signing import signed_headers
from bot.config import load_settings
from bot.web.app import create_app
from bot.web.secrets import accepted_secrets, local_secrets
from tests.conftest import settings_for

ClientFactory = Callable[[web.Application], Awaitable[TestClient[Any, Any]]]


def _message(msg_id: str) -> bytes:
    return json.dumps(
        {
            "id": msg_id,
            "channel": "twitter",
            "created_at": "2026-05-20T09:15:00Z",
            "author": {"handle": "@ana", "name": "Ana", "followers": 1, "verified": False},
            "text": "hola",
        }
    ).encode()


@pytest.fixture
async def rotating(aiohttp_client: ClientFactory, tmp_path: Path) -> TestClient[Any, Any]:
    settings = settings_for(
        tmp_path, webhook_secret="new-secret, old-secret", api_token="new-token,old-token"
    )
    return await aiohttp_client(create_app(settings))


@pytest.mark.parametrize(("secret", "status"), [("new-secret", 202), ("old-secret", 202), ("other", 401)])
async def test_both_webhook_secrets_verify_during_a_rotation(
    rotating: TestClient[Any, Any], secret: str, status: int
) -> None:
    body = _message(f"rot-{secret}")
    async with rotating.post("/webhooks/generic", data=body, headers=signed_headers(secret, body)) as resp:
        assert resp.status == status, await resp.text()


@pytest.mark.parametrize(
    ("token", "status"), [("new-token", 200), ("old-token", 200), ("new", 401), ("", 401)]
)
async def test_both_api_tokens_open_the_api_during_a_rotation(
    rotating: TestClient[Any, Any], token: str, status: int
) -> None:
    headers = {"Authorization": f"Bearer {token}"}
    async with rotating.get("/api/v1/kill-switch", headers=headers) as resp:
        assert resp.status == status


def test_the_first_value_is_the_current_one(tmp_path: Path) -> None:
    settings = load_settings(data_dir=tmp_path, webhook_secret="b2,a1", api_token=" t2 , t1 ")
    assert accepted_secrets(settings) == (["t2", "t1"], ["b2", "a1"])
    assert local_secrets(settings) == ("t2", "b2")  # what the demo signs with


def test_generated_secrets_when_none_is_configured(tmp_path: Path) -> None:
    settings = load_settings(data_dir=tmp_path)
    tokens, secrets = accepted_secrets(settings)
    assert len(tokens) == 1 and len(secrets) == 1 and tokens[0] != secrets[0]
    assert accepted_secrets(settings) == (tokens, secrets)  # generated once, then kept
