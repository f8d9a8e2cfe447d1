"""REST API under `/api/v1`, behind a bearer token: what staff and tools need without Slack.

Messages and decisions, the agent queue, dead letters (with re-queue), the outbox, alerts and
cases, the kill switch, and the war-room's drafts (approve / reject) and alert acknowledgements
without Slack. Every change is audited with the token's holder as actor.
"""

from __future__ import annotations

import hmac
import json
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from aiohttp import web
from aiohttp.typedefs import Middleware

from bot.config import DashboardSettings
from bot.core.input_safety import BadInput, loads_bounded
from bot.core.sla import SlaSettings
from bot.engine.kb_reload import ReloadableKb, kb_reload_handler
from bot.pipeline.guards import KILL_SWITCH, set_kill_switch
from bot.store.base import DeadLetterUnloadable, Store
from bot.store.letters import UnloadableMessage
from bot.warroom.approval import ApprovalResult, ApprovalService
from bot.web.api_cases import add_case_routes
from bot.web.api_corrections import add_correction_routes
from bot.web.api_customers import add_customer_routes
from bot.web.api_lists import add_list_routes
from bot.web.stats_api import add_stats_routes
from scheduler.outages import OutageDesk
from scheduler.web_api import add_campaign_routes

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

STORE_KEY: web.AppKey[Store] = web.AppKey("api_store", Store)
APPROVALS_KEY: web.AppKey[ApprovalService] = web.AppKey("api_approvals", ApprovalService)
RESULT_STATUS = {"approved": 200, "rejected": 200, "acknowledged": 200, "already": 409, "not_found": 404}


def bearer_auth(token: str | Sequence[str]) -> Middleware:
    """Any of the tokens opens the API (two are valid at once while one is rotated)."""
    tokens = [token.encode()] if isinstance(token, str) else [t.encode() for t in token]

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        given = request.headers.get("Authorization", "")
        offered = given[7:].encode() if given.startswith("Bearer ") else b""
        matches = [hmac.compare_digest(offered, t) for t in tokens]  # all compared: no timing hint
        if not (offered and any(matches)):
            return web.json_response({"error": "missing or wrong bearer token"}, status=401)
        return await handler(request)

    return middleware


async def get_message(request: web.Request) -> web.Response:
    store = request.app[STORE_KEY]
    key = request.match_info["key"]
    try:
        message = await store.get_message(key)
    except UnloadableMessage as exc:
        return web.json_response({"error": f"message {key} cannot be loaded: {exc.reason}"}, status=409)
    if message is None:
        return web.json_response({"error": f"no message {key}"}, status=404)
    decision = await store.get_decision(key)
    return web.json_response(
        {
            "message": message.model_dump(mode="json"),
            "decision": decision.model_dump(mode="json") if decision else None,
        }
    )


async def requeue_dead_letter(request: web.Request) -> web.Response:
    store = request.app[STORE_KEY]
    key = request.match_info["key"]
    try:
        requeued = await store.requeue_dead_letter(key)
    except DeadLetterUnloadable as exc:
        return web.json_response({"error": f"{exc}; re-queueing it would only fail again"}, status=409)
    if not requeued:
        return web.json_response({"error": f"no dead letter {key}"}, status=404)
    return web.json_response({"requeued": key})


async def get_kill_switch(request: web.Request) -> web.Response:
    value = await request.app[STORE_KEY].get_flag(KILL_SWITCH)
    return web.json_response({"on": value is not None, "detail": value})


def _bad_input(exc: BadInput) -> web.Response:
    body: dict[str, Any] = {"error": exc.message}
    if exc.field is not None:
        body["field"] = exc.field
    return web.json_response(body, status=400)


async def put_kill_switch(request: web.Request) -> web.Response:
    try:
        body = loads_bounded(await request.read())
    except BadInput as exc:
        return _bad_input(exc)
    if not isinstance(body, dict) or not isinstance(body.get("on"), bool):
        return web.json_response({"error": "'on' must be true or false", "field": "on"}, status=400)
    actor = str(body.get("actor") or "api")
    await set_kill_switch(
        request.app[STORE_KEY], on=body["on"], actor=actor, reason=str(body.get("reason", ""))
    )
    return await get_kill_switch(request)


async def _body(request: web.Request) -> dict[str, Any]:
    """An optional JSON object body; anything else is a 400."""
    if not request.can_read_body:
        return {}
    try:
        body = loads_bounded(await request.read())
    except BadInput as exc:
        raise web.HTTPBadRequest(
            text=json.dumps({"error": f"body must be a JSON object: {exc.message}", "field": exc.field}),
            content_type="application/json",
        ) from exc
    if not isinstance(body, dict):
        raise web.HTTPBadRequest(
            text='{"error": "body must be a JSON object"}', content_type="application/json"
        )
    return body


def _result(result: ApprovalResult) -> web.Response:
    body: dict[str, Any] = {"outcome": result.outcome, "message": result.message}
    if result.draft is not None:
        body["draft"] = result.draft.model_dump(mode="json")
    return web.json_response(body, status=RESULT_STATUS.get(result.outcome, 400))


async def get_draft(request: web.Request) -> web.Response:
    draft = await request.app[APPROVALS_KEY].get(request.match_info["id"])
    if draft is None:
        return web.json_response({"error": f"no draft {request.match_info['id']}"}, status=404)
    return web.json_response({"draft": draft.model_dump(mode="json")})


async def approve_draft(request: web.Request) -> web.Response:
    """Publish the draft as the official account; `{"text": ...}` publishes an edited version."""
    body = await _body(request)
    text = body.get("text")
    if text is not None and not isinstance(text, str):
        return web.json_response({"error": "'text' must be a string", "field": "text"}, status=400)
    result = await request.app[APPROVALS_KEY].approve(
        request.match_info["id"], actor=f"api:{body.get('actor') or 'api'}", via="api", text=text
    )
    return _result(result)


async def reject_draft(request: web.Request) -> web.Response:
    body = await _body(request)
    reason = body.get("reason")
    if not isinstance(reason, str) or not reason.strip():
        return web.json_response({"error": "a 'reason' is required", "field": "reason"}, status=400)
    result = await request.app[APPROVALS_KEY].reject(
        request.match_info["id"], actor=f"api:{body.get('actor') or 'api'}", via="api", reason=reason
    )
    return _result(result)


async def acknowledge_alert(request: web.Request) -> web.Response:
    body = await _body(request)
    result = await request.app[APPROVALS_KEY].acknowledge(
        request.match_info["id"], actor=f"api:{body.get('actor') or 'api'}", via="api"
    )
    return _result(result)


def api_app(
    store: Store,
    token: str | Sequence[str],
    *,
    approvals: ApprovalService | None = None,
    kb: ReloadableKb | None = None,
    languages: Sequence[str] = ("es", "en", "pt"),
    outages: OutageDesk | None = None,
    dashboard: DashboardSettings | None = None,
    sla: SlaSettings | None = None,
) -> web.Application:
    """The `/api/v1` sub-application."""
    app = web.Application(middlewares=[bearer_auth(token)])
    app[STORE_KEY] = store
    app[APPROVALS_KEY] = approvals or ApprovalService(store)
    app.router.add_get("/messages/{key}", get_message)
    add_list_routes(app, store)  # decisions, outbox, audit, records: filtered, paginated
    add_stats_routes(app, store, dashboard or DashboardSettings())  # the dashboard's figures
    add_case_routes(app, store, sla or SlaSettings())  # one case, its status, its notes, the SLA
    add_customer_routes(app, store)  # customers, identities, merges, erasure
    add_correction_routes(app, store)  # a person marks a decision wrong (the Quality view counts it)
    app.router.add_post("/dead-letters/{key}/requeue", requeue_dead_letter)
    app.router.add_get("/kill-switch", get_kill_switch)
    app.router.add_put("/kill-switch", put_kill_switch)
    app.router.add_get("/drafts/{id}", get_draft)
    app.router.add_post("/drafts/{id}/approve", approve_draft)
    app.router.add_post("/drafts/{id}/reject", reject_draft)
    app.router.add_post("/alerts/{id}/ack", acknowledge_alert)
    if kb is not None:
        app.router.add_post("/kb/reload", kb_reload_handler(kb))
    add_campaign_routes(app, store, tuple(languages), outages)  # /campaigns, /outages (scheduler/)
    return app
