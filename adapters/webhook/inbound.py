"""`POST /webhooks/generic`: signed JSON messages in, acknowledged only once durably stored.

Order of checks follows cost and information leak: a free intake slot first (503), size (413,
before reading more than the cap; 408 if the body does not arrive in time), then the signature
(401, before parsing anything), then the JSON and the message schema (400, naming the field),
and last the queue's depth (503 with Retry-After: backpressure). Nothing is stored unless the
whole request is valid.

What is accepted is exactly what the worker will load: the JSON is bounded in depth and free of
lone surrogates (`bot.core.input_safety`), and each message is encoded and decoded once here, the
way the store and the claim will, so a message that could not be loaded later (a poison
message that once stalled the queue) is a 400 now instead of a 202.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from aiohttp import web
from pydantic import ValidationError
from pydantic_core import PydanticSerializationError

from adapters.http_body import read_capped
from adapters.webhook.signing import SignatureError, verify_headers
from bot.core.input_safety import BadInput, loads_bounded
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
        data = loads_bounded(body)
    except BadInput as exc:
        raise ValueError(exc.message, exc.field) from exc
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
        parsed.append(_loadable(message.model_copy(update={"raw": item}), prefix, index))
    return parsed


def _loadable(message: InboundMessage, prefix: str, index: int) -> InboundMessage:
    """The message as the worker will see it after the store's encode and the claim's decode."""
    try:
        return InboundMessage.model_validate_json(message.model_dump_json())
    except (ValidationError, PydanticSerializationError) as exc:
        field = f"{prefix}[{index}]" if prefix else None
        raise ValueError(f"message cannot be stored and loaded back: {exc}", field) from exc


def generic_webhook_handler(
    secret: str | Sequence[str],
    ingest: Ingest,
    *,
    max_bytes: int,
    max_skew_s: int,
    read_timeout_s: float = 10.0,
) -> Callable[[web.Request], Awaitable[web.Response]]:
    """The route's handler. Admission (concurrency cap, queue backpressure) wraps every intake
    route in the web app (`bot/web/admission.py`); what is this route's own is here: the size cap,
    the time a body may take to arrive, the signature, the message schema."""

    async def handle(request: web.Request) -> web.Response:
        if request.content_length is not None and request.content_length > max_bytes:
            return _error(413, f"body larger than {max_bytes} bytes")
        try:
            async with asyncio.timeout(read_timeout_s):
                body = await read_capped(request, max_bytes)
        except TimeoutError:
            return _error(408, f"body did not arrive within {read_timeout_s:g} s")
        if body is None:
            return _error(413, f"body larger than {max_bytes} bytes")
        try:
            verify_headers(secret, request.headers, body, max_skew_s=max_skew_s)
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
