"""Zendesk Support as a CRM: the Tickets API over a small typed aiohttp client.

Why not zenpy: it is synchronous (requests), so every call would need a thread, and its retry
on 429 sleeps inside the call; four endpoints with our own error mapping are less code.
- find:    GET  /api/v2/tickets.json?external_id=C-1042   (the case reference is the external id)
- create:  POST /api/v2/tickets.json  {"ticket": {subject, comment, requester, external_id,
           priority, status, tags, custom_fields}}
- update:  PUT  /api/v2/tickets/{id}.json {"ticket": {status, priority}}
- comment: PUT  /api/v2/tickets/{id}.json {"ticket": {"comment": {"body", "public": false}}}
- customer: GET  /api/v2/users/search.json?external_id=K-1, or ?query=email:ana@example.com, or
           ?query=<contract_field>:CT778899 (a user field, in Zendesk's search syntax)
- erasure: GET /api/v2/tickets/{id}.json (its requester_id), DELETE /api/v2/users/{id}.json,
           DELETE /api/v2/deleted_users/{id}.json (permanent deletion, as Zendesk's GDPR guide says)
Auth is an API token (`{email}/token:{token}`, HTTP Basic); 429 carries Retry-After.
"""

from __future__ import annotations

import base64
from typing import Any

from pydantic import ValidationError

from adapters.base import PermanentFailure
from adapters.crm.base import conversation_link
from adapters.crm.errors import raise_for
from adapters.http import HttpCaller
from adapters.zendesk.config import ZendeskConfig
from bot.core.cases import Case, CaseComment
from bot.core.customers import Customer

# Zendesk sets `closed` itself some days after `solved`; the API may not set it.
ZENDESK_STATUS = {"open": "open", "pending": "pending", "solved": "solved", "closed": "solved"}


class ZendeskCrm:
    name = "zendesk"

    def __init__(self, config: ZendeskConfig) -> None:
        self._config = config
        self._http = HttpCaller(config.base_url, config.timeout_s)
        token = f"{config.email}/token:{config.api_token.get_secret_value()}"
        self._headers = {
            "Authorization": "Basic " + base64.b64encode(token.encode()).decode(),
            "Accept": "application/json",
        }

    async def find_ticket(self, case: Case) -> str | None:
        answer = await self._http.call(
            "GET", "/api/v2/tickets.json", headers=self._headers, params={"external_id": case.id}
        )
        raise_for(answer, "zendesk find ticket")
        tickets = answer.body.get("tickets") or []
        return str(tickets[0]["id"]) if tickets else None

    async def create_ticket(self, case: Case) -> str:
        ticket: dict[str, Any] = {
            "subject": f"[{case.id}] {case.category or 'case'} ({case.channel})",
            "comment": {"body": f"{case.text}\n\n{conversation_link(case)}", "public": False},
            "requester": {"name": case.author or case.id},
            "external_id": case.id,
            "priority": case.priority,
            "status": ZENDESK_STATUS[case.status],
            "tags": ["centinela", case.channel],
            "custom_fields": self._custom_fields(case),
        }
        answer = await self._http.call(
            "POST", "/api/v2/tickets.json", headers=self._headers, json_body={"ticket": ticket}, creates=True
        )
        raise_for(answer, "zendesk create ticket")
        return str(answer.body["ticket"]["id"])

    async def update_ticket(self, ticket_id: str, case: Case) -> None:
        ticket = {"status": ZENDESK_STATUS[case.status], "priority": case.priority}
        await self._put(ticket_id, ticket, "zendesk update ticket")

    async def add_comment(self, ticket_id: str, case: Case, comment: CaseComment) -> None:
        body = f"{comment.author}: {comment.text}" if comment.kind != "message" else comment.text
        await self._put(ticket_id, {"comment": {"body": body, "public": False}}, "zendesk add comment")

    async def find_customer(
        self, *, email: str | None = None, contract_number: str | None = None, external_id: str | None = None
    ) -> Customer | None:
        if external_id is not None:
            params = {"external_id": external_id}
        elif email is not None:
            params = {"query": f"email:{email}"}
        elif contract_number is not None and self._config.contract_field:
            params = {"query": f"{self._config.contract_field}:{contract_number}"}
        else:
            return None
        answer = await self._http.call(
            "GET", "/api/v2/users/search.json", headers=self._headers, params=params
        )
        raise_for(answer, "zendesk find customer")
        users = [u for u in answer.body.get("users") or [] if isinstance(u, dict) and u.get("active", True)]
        return self._customer(users[0]) if len(users) == 1 else None  # ambiguous: nobody

    def _customer(self, user: dict[str, Any]) -> Customer:
        raw = user.get("user_fields")
        fields: dict[str, Any] = raw if isinstance(raw, dict) else {}
        contract = fields.get(self._config.contract_field) if self._config.contract_field else None
        locale = str(user.get("locale") or "")
        try:
            return Customer(
                id=str(user.get("external_id") or f"zendesk-{user.get('id')}"),
                name=user.get("name"),
                email=user.get("email"),
                phone=user.get("phone"),
                contract_number=str(contract) if contract else None,
                preferred_language=locale[:2] or None,
            )
        except ValidationError as exc:
            raise PermanentFailure(f"zendesk find customer: the user is not usable: {exc}") from exc

    async def erase_requester(self, ticket_id: str) -> None:
        """Zendesk's right-to-erasure steps: delete the requester, then permanently delete them
        (`DELETE /api/v2/users/{id}`, `DELETE /api/v2/deleted_users/{id}`); a 404 means done."""
        path = f"/api/v2/tickets/{ticket_id}.json"
        answer = await self._http.call("GET", path, headers=self._headers)
        if answer.status == 404:
            return
        raise_for(answer, "zendesk show ticket")
        requester = (answer.body.get("ticket") or {}).get("requester_id")
        if requester is None:
            return
        for step in (f"/api/v2/users/{requester}.json", f"/api/v2/deleted_users/{requester}.json"):
            deleted = await self._http.call("DELETE", step, headers=self._headers)
            if deleted.status != 404:
                raise_for(deleted, "zendesk delete user")

    async def _put(self, ticket_id: str, ticket: dict[str, Any], what: str) -> None:
        answer = await self._http.call(
            "PUT", f"/api/v2/tickets/{ticket_id}.json", headers=self._headers, json_body={"ticket": ticket}
        )
        raise_for(answer, what)

    def _custom_fields(self, case: Case) -> list[dict[str, Any]]:
        fields: list[dict[str, Any]] = []
        if self._config.channel_field_id is not None:
            fields.append({"id": self._config.channel_field_id, "value": case.channel})
        if self._config.link_field_id is not None:
            fields.append({"id": self._config.link_field_id, "value": conversation_link(case)})
        return fields

    async def close(self) -> None:
        await self._http.close()
