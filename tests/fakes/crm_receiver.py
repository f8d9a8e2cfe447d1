"""What a CRM's webhook receiver does first with the generic connector's requests: check the
signature (`adapters.webhook.signing.verify`, 5 minutes of clock skew) and read the event."""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from adapters.webhook.signing import verify
from bot.core.models import utc_now


async def signed_event(request: web.Request, secret: str) -> dict[str, Any]:
    """The request's JSON event; `SignatureError` when it is not signed with `secret`."""
    raw = await request.read()
    verify(
        secret,
        request.headers.get("X-Centinela-Timestamp"),
        request.headers.get("X-Centinela-Signature"),
        raw,
        now=utc_now().timestamp(),
        max_skew_s=300,
    )
    event: dict[str, Any] = json.loads(raw)
    return event
