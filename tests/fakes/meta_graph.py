"""A protocol-faithful Meta for tests: the Graph API reply calls, and the webhooks Meta posts.

`FakeGraph.app()` serves `POST /{version}/{node}/{edge}` for the edges Centinela uses
(`comments`, `replies`, `messages`) the way graph.facebook.com does: the created object's id on
success, `{"error": {"message", "type", "code", "error_subcode", "fbtrace_id"}}` on failure
(mostly HTTP 400, as Graph does), a bearer token that must match the node's token. Scripted
faults: Graph rate-limit errors (with `X-Business-Use-Case-Usage`), 5xx, slow answers, dropped
connections; WhatsApp's 131047 for recipients whose window Meta considers closed. Every call is
recorded.

The builders make what Meta POSTs to the webhook (shapes from Meta's webhook reference and
pywa's recorded WhatsApp updates), signed with `X-Hub-Signature-256`.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import itertools
import json
import time
from collections import defaultdict, deque
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

APP_SECRET = "meta-app-secret"
VERIFY_TOKEN = "meta-verify-token"
PAGE_ID, PAGE_TOKEN = "101000000000001", "page-token"
IG_ID = "17841400000000001"
PHONE_ID, WA_TOKEN = "106540352242922", "wa-token"


@dataclass(slots=True)
class GraphCall:
    node: str
    edge: str
    auth: str | None
    body: Any
    at: float


@dataclass(slots=True)
class GraphFault:
    status: int = 400
    code: int = 4
    subcode: int | None = None
    message: str = "Application request limit reached"
    regain_minutes: int | None = None
    drop: bool = False
    delay_s: float = 0.0


@dataclass
class FakeGraph:
    calls: list[GraphCall] = field(default_factory=list)
    window_closed: set[str] = field(default_factory=set)
    _faults: deque[GraphFault] = field(default_factory=deque)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    tokens: dict[str, str] = field(
        default_factory=lambda: defaultdict(lambda: PAGE_TOKEN, {PHONE_ID: WA_TOKEN})
    )

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/{version}/{node}/{edge}", self._post)
        return app

    def fail_next(self, fault: GraphFault, times: int = 1) -> None:
        self._faults.extend([fault] * times)

    def sent(self, edge: str | None = None) -> list[GraphCall]:
        return [c for c in self.calls if edge is None or c.edge == edge]

    async def _post(self, request: web.Request) -> web.StreamResponse:
        node, edge = request.match_info["node"], request.match_info["edge"]
        body = await request.json() if request.can_read_body else {}
        call = GraphCall(node, edge, request.headers.get("Authorization"), body, time.time())
        self.calls.append(call)
        if self._faults:
            fault = self._faults.popleft()
            if fault.delay_s:
                await asyncio.sleep(fault.delay_s)
            if fault.drop:
                assert request.transport is not None
                request.transport.close()
                return web.Response()
            headers = {}
            if fault.regain_minutes is not None:
                usage = {
                    node: [
                        {
                            "type": "messenger",
                            "call_count": 100,
                            "estimated_time_to_regain_access": fault.regain_minutes,
                        }
                    ]
                }
                headers["X-Business-Use-Case-Usage"] = json.dumps(usage)
            return _error(fault.status, fault.code, fault.message, fault.subcode, headers)
        if call.auth != f"Bearer {self.tokens[node]}":
            return _error(400, 190, "Invalid OAuth access token - Cannot parse access token", None)
        if edge == "feed" and node == PAGE_ID:  # a Page post: {"id": "{page-id}_{post-id}"}
            if not isinstance(body, dict) or not body.get("message"):
                return _error(400, 100, "(#100) The parameter message is required", None)
            return web.json_response({"id": f"{node}_{700 + next(self._ids)}"})
        if edge in ("comments", "replies"):
            if not isinstance(body, dict) or not body.get("message"):
                return _error(400, 100, "(#100) The parameter message is required", None)
            return web.json_response({"id": f"{node}_{900 + next(self._ids)}"})
        if edge == "messages" and node == PHONE_ID:
            return self._whatsapp(body)
        if edge == "messages" and node == PAGE_ID:
            if body.get("messaging_type") not in ("RESPONSE", "UPDATE", "MESSAGE_TAG"):
                return _error(
                    400,
                    100,
                    "(#100) param messaging_type must be one of {RESPONSE, UPDATE, MESSAGE_TAG}",
                    None,
                )
            recipient = (body.get("recipient") or {}).get("id")
            if not recipient or not (body.get("message") or {}).get("text"):
                return _error(400, 100, "(#100) The parameter recipient is required", None)
            if recipient in self.window_closed:
                return _error(400, 10, "(#10) This message is sent outside of allowed window.", 2018278)
            return web.json_response({"recipient_id": recipient, "message_id": f"m_{next(self._ids)}"})
        return _error(400, 100, f"(#100) Unsupported post request: {node}/{edge}", 33)

    def _whatsapp(self, body: Any) -> web.Response:
        if not isinstance(body, dict) or body.get("messaging_product") != "whatsapp":
            return _error(400, 100, "(#100) The parameter messaging_product is required.", None)
        to, text = body.get("to"), (body.get("text") or {}).get("body")
        if not to or body.get("type") != "text" or not text:
            return _error(400, 100, "(#100) Invalid parameter", None)
        if to in self.window_closed:
            return _error(400, 131047, "Re-engagement message", None)
        wamid = f"wamid.OUT{next(self._ids):06d}"
        return web.json_response(
            {
                "messaging_product": "whatsapp",
                "contacts": [{"input": to, "wa_id": to}],
                "messages": [{"id": wamid}],
            }
        )


def _error(
    status: int, code: int, message: str, subcode: int | None, headers: dict[str, str] | None = None
) -> web.Response:
    error: dict[str, Any] = {
        "message": message,
        "type": "OAuthException",
        "code": code,
        "fbtrace_id": "AbCdEf123",
    }
    if subcode is not None:
        error["error_subcode"] = subcode
    return web.json_response({"error": error}, status=status, headers=headers)


# --- what Meta POSTs to the webhook -------------------------------------------------------------


def signed(body: dict[str, Any], secret: str = APP_SECRET) -> tuple[bytes, dict[str, str]]:
    raw = json.dumps(body).encode()
    digest = hmac.new(secret.encode(), raw, hashlib.sha256).hexdigest()
    return raw, {"X-Hub-Signature-256": f"sha256={digest}", "Content-Type": "application/json"}


def whatsapp_text(
    wamid: str, text: str, *, sender: str = "34600111222", at: float | None = None
) -> dict[str, Any]:
    return {
        "object": "whatsapp_business_account",
        "entry": [
            {
                "id": "264937493375603",
                "changes": [
                    {
                        "field": "messages",
                        "value": {
                            "messaging_product": "whatsapp",
                            "metadata": {"display_phone_number": "34910000000", "phone_number_id": PHONE_ID},
                            "contacts": [{"profile": {"name": "Lucía"}, "wa_id": sender}],
                            "messages": [
                                {
                                    "from": sender,
                                    "id": wamid,
                                    "timestamp": str(int(at if at is not None else time.time())),
                                    "text": {"body": text},
                                    "type": "text",
                                }
                            ],
                        },
                    }
                ],
            }
        ],
    }


def whatsapp_status(wamid: str, status: str = "delivered") -> dict[str, Any]:
    value = {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "34910000000", "phone_number_id": PHONE_ID},
        "statuses": [
            {"id": wamid, "status": status, "timestamp": str(int(time.time())), "recipient_id": "34600111222"}
        ],
    }
    return {
        "object": "whatsapp_business_account",
        "entry": [{"id": "264937493375603", "changes": [{"field": "messages", "value": value}]}],
    }


def page_comment(
    comment_id: str, text: str, *, sender: str = "6100000000001", name: str = "Ana Gil", post: str = "777"
) -> dict[str, Any]:
    value = {
        "from": {"id": sender, "name": name},
        "post": {"id": f"{PAGE_ID}_{post}", "status_type": "mobile_status_update", "is_published": True},
        "message": text,
        "post_id": f"{PAGE_ID}_{post}",
        "comment_id": comment_id,
        "created_time": int(time.time()),
        "item": "comment",
        "parent_id": f"{PAGE_ID}_{post}",
        "verb": "add",
    }
    return {
        "object": "page",
        "entry": [{"id": PAGE_ID, "time": int(time.time()), "changes": [{"field": "feed", "value": value}]}],
    }


def messenger_event(
    mid: str, text: str, *, sender: str = "7100000000001", echo: bool = False
) -> dict[str, Any]:
    message: dict[str, Any] = {"mid": mid, "text": text}
    if echo:
        message["is_echo"] = True
    event = {
        "sender": {"id": PAGE_ID if echo else sender},
        "recipient": {"id": sender if echo else PAGE_ID},
        "timestamp": int(time.time() * 1000),
        "message": message,
    }
    return {
        "object": "page",
        "entry": [{"id": PAGE_ID, "time": int(time.time() * 1000), "messaging": [event]}],
    }


def instagram_comment(
    comment_id: str, text: str, *, sender: str = "17841400000000999", username: str = "ana.ig"
) -> dict[str, Any]:
    value = {
        "from": {"id": sender, "username": username},
        "media": {"id": "18000000000000001", "media_product_type": "FEED"},
        "id": comment_id,
        "text": text,
    }
    return {
        "object": "instagram",
        "entry": [
            {"id": IG_ID, "time": int(time.time()), "changes": [{"field": "comments", "value": value}]}
        ],
    }


def instagram_dm(mid: str, text: str, *, sender: str = "5500000000001", echo: bool = False) -> dict[str, Any]:
    body = messenger_event(mid, text, sender=sender, echo=echo)
    body["object"] = "instagram"
    body["entry"][0]["id"] = IG_ID
    return body
