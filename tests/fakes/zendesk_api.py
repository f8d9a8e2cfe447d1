"""A protocol-faithful Zendesk Support Tickets API for tests, on an ephemeral port.

From Zendesk's documented shapes: `POST /api/v2/tickets.json` creates (`201 {"ticket": {...}}`,
ids are integers, `status` and `priority` among Zendesk's words, `external_id` kept);
`GET /api/v2/tickets.json?external_id=X` lists matches (`{"tickets": [...], "count"}`);
`PUT /api/v2/tickets/{id}.json` updates, and a `comment` in it is appended (private when
`"public": false`). `GET /api/v2/users/search.json` finds end users by `external_id=` or by
`query=field:value` (Zendesk's search syntax: `email:` or a user field's key), answering
`{"users": [...], "count", "next_page"}`. A created ticket's requester becomes an end user
(`requester_id`); `DELETE /api/v2/users/{id}.json` soft-deletes one and
`DELETE /api/v2/deleted_users/{id}.json` purges a soft-deleted one (Zendesk's GDPR steps).
Auth is HTTP Basic `{email}/token:{api_token}` (401 otherwise). Scripted faults, per call, in
order: a status (503, 500) or 429 with `Retry-After`, a slow answer, or a connection dropped
after the request was processed (the ticket exists, the answer is lost).
Every call is recorded. `sign_webhook` makes the headers of Zendesk's outgoing webhooks.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import itertools
import json
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

EMAIL, TOKEN = "agent@ondanet.example", "zd-api-token"
STATUSES = {"new", "open", "pending", "hold", "solved", "closed"}
PRIORITIES = {"low", "normal", "high", "urgent"}


@dataclass(slots=True)
class ZendeskFault:
    status: int = 503
    retry_after_s: int | None = None
    drop_after_processing: bool = False
    delay_s: float = 0.0


@dataclass
class FakeZendesk:
    tickets: dict[int, dict[str, Any]] = field(default_factory=dict)
    comments: dict[int, list[dict[str, Any]]] = field(default_factory=dict)  # the comments endpoint's view
    calls: list[tuple[str, str]] = field(default_factory=list)
    users: list[dict[str, Any]] = field(default_factory=list)  # end users, as Zendesk shows them
    deleted_users: list[dict[str, Any]] = field(default_factory=list)  # soft-deleted, not yet purged
    purged: list[int] = field(default_factory=list)  # permanently deleted user ids
    faults: deque[ZendeskFault | None] = field(default_factory=deque)  # per call; None: no fault
    down: bool = False  # every call answers 503 while set
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(35436))

    def app(self) -> web.Application:
        app = web.Application(middlewares=[self._auth])
        app.router.add_get("/api/v2/tickets.json", self._list)
        app.router.add_post("/api/v2/tickets.json", self._create)
        app.router.add_put(r"/api/v2/tickets/{id:\d+}.json", self._update)
        app.router.add_get("/api/v2/users/search.json", self._search_users)
        app.router.add_get(r"/api/v2/tickets/{id:\d+}.json", self._show)
        app.router.add_delete(r"/api/v2/users/{id:\d+}.json", self._delete_user)
        app.router.add_delete(r"/api/v2/deleted_users/{id:\d+}.json", self._purge_user)
        return app

    def by_external_id(self, external_id: str) -> list[dict[str, Any]]:
        return [t for t in self.tickets.values() if t.get("external_id") == external_id]

    @web.middleware
    async def _auth(self, request: web.Request, handler: Any) -> web.StreamResponse:
        self.calls.append((request.method, request.path))
        expected = "Basic " + base64.b64encode(f"{EMAIL}/token:{TOKEN}".encode()).decode()
        if request.headers.get("Authorization") != expected:
            return web.json_response({"error": "Couldn't authenticate you"}, status=401)
        if self.down:
            return web.json_response({"error": "Service unavailable"}, status=503)
        fault = self.faults.popleft() if self.faults else None
        if fault is not None and fault.delay_s:
            await asyncio.sleep(fault.delay_s)
        if fault is not None and not fault.drop_after_processing:
            headers = {"Retry-After": str(fault.retry_after_s)} if fault.retry_after_s is not None else {}
            return web.json_response({"error": "fault"}, status=fault.status, headers=headers)
        response: web.StreamResponse = await handler(request)
        if fault is not None and fault.drop_after_processing:
            assert request.transport is not None
            request.transport.close()
        return response

    async def _list(self, request: web.Request) -> web.Response:
        external_id = request.query.get("external_id")
        found = [
            t for t in self.tickets.values() if external_id is None or t.get("external_id") == external_id
        ]
        return web.json_response({"tickets": found, "count": len(found), "next_page": None})

    async def _search_users(self, request: web.Request) -> web.Response:
        external_id, query = request.query.get("external_id"), request.query.get("query")
        if external_id is not None:
            found = [u for u in self.users if u.get("external_id") == external_id]
        elif query and ":" in query:
            name, _, value = query.partition(":")
            found = [u for u in self.users if _user_value(u, name).casefold() == value.casefold()]
        else:
            return web.json_response({"error": "InvalidSearch", "description": "query required"}, status=400)
        return web.json_response({"users": found, "count": len(found), "next_page": None})

    async def _show(self, request: web.Request) -> web.Response:
        ticket = self.tickets.get(int(request.match_info["id"]))
        if ticket is None:
            return web.json_response({"error": "RecordNotFound"}, status=404)
        return web.json_response({"ticket": ticket})

    async def _delete_user(self, request: web.Request) -> web.Response:
        """Soft delete: the user leaves the account and waits in the deleted users."""
        user_id = int(request.match_info["id"])
        found = [u for u in self.users if u.get("id") == user_id]
        if not found:
            return web.json_response({"error": "RecordNotFound"}, status=404)
        self.users.remove(found[0])
        self.deleted_users.append({**found[0], "active": False})
        return web.json_response({"user": {**found[0], "active": False}})

    async def _purge_user(self, request: web.Request) -> web.Response:
        """Permanent deletion, allowed only for a soft-deleted user."""
        user_id = int(request.match_info["id"])
        found = [u for u in self.deleted_users if u.get("id") == user_id]
        if not found:
            return web.json_response({"error": "RecordNotFound"}, status=404)
        self.deleted_users.remove(found[0])
        self.purged.append(user_id)
        return web.json_response({"deleted_user": {"id": user_id, "name": "Permanently Deleted User"}})

    async def _create(self, request: web.Request) -> web.Response:
        body = await request.json()
        ticket = body.get("ticket") if isinstance(body, dict) else None
        if not isinstance(ticket, dict) or not isinstance(ticket.get("comment"), dict):
            return web.json_response({"error": "RecordInvalid", "details": {"base": ["comment"]}}, status=422)
        invalid = self._invalid(ticket)
        if invalid:
            return web.json_response({"error": "RecordInvalid", "details": invalid}, status=422)
        ticket_id = next(self._ids)
        given = ticket.get("requester")
        requester: dict[str, Any] = given if isinstance(given, dict) else {}
        user = {"id": next(self._ids) + 1_000_000, "name": requester.get("name"), "active": True}
        self.users.append(user)  # Zendesk creates the requester as an end user
        stored = {
            "id": ticket_id,
            "url": f"{request.url.origin()}/api/v2/tickets/{ticket_id}.json",
            "subject": ticket.get("subject"),
            "status": ticket.get("status", "new"),
            "priority": ticket.get("priority"),
            "external_id": ticket.get("external_id"),
            "requester": ticket.get("requester"),
            "requester_id": user["id"],
            "tags": ticket.get("tags", []),
            "custom_fields": ticket.get("custom_fields", []),
        }
        self.tickets[ticket_id] = stored
        self.comments[ticket_id] = [ticket["comment"]]
        return web.json_response({"ticket": stored}, status=201)

    async def _update(self, request: web.Request) -> web.Response:
        ticket_id = int(request.match_info["id"])
        if ticket_id not in self.tickets:
            return web.json_response({"error": "RecordNotFound"}, status=404)
        body = await request.json()
        change = body.get("ticket") if isinstance(body, dict) else None
        if not isinstance(change, dict) or self._invalid(change):
            return web.json_response({"error": "RecordInvalid"}, status=422)
        stored = self.tickets[ticket_id]
        for key in ("status", "priority", "external_id"):
            if key in change:
                stored[key] = change[key]
        if isinstance(change.get("comment"), dict):
            self.comments[ticket_id].append(change["comment"])
        return web.json_response({"ticket": stored})

    @staticmethod
    def _invalid(ticket: dict[str, Any]) -> dict[str, Any]:
        problems: dict[str, Any] = {}
        if "status" in ticket and ticket["status"] not in STATUSES:
            problems["status"] = ["is invalid"]
        if "priority" in ticket and ticket["priority"] not in PRIORITIES:
            problems["priority"] = ["is invalid"]
        if ticket.get("status") == "closed":
            problems["status"] = ["closed prevents ticket update"]
        return problems


def _user_value(user: dict[str, Any], name: str) -> str:
    if name in ("email", "name", "phone", "external_id"):
        return str(user.get(name) or "")
    return str((user.get("user_fields") or {}).get(name) or "")


def sign_webhook(
    secret: str, body: dict[str, Any], timestamp: str = "2026-05-20T09:00:00Z"
) -> tuple[bytes, dict[str, str]]:
    """A Zendesk webhook request: base64(HMAC-SHA256(secret, timestamp + body))."""
    raw = json.dumps(body).encode()
    digest = hmac.new(secret.encode(), timestamp.encode() + raw, hashlib.sha256).digest()
    headers = {
        "X-Zendesk-Webhook-Signature": base64.b64encode(digest).decode(),
        "X-Zendesk-Webhook-Signature-Timestamp": timestamp,
        "Content-Type": "application/json",
    }
    return raw, headers
