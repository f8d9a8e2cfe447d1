"""`/api/v1/stats/...`: the dashboard's figures over REST, behind the API's bearer token.

Every figure is the one the dashboard draws (`bot/web/stats_data.py`). Query parameters: `span`
(hour: by minute, day: by 15 minutes, month: 30 days by local day), `by` (the grouping of
`volume`), the filters `channel`, `language`, `region`, `topic`, `tz` (an IANA zone; default the
configured one) and `until` (ISO 8601; default now). A bad value is a 400 naming the field.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import cast

from aiohttp import web
from pydantic import BaseModel

from bot.config import DashboardSettings
from bot.core.models import utc_now
from bot.store.base import Store
from bot.store.stats import DIMENSIONS, SPANS, Dimension, Span, StatFilter, zone
from bot.web import stats_data

EARLIEST = datetime(1971, 1, 1, tzinfo=UTC)
LATEST = datetime(9998, 12, 31, tzinfo=UTC)


def bad_request(message: str, field: str) -> web.HTTPBadRequest:
    return web.HTTPBadRequest(
        text=json.dumps({"error": message, "field": field}), content_type="application/json"
    )


def _choice(request: web.Request, name: str, allowed: tuple[str, ...], default: str) -> str:
    value = request.query.get(name) or default
    if value not in allowed:
        raise bad_request(f"{name} must be one of {', '.join(allowed)}", name)
    return value


def _until(request: web.Request) -> datetime:
    raw = request.query.get("until")
    if not raw:
        return utc_now()
    try:
        value = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise bad_request("until must be an ISO 8601 time, e.g. 2026-05-20T09:00:00Z", "until") from None
    value = value if value.tzinfo else value.replace(tzinfo=UTC)
    if not EARLIEST <= value <= LATEST:  # a span must fit in the calendar on both sides
        raise bad_request("until must be between 1971 and 9998", "until")
    return value


async def stat_query(
    request: web.Request, settings: DashboardSettings, *, span: str = "day"
) -> stats_data.StatQuery:
    """The request's span, grouping, filters, zone and end; 400 on a bad one."""
    q = request.query
    tz_name = q.get("tz") or settings.timezone
    try:
        tz = await asyncio.to_thread(zone, tz_name)  # the tz database is read from disk
    except ValueError:
        raise bad_request(
            f"unknown time zone {tz_name!r}; use an IANA name such as Europe/Madrid", "tz"
        ) from None
    where = StatFilter(*(q.get(n) or None for n in ("channel", "language", "region", "topic")))
    return stats_data.StatQuery(
        span=cast(Span, _choice(request, "span", SPANS, span)),
        until=_until(request),
        tz=tz,
        group_by=cast(Dimension, _choice(request, "by", DIMENSIONS, "channel")),
        where=where,
    )


def _json(model: BaseModel) -> web.Response:
    return web.Response(text=model.model_dump_json(), content_type="application/json")


Build = Callable[[Store, stats_data.StatQuery, DashboardSettings], Awaitable[BaseModel]]

VIEWS: dict[str, tuple[str, Build]] = {
    "volume": ("day", lambda s, q, _c: stats_data.volume(s, q)),
    "topics": ("day", lambda s, q, _c: stats_data.topics(s, q)),
    "now": ("hour", lambda s, q, c: stats_data.now_view(s, q, sla_minutes=c.sla_minutes)),
    "quality": ("day", lambda s, q, _c: stats_data.quality(s, q)),
    "people": ("month", lambda s, q, _c: stats_data.people(s, q)),
}


Wrap = Callable[
    [Callable[[web.Request], Awaitable[web.StreamResponse]]],
    Callable[[web.Request], Awaitable[web.StreamResponse]],
]


def stats_handler(
    name: str, store: Store, settings: DashboardSettings
) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    """The handler of one view; the API and the dashboard mount the same one."""
    default_span, build = VIEWS[name]

    async def handle(request: web.Request) -> web.StreamResponse:
        query = await stat_query(request, settings, span=default_span)
        return _json(await build(store, query, settings))

    return handle


def add_stats_routes(
    app: web.Application,
    store: Store,
    settings: DashboardSettings,
    *,
    prefix: str = "/stats",
    wrap: Wrap | None = None,
) -> None:
    for name in VIEWS:
        handler = stats_handler(name, store, settings)
        app.router.add_get(f"{prefix}/{name}", wrap(handler) if wrap else handler)
