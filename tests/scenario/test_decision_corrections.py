"""A person corrects automatic answers through the API; the Quality figures count them."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from bot.core.models import Decision, utc_now
from bot.store.base import Store
from bot.web.app import STORE, create_app
from tests.conftest import API_TOKEN, settings_for

ClientFactory = Callable[[web.Application], Awaitable[TestClient[Any, Any]]]
AUTH = {"Authorization": f"Bearer {API_TOKEN}"}


@pytest.fixture
async def client(aiohttp_client: ClientFactory, tmp_path: Path) -> TestClient[Any, Any]:
    return await aiohttp_client(create_app(settings_for(tmp_path)))


async def _decide(store: Store, key: str, action: str, **fields: Any) -> None:
    at = utc_now() - timedelta(minutes=30)
    body = {"message_key": key, "action": action, "reason": "r", "rule": "x", "message_at": at, **fields}
    await store.save_decisions([Decision.model_validate(body)])


async def _correct(client: TestClient[Any, Any], key: str, body: dict[str, Any], status: int) -> Any:
    async with client.post(f"/api/v1/decisions/{key}/correction", json=body, headers=AUTH) as r:
        assert r.status == status, await r.text()
        return await r.json()


async def _quality(client: TestClient[Any, Any], query: str = "") -> dict[str, Any]:
    async with client.get(f"/api/v1/stats/quality?span=day{query}", headers=AUTH) as r:
        assert r.status == 200, await r.text()
        body: dict[str, Any] = await r.json()
        return body


async def test_corrected_answers_are_counted_and_audited(client: TestClient[Any, Any]) -> None:
    store = client.app[STORE]
    for n in range(4):
        await _decide(store, f"twitter:{n}", "answer", language="es")
    await _decide(store, "email:9", "monitor", language="en")
    assert (await _quality(client))["corrected"]["answers_corrected"] == 0

    done = await _correct(
        client, "twitter:0", {"action": "case", "reason": "was a billing error", "actor": "ana"}, 200
    )
    assert done["outcome"] == "corrected" and done["correction"]["decided"] == "answer"
    await _correct(client, "twitter:1", {"action": "agent"}, 200)
    await _correct(client, "email:9", {"action": "crisis"}, 200)  # not an answer: counted apart

    q = await _quality(client)
    assert q["automatic"] == 4
    assert q["corrected"] == {
        "corrections": 3,
        "answers_corrected": 2,
        "answers_corrected_rate": 0.5,
        "answers_corrected_to": {"case": 1, "agent": 1},
    }
    assert (await _quality(client, "&language=en"))["corrected"]["corrections"] == 1
    assert (await _quality(client, "&channel=email"))["corrected"]["answers_corrected"] == 0

    audit = await store.list_audit(kind="decision_correction")
    assert {(e.subject, e.actor, e.detail["to"]) for e in audit} == {
        ("twitter:0", "api:ana", "case"), ("twitter:1", "api:api", "agent"), ("email:9", "api:api", "crisis"),
    }  # fmt: skip


async def test_a_person_may_change_their_mind_once_per_change(client: TestClient[Any, Any]) -> None:
    store = client.app[STORE]
    await _decide(store, "twitter:1", "answer")
    await _correct(client, "twitter:1", {"action": "case"}, 200)
    again = await _correct(client, "twitter:1", {"action": "case"}, 200)
    assert again["outcome"] == "unchanged"
    await _correct(client, "twitter:1", {"action": "agent"}, 200)
    q = await _quality(client)
    assert q["corrected"]["answers_corrected"] == 1 and q["corrected"]["answers_corrected_to"] == {"agent": 1}
    assert len(await store.list_audit(kind="decision_correction")) == 2


async def test_wrong_corrections_are_refused_with_the_reason(client: TestClient[Any, Any]) -> None:
    await _decide(client.app[STORE], "twitter:1", "answer")
    missing = await _correct(client, "twitter:404", {"action": "case"}, 404)
    assert missing["outcome"] == "not_found"
    same = await _correct(client, "twitter:1", {"action": "answer"}, 409)
    assert same["outcome"] == "refused"
    bad = await _correct(client, "twitter:1", {"action": "shrug"}, 400)
    assert bad["field"] == "action"
    assert (await _correct(client, "twitter:1", {"action": "case", "extra": 1}, 400))["field"] == "extra"
    assert (await _quality(client))["corrected"]["corrections"] == 0
