"""The API's list endpoints: filtered in the database, `{"items", "next"}` pages, nothing cut."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from bot.core.models import AuditEvent, Decision, OutboxItem
from bot.web.app import STORE, create_app
from tests.conftest import API_TOKEN, settings_for

ClientFactory = Callable[[web.Application], Awaitable[TestClient[Any, Any]]]
AUTH = {"Authorization": f"Bearer {API_TOKEN}"}
T0 = datetime(2026, 5, 20, 9, 0, tzinfo=UTC)


@pytest.fixture
async def client(aiohttp_client: ClientFactory, tmp_path: Path) -> TestClient[Any, Any]:
    return await aiohttp_client(create_app(settings_for(tmp_path)))


async def _all_pages(client: TestClient[Any, Any], path: str) -> tuple[list[dict[str, Any]], int]:
    items: list[dict[str, Any]] = []
    pages = 0
    url: str | None = path
    while url is not None:
        response = await client.get(url, headers=AUTH)
        assert response.status == 200, await response.text()
        body = await response.json()
        pages += 1
        items += body["items"]
        sep = "&" if "?" in path else "?"
        url = f"{path}{sep}cursor={body['next']}" if body["next"] else None
    return items, pages


async def test_cases_filtered_by_status_and_customer_come_back_whole_across_pages(
    client: TestClient[Any, Any],
) -> None:
    store = client.app[STORE]
    for i in range(130):
        await store.put_record(
            "case",
            f"C{i:03d}",
            {
                "status": "open" if i % 2 else "closed",
                "author": "@ana" if i % 5 else "@bo",
                "channel": "twitter",
            },
        )
    items, pages = await _all_pages(client, "/api/v1/cases?status=open&customer=%40ana&limit=20")
    expected = {f"C{i:03d}" for i in range(130) if i % 2 and i % 5}
    assert {item["id"] for item in items} == expected and len(items) == len(expected) == 52
    assert pages == 3
    assert all(item["data"]["status"] == "open" and item["data"]["author"] == "@ana" for item in items)


async def test_cases_filtered_by_priority_and_a_bad_priority_is_a_400(client: TestClient[Any, Any]) -> None:
    store = client.app[STORE]
    levels = ("low", "normal", "high", "urgent")
    for i in range(12):
        await store.put_record("case", f"C{i:03d}", {"status": "open", "priority": levels[i % 4]})
    items, _ = await _all_pages(client, "/api/v1/cases?priority=urgent&status=open&limit=2")
    assert sorted(item["id"] for item in items) == ["C003", "C007", "C011"]
    for query, path in (("priority=critical", "/api/v1/cases"), ("priority=urgent", "/api/v1/alerts")):
        response = await client.get(f"{path}?{query}", headers=AUTH)
        assert response.status == 400, (path, query)
        assert (await response.json())["field"] == "priority"


async def test_decisions_outbox_and_audit_pages_with_filters(client: TestClient[Any, Any]) -> None:
    store = client.app[STORE]
    await store.save_decisions(
        [
            Decision(
                message_key=f"{'email' if i % 3 == 0 else 'twitter'}:m{i:03d}",
                action="case",
                reason="r",
                rule="x",
                decided_at=T0 + timedelta(minutes=i),
            )
            for i in range(60)
        ]
    )
    since = (T0 + timedelta(minutes=30)).isoformat().replace("+00:00", "Z")
    items, _ = await _all_pages(client, f"/api/v1/decisions?channel=email&since={since}&limit=4")
    assert [d["message_key"] for d in items] == [f"email:m{i:03d}" for i in range(57, 29, -1) if i % 3 == 0]
    body = await (await client.get("/api/v1/decisions?limit=2", headers=AUTH)).json()
    assert body["decisions"] == body["items"] and body["next"]  # the old key stays, as an alias

    await store.add_outbox(
        [OutboxItem(idempotency_key=f"k{i}", account="robot", channel="twitter", text="t") for i in range(15)]
    )
    items, pages = await _all_pages(client, "/api/v1/outbox?status=pending&limit=6")
    assert len(items) == 15 and pages == 3
    await store.append_audit([AuditEvent(kind="reply", subject=f"s{i}") for i in range(9)])
    items, _ = await _all_pages(client, "/api/v1/audit?kind=reply&limit=4")
    assert [e["subject"] for e in items] == [f"s{i}" for i in range(8, -1, -1)]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("limit=0", "limit"),
        ("limit=1001", "limit"),
        ("limit=many", "limit"),
        ("since=yesterday", "since"),
        ("until=2026-13-01", "until"),
        ("cursor=garbage", "cursor"),
    ],
)
async def test_bad_list_parameters_are_a_400_with_the_field(
    client: TestClient[Any, Any], query: str, field: str
) -> None:
    for path in ("/api/v1/cases", "/api/v1/decisions", "/api/v1/outbox", "/api/v1/audit"):
        response = await client.get(f"{path}?{query}", headers=AUTH)
        assert response.status == 400, (path, query)
        body = await response.json()
        assert body["field"] == field and body["error"]


async def test_readyz_reports_each_backend(aiohttp_client: ClientFactory, tmp_path: Path) -> None:
    # Records on a database of their own (aiosqlite), so they can fail apart from the hot path.
    settings = settings_for(tmp_path, database_url=f"sqlite+aiosqlite:///{tmp_path / 'records.sqlite3'}")
    client = await aiohttp_client(create_app(settings))
    response = await client.get("/readyz")
    assert response.status == 200
    body = await response.json()
    assert body["status"] == "ready" and body["backends"] == {"hot_path": "ok", "records": "ok"}
    await client.app[STORE].records.close()  # the records database goes away
    response = await client.get("/readyz")
    assert response.status == 503
    body = await response.json()
    assert body["backends"] == {"hot_path": "ok", "records": "unreachable"}
