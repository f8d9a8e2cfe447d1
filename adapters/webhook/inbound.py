"""`POST /webhooks/generic`: signed JSON messages in, acknowledged only once durably stored.

Order of checks follows cost and information leak: size first (413, before reading more than
the cap), then the signature (401, before parsing anything), then the JSON and the message
schema (400, naming the field). Nothing is stored unless the whole request is valid.
"""

from __future__ import annotations

import json
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from aiohttp import web
from pydantic import ValidationError

from adapters.http_body import read_capped
from adapters.webhook.signing import SignatureError, verify
from bot.core.models import InboundMessage

MAX_BATCH = 500

Ingest = Callable[[Sequence[InboundMessage]], Awaitable[list[bool]]]


def _error(status: int, message: str, field: str | None = None) -> web.Response:
    body: dict[str, Any] = {"error": message}
    if field is not None:
        body["field"] = field
    return web.json_response(body, status=status)


def parse_messages(body: bytes) -> list[InboundMessage]:
    """One message or {"messages": [...]}; raises ValueError(message, field) on bad input."""
    try:
        data = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"body is not valid JSON: {exc}", None) from exc
    if isinstance(data, dict) and "messages" in data:
        items = data["messages"]
        prefix = "messages"
        if not isinstance(items, list) or not items:
            raise ValueError("'messages' must be a non-empty list", "messages")
        if len(items) > MAX_BATCH:
            raise ValueError(f"at most {MAX_BATCH} messages per request", "messages")
    elif isinstance(data, dict):
        items, prefix = [data], ""
    else:
        raise ValueError('body must be a message object or {"messages": [...]}', None)
    parsed: list[InboundMessage] = []
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            raise ValueError("each message must be an object", f"{prefix}[{index}]" if prefix else None)
        clean = {k: v for k, v in item.items() if k not in ("expect", "raw")}
        try:
            message = InboundMessage.model_validate(clean)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"])
            field = f"{prefix}[{index}].{where}" if prefix else where
            raise ValueError(f"invalid message: {first['msg']}", field) from exc
        parsed.append(message.model_copy(update={"raw": item}))
    return parsed


def generic_webhook_handler(
    secret: str, ingest: Ingest, *, max_bytes: int, max_skew_s: int
) -> Callable[[web.Request], Awaitable[web.Response]]:
    async def handle(request: web.Request) -> web.Response:
        if request.content_length is not None and request.content_length > max_bytes:
            return _error(413, f"body larger than {max_bytes} bytes")
        body = await read_capped(request, max_bytes)
        if body is None:
            return _error(413, f"body larger than {max_bytes} bytes")
        try:
            verify(
                secret,
                request.headers.get("X-Centinela-Timestamp"),
                request.headers.get("X-Centinela-Signature"),
                body,
                now=time.time(),
                max_skew_s=max_skew_s,
            )
        except SignatureError as exc:
            return _error(401, str(exc))
        try:
            messages = parse_messages(body)
        except ValueError as exc:
            message, field = exc.args
            return _error(400, message, field)
        fresh = await ingest(messages)
        accepted = [m.id for m, new in zip(messages, fresh, strict=True) if new]
        duplicates = [m.id for m, new in zip(messages, fresh, strict=True) if not new]
        return web.json_response(
            {"accepted": accepted, "duplicates": duplicates}, status=202 if accepted else 200
        )

    return handle
