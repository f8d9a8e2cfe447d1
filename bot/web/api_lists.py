"""The REST API's list endpoints: filtered in the database, paginated by cursor, never cut.

Every list answers `{"items": [...], "next": CURSOR|null}`; `?limit=` (1-1000, default 100) sets
the page size and `?cursor=` (the `next` of the previous page) continues. Filters are indexed
columns of the records store (`bot/store/records.py`): `since`/`until` (ISO 8601) on the time,
and per list `status`, `channel`, `customer`, `key`, `action`, `kind`, the cases' `priority`...
Bad input is a 400 with the failing `field`. The older keys (`decisions`, `events`,
`dead_letters`) stay as aliases of `items`.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from bot.core.cases import PRIORITIES
from bot.core.records import RecordKind
from bot.store.base import Store
from bot.store.records import MAX_PAGE, Filters, InvalidCursor, Page, RecordFilter

STORE_KEY: web.AppKey[Store] = web.AppKey("api_lists_store", Store)
KINDS: dict[str, RecordKind] = {  # URL segment -> record kind, spelt out (no string tricks)
    "agent-queue": RecordKind.AGENT_QUEUE,
    "cases": RecordKind.CASE,
    "alerts": RecordKind.ALERT,
    "drafts": RecordKind.DRAFT,
    "incidents": RecordKind.INCIDENT,
    "crm-sync": RecordKind.CRM_SYNC,
}


def _bad(message: str, field: str) -> web.HTTPBadRequest:
    return web.HTTPBadRequest(
        text=json.dumps({"error": message, "field": field}), content_type="application/json"
    )


def page_size(request: web.Request) -> int:
    raw = request.query.get("limit", "100")
    try:
        value = int(raw)
    except ValueError:
        raise _bad("limit must be an integer", "limit") from None
    if not 1 <= value <= MAX_PAGE:
        raise _bad(f"limit must be between 1 and {MAX_PAGE}", "limit")
    return value


def _time(request: web.Request, name: str) -> datetime | None:
    raw = request.query.get(name)
    if raw is None or raw == "":
        return None
    try:
        value = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise _bad(f"{name} must be an ISO 8601 time, e.g. 2026-05-20T09:00:00Z", name) from None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _filters(request: web.Request, names: tuple[str, ...]) -> Filters:
    values = {n: request.query[n] for n in names if request.query.get(n)}
    return Filters(values, since=_time(request, "since"), until=_time(request, "until"))


def _envelope(page: Page[Any], alias: str | None = None, **extra: Any) -> web.Response:
    items = [item.model_dump(mode="json") for item in page.items]
    body: dict[str, Any] = {"items": items, "next": page.next, **extra}
    if alias:
        body[alias] = items
    return web.json_response(body)


def _cursor(request: web.Request) -> str | None:
    return request.query.get("cursor") or None


async def _page(request: web.Request, call: Any) -> Page[Any]:
    try:
        page: Page[Any] = await call
    except InvalidCursor as exc:
        raise _bad(str(exc), "cursor") from None
    return page


async def list_decisions(request: web.Request) -> web.Response:
    records = request.app[STORE_KEY].records
    filters, limit = _filters(request, ("action", "channel")), page_size(request)
    page = await _page(request, records.query_decisions(filters, cursor=_cursor(request), limit=limit))
    return _envelope(page, "decisions")


async def list_outbox(request: web.Request) -> web.Response:
    records = request.app[STORE_KEY].records
    filters, limit = _filters(request, ("status", "channel", "message_key")), page_size(request)
    page = await _page(request, records.query_outbox(filters, cursor=_cursor(request), limit=limit))
    return _envelope(page, counts=await records.outbox_counts())


async def list_audit(request: web.Request) -> web.Response:
    records = request.app[STORE_KEY].records
    filters, limit = _filters(request, ("kind", "subject", "actor")), page_size(request)
    page = await _page(request, records.query_audit(filters, cursor=_cursor(request), limit=limit))
    return _envelope(page, "events")


def _priority(request: web.Request, kind: str) -> str | None:
    """`?priority=` of the case list, one of the case priorities; other lists have none."""
    raw = request.query.get("priority") or None
    if raw is None:
        return None
    if kind != RecordKind.CASE:
        raise _bad("only the case list filters by priority", "priority")
    if raw not in PRIORITIES:
        raise _bad(f"priority must be one of {', '.join(PRIORITIES)}", "priority")
    return raw


async def list_records(request: web.Request) -> web.Response:
    records = request.app[STORE_KEY].records
    q = request.query
    kind = KINDS[request.match_info["kind"]]
    where = RecordFilter(
        kind,
        status=q.get("status") or None,
        customer=q.get("customer") or None,
        channel=q.get("channel") or None,
        key=q.get("key") or None,
        priority=_priority(request, kind),
        since=_time(request, "since"),
        until=_time(request, "until"),
    )
    limit = page_size(request)
    return _envelope(await _page(request, records.query_records(where, cursor=_cursor(request), limit=limit)))


async def list_dead_letters(request: web.Request) -> web.Response:
    store, limit = request.app[STORE_KEY], page_size(request)
    page = await _page(request, store.dead_letter_page(cursor=_cursor(request), limit=limit))
    return _envelope(page, "dead_letters")


def add_list_routes(app: web.Application, store: Store) -> None:
    app[STORE_KEY] = store
    app.router.add_get("/dead-letters", list_dead_letters)
    app.router.add_get("/decisions", list_decisions)
    app.router.add_get("/outbox", list_outbox)
    app.router.add_get("/audit", list_audit)
    app.router.add_get(r"/{kind:agent-queue|cases|alerts|drafts|incidents|crm-sync}", list_records)
