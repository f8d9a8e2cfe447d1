"""The CRM's way back: signed status changes in, applied through the case lifecycle.

Why through the lifecycle: a case the CRM marks solved must tell its customer exactly as if
staff had solved it (once, on their thread, in their language), and be audited with the CRM as
the actor. Two receivers: the generic connector's (`POST /webhooks/crm`, our HMAC scheme) and
Zendesk's (`POST /webhooks/zendesk`, Zendesk's webhook signature). Both take a JSON object
`{"external_id": "C-1042", "status": "solved"}` (in Zendesk, the webhook's JSON body written with
the placeholders `{{ticket.external_id}}` and `{{ticket.status}}`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiohttp import web

from adapters.crm.base import CRM_STATUS
from adapters.webhook.signing import SignatureError, verify_headers
from adapters.zendesk.webhook import verify_zendesk
from bot.core.input_safety import BadInput, loads_bounded
from bot.core.models import utc_now
from bot.engine.case_lifecycle import CaseLifecycle
from bot.web.errors import error_response

MAX_SKEW_S = 300
Verify = Callable[[web.Request, bytes], None]
Handler = Callable[[web.Request], Awaitable[web.Response]]
CHANGE_STATUS = {"changed": 200, "unchanged": 200, "not_found": 404, "refused": 409}


def status_receiver(
    lifecycle: CaseLifecycle, crm: str, check: Verify
) -> Callable[[web.Request], Awaitable[web.Response]]:
    async def handle(request: web.Request) -> web.Response:
        body = await request.read()
        try:
            check(request, body)
        except SignatureError as exc:
            return error_response(401, str(exc))
        try:
            data = loads_bounded(body)
        except BadInput as exc:
            return error_response(400, exc.message, exc.field)
        if not isinstance(data, dict) or not isinstance(data.get("external_id"), str):
            return error_response(400, "external_id (the case reference) is required", "external_id")
        status = CRM_STATUS.get(str(data.get("status", "")).strip().lower())
        if status is None:
            return error_response(400, f"status must be one of {', '.join(CRM_STATUS)}", "status")
        change = await lifecycle.set_status(data["external_id"], status, actor=f"crm:{crm}")
        answer = {"outcome": change.outcome, "message": change.message}
        return web.json_response(answer, status=CHANGE_STATUS[change.outcome])

    return handle


def generic_check(secret: str) -> Verify:
    def check(request: web.Request, body: bytes) -> None:
        verify_headers(secret, request.headers, body, max_skew_s=MAX_SKEW_S)

    return check


def zendesk_check(secret: str) -> Verify:
    def check(request: web.Request, body: bytes) -> None:
        verify_zendesk(
            secret,
            request.headers.get("X-Zendesk-Webhook-Signature-Timestamp"),
            request.headers.get("X-Zendesk-Webhook-Signature"),
            body,
            now=utc_now(),
            max_skew_s=MAX_SKEW_S,
        )

    return check
