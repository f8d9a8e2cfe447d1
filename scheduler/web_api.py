"""`/api/v1/campaigns`: define, preview, list, show, approve, pause, resume and cancel.

The same `CampaignBook` as the CLI and the watched folder, so every front end gets the same
lifecycle and audit. A body is the campaign file's content as JSON (YAML is a superset of JSON,
so it goes through the very parser the files do). The actor is `api:` plus the `actor` query
parameter or field.
"""

from __future__ import annotations

import json
from typing import Any, cast

from aiohttp import web

from bot.core.input_safety import BadInput, loads_bounded
from bot.store.base import Store
from bot.store.records import MAX_PAGE, InvalidCursor
from scheduler.campaign_book import CAMPAIGN_STATUSES, BookResult, CampaignAction, CampaignBook
from scheduler.campaign_plan import CampaignPlan, plan_text
from scheduler.campaign_view import campaign_detail, campaign_summary
from scheduler.outage_api import add_outage_routes
from scheduler.outages import OutageDesk

BOOK_KEY: web.AppKey[CampaignBook] = web.AppKey("campaign_book", CampaignBook)
STORE_KEY: web.AppKey[Store] = web.AppKey("campaign_store", Store)
ACTIONS: tuple[CampaignAction, ...] = ("approve", "pause", "resume", "cancel")


def _error(message: str, field: str | None, status: int = 400) -> web.Response:
    return web.json_response({"error": message, "field": field}, status=status)


async def _campaign_text(request: web.Request) -> tuple[str | None, web.Response | None]:
    try:
        body = loads_bounded(await request.read())
    except BadInput as exc:
        return None, _error(f"body must be a campaign as JSON: {exc.message}", exc.field or "body")
    if not isinstance(body, dict):
        return None, _error("body must be a campaign object (id, name, window, channels, steps)", "body")
    return json.dumps(body, ensure_ascii=False), None


def _problems(plan: CampaignPlan, message: str) -> web.Response:
    first = plan.errors[0] if plan.errors else None
    field = (
        "steps"
        if first is not None and first.step is not None
        else "channels"
        if first and first.channel
        else None
    )
    body = {"error": message, "field": field, "errors": [e.model_dump() for e in plan.errors]}
    return web.json_response(body, status=400)


async def _answer(request: web.Request, result: BookResult, status: int | None = None) -> web.Response:
    campaign = None
    if result.record is not None:
        campaign = await campaign_detail(request.app[STORE_KEY], request.app[BOOK_KEY], result.record)
    body = {"ok": result.ok, "message": result.message, "campaign": campaign}
    return web.json_response(body, status=status or result.status_code)


async def define_campaign(request: web.Request) -> web.Response:
    text, bad = await _campaign_text(request)
    if text is None:
        return cast(web.Response, bad)
    actor = f"api:{request.query.get('actor') or 'api'}"
    result = await request.app[BOOK_KEY].define(text, actor=actor, source="api")
    if result.status_code == 400 and result.plan is not None:
        return _problems(result.plan, result.message)
    if not result.ok:
        return _error(result.message, "id", result.status_code)
    return await _answer(request, result, 201 if result.changed else 200)


async def preview_campaign(request: web.Request) -> web.Response:
    text, bad = await _campaign_text(request)
    if text is None:
        return cast(web.Response, bad)
    return web.json_response(plan_text(text, request.app[BOOK_KEY].languages).preview())


async def list_campaigns(request: web.Request) -> web.Response:
    status = request.query.get("status") or None
    if status is not None and status not in CAMPAIGN_STATUSES:
        return _error(f"status must be one of {', '.join(CAMPAIGN_STATUSES)}", "status")
    try:
        limit = int(request.query.get("limit", "100"))
    except ValueError:
        return _error("limit must be an integer", "limit")
    if not 1 <= limit <= MAX_PAGE:
        return _error(f"limit must be between 1 and {MAX_PAGE}", "limit")
    try:
        page = await request.app[BOOK_KEY].query(
            status=status, cursor=request.query.get("cursor"), limit=limit
        )
    except InvalidCursor as exc:
        return _error(str(exc), "cursor")
    return web.json_response({"items": [campaign_summary(r) for r in page.items], "next": page.next})


async def get_campaign(request: web.Request) -> web.Response:
    record = await request.app[BOOK_KEY].get(request.match_info["id"])
    if record is None:
        return _error(f"no campaign {request.match_info['id']}", "id", 404)
    return web.json_response(await campaign_detail(request.app[STORE_KEY], request.app[BOOK_KEY], record))


def _action(action: CampaignAction) -> Any:
    async def handler(request: web.Request) -> web.Response:
        actor = request.query.get("actor")
        if request.can_read_body:
            try:
                body = loads_bounded(await request.read())
            except BadInput as exc:
                return _error(f"body must be a JSON object: {exc.message}", exc.field or "body")
            if not isinstance(body, dict) or not isinstance(body.get("actor", ""), str | None):
                return _error("body must be a JSON object with an optional string 'actor'", "actor")
            actor = body.get("actor") or actor
        result = await request.app[BOOK_KEY].act(
            request.match_info["id"], action, actor=f"api:{actor or 'api'}"
        )
        return await _answer(request, result)

    return handler


def add_campaign_routes(
    app: web.Application, store: Store, languages: tuple[str, ...], outages: OutageDesk | None = None
) -> None:
    """Mount the campaign (and, given a desk, the outage) routes on the `/api/v1` sub-application."""
    if outages is not None:
        add_outage_routes(app, outages)
    app[STORE_KEY] = store
    app[BOOK_KEY] = CampaignBook(store, languages=languages, segments=True)
    app.router.add_get("/campaigns", list_campaigns)
    app.router.add_post("/campaigns", define_campaign)
    app.router.add_post("/campaigns/preview", preview_campaign)
    app.router.add_get("/campaigns/{id}", get_campaign)
    for action in ACTIONS:
        app.router.add_post(f"/campaigns/{{id}}/{action}", _action(action))
