"""The one Graph webhook route: `GET` answers Meta's verification, `POST` takes deliveries.

Order of checks on a POST: size (413), then `X-Hub-Signature-256` over the raw bytes (401,
before anything is parsed), then JSON (400). A valid body is translated, handed to the durable
intake, and only then answered 200, fast: Meta retries any delivery not answered 200 in time,
and the intake's dedupe on message ids absorbs those retries.
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from aiohttp import web

from adapters.base import IntakeSink, Translation
from adapters.http_body import read_capped
from adapters.meta.signature import valid
from bot.core.input_safety import BadInput, loads_bounded
from bot.core.models import InboundMessage

log = logging.getLogger(__name__)

Translate = Callable[[Any], Translation]
Counted = Callable[[Sequence[InboundMessage], list[bool], Translation], None]


def _error(status: int, message: str) -> web.Response:
    return web.json_response({"error": message}, status=status)


def verification_handler(verify_token: str) -> Callable[[web.Request], Awaitable[web.Response]]:
    async def verify(request: web.Request) -> web.Response:
        mode = request.query.get("hub.mode")
        token = request.query.get("hub.verify_token", "")
        challenge = request.query.get("hub.challenge")
        if mode != "subscribe" or challenge is None:
            return _error(400, "expected hub.mode=subscribe with hub.challenge")
        if not hmac.compare_digest(token.encode(), verify_token.encode()):
            return _error(403, "hub.verify_token does not match")
        return web.Response(text=challenge, content_type="text/plain")

    return verify


def delivery_handler(
    app_secret: str, max_bytes: int, translate: Translate, sink: IntakeSink, counted: Counted
) -> Callable[[web.Request], Awaitable[web.Response]]:
    async def deliver(request: web.Request) -> web.Response:
        if request.content_length is not None and request.content_length > max_bytes:
            return _error(413, f"body larger than {max_bytes} bytes")
        body = await read_capped(request, max_bytes)
        if body is None:
            return _error(413, f"body larger than {max_bytes} bytes")
        if not valid(app_secret, body, request.headers.get("X-Hub-Signature-256")):
            return _error(401, "missing or bad X-Hub-Signature-256")
        try:  # bounded: a deep nesting or a lone surrogate is a 400, never a 500 or a 503 for ever
            payload = loads_bounded(body)
        except BadInput as exc:
            return _error(400, exc.message)
        translation = translate(payload)
        try:
            fresh = await sink(translation.messages) if translation.messages else []
        except Exception:
            # Not acknowledged, so Meta delivers it again; the dedupe makes that harmless.
            log.exception("Meta webhook: the intake refused a delivery")
            return _error(503, "intake unavailable; deliver again later")
        counted(translation.messages, fresh, translation)
        return web.json_response(
            {
                "accepted": [m.id for m, new in zip(translation.messages, fresh, strict=True) if new],
                "duplicates": [m.id for m, new in zip(translation.messages, fresh, strict=True) if not new],
                "skipped": dict(translation.skipped),
            }
        )

    return deliver
