"""One error shape for every HTTP error of the service: `{"error": "...", "field": ...}`.

aiohttp's own answers are plain text (`404: Not Found`, `405: Method Not Allowed`, `413` from the
body cap, a `500` from a bug). One middleware on the root application (aiohttp applies it to the
`/api/v1` sub-application too) turns every error into the same object, so a client needs one
parser: `field` names the request part at fault (a body field, a query parameter) or is null.

A store that cannot be reached (Redis stopped, a locked or read-only SQLite file, a database
restarting) is not the client's fault and not a bug: it answers `503` with `Retry-After`, which
webhook platforms retry, instead of a 500 that some of them drop.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import sys
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web
from aiohttp.typedefs import Middleware

from bot.store.base import StoreUnavailable

log = logging.getLogger(__name__)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

# What a store raises when it cannot be reached or cannot write for now; all worth a retry.
_DOWN: tuple[type[BaseException], ...] = (
    StoreUnavailable,
    sqlite3.OperationalError,
    ConnectionError,
    TimeoutError,
)
_REDIS_DOWN = ("ConnectionError", "TimeoutError", "BusyLoadingError", "ReadOnlyError")


def store_down() -> tuple[type[BaseException], ...]:
    """`_DOWN`, and redis-py's own errors once it is loaded: only a Redis store loads it (and
    only it raises them), so a service on SQLite never imports redis-py for this check."""
    redis = sys.modules.get("redis.exceptions")
    return _DOWN if redis is None else (*_DOWN, *(getattr(redis, name) for name in _REDIS_DOWN))


def error_body(message: str, field: str | None = None) -> dict[str, Any]:
    return {"error": message, "field": field}


def error_response(
    status: int, message: str, field: str | None = None, *, headers: dict[str, str] | None = None
) -> web.Response:
    return web.json_response(error_body(message, field), status=status, headers=headers)


def unavailable(message: str, retry_after_s: int) -> web.Response:
    """A 503 that senders understand: JSON body and Retry-After in seconds."""
    return web.json_response(
        {**error_body(message), "retry_after_s": retry_after_s},
        status=503,
        headers={"Retry-After": str(retry_after_s)},
    )


def _from_text(text: str | None, fallback: str) -> dict[str, Any]:
    """An error object from a body that may already be one (JSON) or plain text."""
    if text:
        try:
            data = json.loads(text)
        except ValueError:
            data = None
        if isinstance(data, dict):
            return _normalised(data, fallback)
        return error_body(text.strip() or fallback)
    return error_body(fallback)


def _normalised(data: dict[str, Any], fallback: str) -> dict[str, Any]:
    message = data.get("error")
    if not isinstance(message, str) or not message:
        message = str(data.get("status") or data.get("message") or fallback)
    field = data.get("field")
    return {**data, "error": message, "field": field if isinstance(field, str) else None}


def _extra_headers(headers: Any) -> dict[str, str]:
    skip = {"content-type", "content-length"}
    return {k: v for k, v in headers.items() if k.lower() not in skip}


def json_errors(*, retry_after_s: int = 5) -> Middleware:
    """Every 4xx/5xx answer becomes `{"error", "field"}` (other keys of a JSON error are kept)."""

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        try:
            response = await handler(request)
        except web.HTTPException as exc:
            if exc.status < 400:
                raise
            body = _from_text(exc.text, exc.reason)
            if isinstance(exc, web.HTTPNotFound) and body["error"] == "404: Not Found":
                body["error"] = f"no such path: {request.path}"
            elif isinstance(exc, web.HTTPMethodNotAllowed):
                allowed = ", ".join(sorted(exc.allowed_methods))
                body["error"] = f"{request.method} is not allowed on {request.path} (allowed: {allowed})"
            return web.json_response(body, status=exc.status, headers=_extra_headers(exc.headers))
        except store_down() as exc:
            log.warning("store unavailable during %s %s: %s", request.method, request.path, exc)
            return unavailable("store unavailable, retry later", retry_after_s)
        except Exception:
            log.exception("unhandled error on %s %s", request.method, request.path)
            return error_response(500, "internal error: the service logged the details")
        if response.status < 400 or not isinstance(response, web.Response) or response.body is None:
            return response
        raw = response.body
        text = raw.decode("utf-8", "replace") if isinstance(raw, bytes | bytearray) else None
        if text is None:
            return response
        body = _from_text(text, response.reason)
        return web.json_response(body, status=response.status, headers=_extra_headers(response.headers))

    return middleware
