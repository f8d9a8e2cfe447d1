"""Errors as JSON: a store that is down is a 503 with Retry-After, anything else a JSON 500.

Why: platforms and tools retry on 503 and honour Retry-After, and nothing was lost while Redis
was down (what was not acknowledged is re-sent); a plain-text 500 told them nothing, and some
senders give up on a 500. The middleware sits on the root application, so the webhook, the REST
API and the Slack routes all answer the same way. Bad input is each handler's 400 (see
`bot.core.input_safety`); a 500 here is a bug, logged with its traceback, never a leaked one.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Awaitable, Callable

from aiohttp import web
from aiohttp.typedefs import Middleware
from redis.exceptions import BusyLoadingError, ReadOnlyError
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from bot.store.base import StoreUnavailable

log = logging.getLogger(__name__)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

# What a store raises when it cannot be reached or cannot write for now; all worth a retry.
STORE_DOWN: tuple[type[BaseException], ...] = (
    StoreUnavailable,
    RedisConnectionError,
    RedisTimeoutError,
    BusyLoadingError,
    ReadOnlyError,
    sqlite3.OperationalError,
    ConnectionError,
    TimeoutError,
)


def unavailable(message: str, retry_after_s: int) -> web.Response:
    """A 503 that senders understand: JSON body and Retry-After in seconds."""
    return web.json_response(
        {"error": message, "retry_after_s": retry_after_s},
        status=503,
        headers={"Retry-After": str(retry_after_s)},
    )


def json_errors(*, retry_after_s: int = 5) -> Middleware:
    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        try:
            return await handler(request)
        except web.HTTPException:
            raise
        except STORE_DOWN as exc:
            log.warning("store unavailable during %s %s: %s", request.method, request.path, exc)
            return unavailable("store unavailable, retry later", retry_after_s)
        except Exception:
            log.exception("unexpected error during %s %s", request.method, request.path)
            return web.json_response({"error": "internal error"}, status=500)

    return middleware
