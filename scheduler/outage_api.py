"""`/api/v1/outages`: declare an outage and resolve it (the same `OutageDesk` as CLI and Slack)."""

from __future__ import annotations

from aiohttp import web

from bot.core.input_safety import BadInput, loads_bounded
from scheduler.outages import OutageDesk, OutageResult

DESK_KEY: web.AppKey[OutageDesk] = web.AppKey("outage_desk", OutageDesk)


def _error(message: str, field: str | None, status: int = 400) -> web.Response:
    return web.json_response({"error": message, "field": field}, status=status)


def _answer(result: OutageResult) -> web.Response:
    outage = None
    if result.record is not None:
        outage = {"id": result.record.id, "version": result.record.version, **result.record.data}
    body = {"ok": result.ok, "message": result.message, "outage": outage}
    return web.json_response(body, status=result.status_code)


async def _object(request: web.Request) -> dict[str, object] | web.Response:
    if not request.can_read_body:
        return {}
    try:
        body = loads_bounded(await request.read())
    except BadInput as exc:
        return _error(f"body must be a JSON object: {exc.message}", exc.field or "body")
    if not isinstance(body, dict):
        return _error("body must be a JSON object", "body")
    for name in ("title", "region", "topic", "actor"):
        if body.get(name) is not None and not isinstance(body[name], str):
            return _error(f"'{name}' must be a string", name)
    return body


async def start_outage(request: web.Request) -> web.Response:
    body = await _object(request)
    if isinstance(body, web.Response):
        return body
    title = body.get("title")
    if not isinstance(title, str) or not title.strip():
        return _error("a 'title' is required", "title")
    region, topic = body.get("region"), body.get("topic")
    result = await request.app[DESK_KEY].start(
        title,
        region=region if isinstance(region, str) else None,
        topic=topic if isinstance(topic, str) else None,
        actor=f"api:{body.get('actor') or 'api'}",
    )
    if result.status_code == 400:
        return _error(result.message, "region")
    return _answer(result)


async def resolve_outage(request: web.Request) -> web.Response:
    body = await _object(request)
    if isinstance(body, web.Response):
        return body
    result = await request.app[DESK_KEY].resolve(
        request.match_info["id"], actor=f"api:{body.get('actor') or 'api'}"
    )
    return _answer(result)


def add_outage_routes(app: web.Application, desk: OutageDesk) -> None:
    app[DESK_KEY] = desk
    app.router.add_post("/outages", start_outage)
    app.router.add_post("/outages/{id}/resolve", resolve_outage)
