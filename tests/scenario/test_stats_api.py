"""`/api/v1/stats/...` over a burst fed through the signed webhook and the real pipeline."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from adapters.webhook.signing import signed_headers
from bot.core.models import utc_now
from bot.engine.extensions import build_extensions
from bot.web.app import STORE, create_app
from tests.conftest import API_TOKEN, WEBHOOK_SECRET, eventually, settings_for
from tests.scenario.burst_feed import ShiftedBurst, shifted_burst

ClientFactory = Callable[[web.Application], Awaitable[TestClient[Any, Any]]]
AUTH = {"Authorization": f"Bearer {API_TOKEN}"}


@pytest.fixture
async def client(aiohttp_client: ClientFactory, tmp_path: Path) -> TestClient[Any, Any]:
    # As `centinela serve` runs: spike detection and topic keys on, no KB (fast). One worker:
    # the burst comes in one request, and two workers would decide its two batches in either
    # order, which the spike detector (on the messages' own clock) does not expect.
    settings = settings_for(tmp_path, workers=1)
    return await aiohttp_client(create_app(settings, extensions=build_extensions(settings, None)))


async def feed(client: TestClient[Any, Any], burst: ShiftedBurst) -> None:
    body = json.dumps({"messages": burst.messages}, ensure_ascii=False).encode()
    async with client.post("/webhooks/generic", data=body, headers=signed_headers(WEBHOOK_SECRET, body)) as r:
        assert r.status == 202, await r.text()
    store = client.app[STORE]

    async def all_decided() -> bool | None:
        return len(await store.list_decisions(limit=1000)) == len(burst.messages) or None

    await eventually(all_decided, timeout=30)


async def get(client: TestClient[Any, Any], path: str, status: int = 200) -> dict[str, Any]:
    async with client.get(path, headers=AUTH) as response:
        assert response.status == status, await response.text()
        body: dict[str, Any] = await response.json()
        return body


async def test_the_burst_is_the_marked_spike_of_the_day(client: TestClient[Any, Any]) -> None:
    burst = shifted_burst(utc_now())
    await feed(client, burst)
    day = await get(client, "/api/v1/stats/volume?span=day&by=topic")
    assert len(day["buckets"]) == 96 and day["step"] == "15min"
    assert sum(b["total"] for b in day["buckets"]) == len(burst.messages)
    spikes = [b["start"] for b in day["buckets"] if b["spike"]]
    assert spikes == [burst.peak.isoformat().replace("+00:00", "Z")]
    assert next(g for g in day["groups"] if g) == "no-internet"  # "" is: no topic found
    madrid = await get(client, "/api/v1/stats/volume?span=day&region=madrid")
    assert 0 < sum(b["total"] for b in madrid["buckets"]) < len(burst.messages)
    topics = await get(client, "/api/v1/stats/topics?span=day")
    assert topics["top"][0]["topic"] == "no-internet" and topics["rising"][0]["topic"] == "no-internet"


async def test_now_quality_and_people(client: TestClient[Any, Any]) -> None:
    burst = shifted_burst(utc_now())
    await feed(client, burst)
    now = await get(client, "/api/v1/stats/now")
    assert len(now["volume"]["buckets"]) == 60 and now["volume"]["step"] == "minute"
    in_hour = now["messages_last_hour"]
    assert 0 < in_hour < len(burst.messages) and 0 <= now["automatic_share"] <= 1
    assert now["kill_switch"] == {"on": False, "detail": None}
    assert [a["kind"] for a in now["alerts"]] == ["spike"] and now["incidents"]
    quality = await get(client, "/api/v1/stats/quality?span=day")
    assert quality["decided"] == len(burst.messages) == sum(quality["by_action"].values())
    await _solve_a_case_and_see_its_times(client)
    people = await get(client, "/api/v1/stats/people")
    assert people["top_authors"] and all(a["messages"] >= 1 for a in people["top_authors"])
    reach = [a["reach"] for a in people["top_authors"]]
    assert reach == sorted(reach, reverse=True)


async def _solve_a_case_and_see_its_times(client: TestClient[Any, Any]) -> None:
    """The burst's complaints open cases; solving one through the API gives it both times."""
    cases = (await get(client, "/api/v1/cases?limit=1000"))["items"]
    assert cases
    before = (await get(client, "/api/v1/stats/quality?span=day"))["case_times"]
    assert sum(r["cases"] for r in before) == len(cases) and not any(r["solved"] for r in before)
    case = cases[0]
    body = {"status": "solved", "actor": "ana"}
    async with client.post(f"/api/v1/cases/{case['id']}/status", json=body, headers=AUTH) as r:
        assert r.status == 200, await r.text()
    after = (await get(client, "/api/v1/stats/quality?span=day"))["case_times"]
    row = next(r for r in after if r["solved"])
    assert (row["channel"], row["priority"]) == (case["data"]["channel"], case["data"]["priority"])
    assert row["responded"] >= 1 and row["resolution_p50_s"] is not None and row["first_response_p50_s"] >= 0


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("span=week", "span"),
        ("by=author", "by"),
        ("tz=Mars/Olympus", "tz"),
        ("until=yesterday", "until"),
        ("until=0001-01-01T00:00:00Z", "until"),
        ("tz=America", "tz"),
    ],
)
async def test_bad_parameters_are_400_naming_the_field(
    client: TestClient[Any, Any], query: str, field: str
) -> None:
    body = await get(client, f"/api/v1/stats/volume?{query}", status=400)
    assert body["field"] == field and body["error"]


async def test_stats_need_the_token(client: TestClient[Any, Any]) -> None:
    async with client.get("/api/v1/stats/now") as response:
        assert response.status == 401
