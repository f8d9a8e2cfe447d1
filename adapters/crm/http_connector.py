"""The generic HTTP connector: any CRM with a webhook receiver (Salesforce flows, HubSpot,
Dynamics, an in-house system) gets signed JSON events and answers with its ticket id.

Every request is a POST of `{"event": ..., ...}` to one URL, signed like the generic webhook
(`X-Centinela-Timestamp`, `X-Centinela-Signature: sha256=HMAC(secret, "{timestamp}.{body}")`), so
the receiver checks it with the same few lines. Events: `case.find` (answer `{"ticket_id": ...}`
or null), `case.create` (`{"ticket_id": ...}`), `case.update`, `case.comment`, `customer.erase`
(`{"ticket_id"}`: erase the ticket's requester), and `customer.find`
(`{"email"|"contract_number"|"external_id": ...}`, answer `{"customer": {"id", "name", "email",
"phone", "contract_number", "preferred_language"}}` or `{"customer": null}`). The receiver must
treat `external_id` (the case reference) as the key: a repeated create after a lost answer is
preceded by a `case.find`, and must not make a second ticket anyway.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlsplit

from pydantic import BaseModel, Field, SecretStr, ValidationError

from adapters.base import PermanentFailure
from adapters.crm.base import conversation_link
from adapters.crm.errors import raise_for
from adapters.http import HttpCaller
from adapters.webhook.signing import signed_headers
from bot.core.cases import Case, CaseComment
from bot.core.customers import Customer


class HttpCrmConfig(BaseModel):
    url: str = Field(description="the receiver's URL (https in production)")
    secret: SecretStr = Field(description="HMAC secret shared with the receiver, both ways")
    timeout_s: float = Field(10.0, gt=0)


def case_payload(case: Case) -> dict[str, Any]:
    """What the CRM hears about a case: enough to file it, and the way back to the conversation."""
    return {
        "external_id": case.id,
        "status": case.status,
        "priority": case.priority,
        "category": case.category,
        "channel": case.channel,
        "language": case.language,
        "customer_id": case.customer_id,
        "requester": case.author,
        "text": case.text,
        "incident_id": case.incident_id,
        "opened_at": case.opened_at.isoformat(),
        "conversation": conversation_link(case),
    }


class HttpCrm:
    name = "http"

    def __init__(self, config: HttpCrmConfig) -> None:
        parts = urlsplit(config.url)
        self._path = parts.path or "/"
        self._http = HttpCaller(f"{parts.scheme}://{parts.netloc}", config.timeout_s)
        self._secret = config.secret.get_secret_value()

    async def _post(self, event: str, fields: dict[str, Any], *, creates: bool = False) -> dict[str, Any]:
        body = json.dumps({"event": event, **fields}, separators=(",", ":"), ensure_ascii=False).encode()
        headers = signed_headers(self._secret, body)
        answer = await self._http.call("POST", self._path, headers=headers, raw_body=body, creates=creates)
        raise_for(answer, event)
        return answer.body

    async def find_ticket(self, case: Case) -> str | None:
        found = (await self._post("case.find", {"external_id": case.id})).get("ticket_id")
        return str(found) if found else None

    async def create_ticket(self, case: Case) -> str:
        answer = await self._post("case.create", {"case": case_payload(case)}, creates=True)
        return str(answer.get("ticket_id") or case.id)

    async def update_ticket(self, ticket_id: str, case: Case) -> None:
        await self._post("case.update", {"ticket_id": ticket_id, "case": case_payload(case)})

    async def add_comment(self, ticket_id: str, case: Case, comment: CaseComment) -> None:
        fields = {
            "ticket_id": ticket_id,
            "external_id": case.id,
            "comment": {
                "key": comment.key,
                "kind": comment.kind,
                "at": comment.at.isoformat(),
                "text": comment.text,
            },
        }
        await self._post("case.comment", fields)

    async def find_customer(
        self, *, email: str | None = None, contract_number: str | None = None, external_id: str | None = None
    ) -> Customer | None:
        asked = {"email": email, "contract_number": contract_number, "external_id": external_id}
        found = await self._post("customer.find", {k: v for k, v in asked.items() if v is not None})
        customer = found.get("customer")
        if not isinstance(customer, dict):
            return None
        fields = ("id", "name", "email", "phone", "contract_number", "preferred_language")
        try:
            return Customer.model_validate({k: customer.get(k) for k in fields})
        except ValidationError as exc:
            raise PermanentFailure(f"customer.find: the CRM's customer is not usable: {exc}") from exc

    async def erase_requester(self, ticket_id: str) -> None:
        await self._post("customer.erase", {"ticket_id": ticket_id})

    async def close(self) -> None:
        await self._http.close()
