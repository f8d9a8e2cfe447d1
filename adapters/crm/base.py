"""The CRM protocol: what the case sync needs from any CRM (Zendesk, a generic webhook, ...).

Why these calls and no more: the sync keeps the local case as the truth and the CRM in step
with it. It finds the ticket by the case's reference (the external id) before creating one,
so a create whose answer was lost is never repeated; it creates or updates the ticket; it adds
the comments the CRM has not seen yet. Status changes come back through each connector's own
signed inbound endpoint. `find_customer` lets a customer who is known to the CRM only
identify themselves. Failures are the adapters' `DeliveryError`s: `RateLimited` (wait its
`retry_after`), `TemporaryFailure` (retry with backoff), `PermanentFailure` (dead letter),
`OutcomeUnknown` (look the ticket up before anything else).
"""

from __future__ import annotations

from typing import Protocol

from bot.core.cases import Case, CaseComment, CaseStatus
from bot.core.customers import Customer


class CrmConnector(Protocol):
    """One CRM. Coroutine-safe; `close` releases its HTTP session."""

    name: str

    async def find_ticket(self, case: Case) -> str | None:
        """The CRM's ticket id for this case (external id = case reference), or None."""

    async def create_ticket(self, case: Case) -> str:
        """Create the ticket (requester, external id, link back to the conversation); its id."""

    async def update_ticket(self, ticket_id: str, case: Case) -> None:
        """Bring status and priority in line with the local case."""

    async def add_comment(self, ticket_id: str, case: Case, comment: CaseComment) -> None: ...

    async def find_customer(
        self, *, email: str | None = None, contract_number: str | None = None, external_id: str | None = None
    ) -> Customer | None:
        """The CRM's customer with this e-mail, contract number or external id (the first
        given), as a local record (its id: the CRM's external id), or None. Self-identification
        asks it when no local customer matches."""

    async def erase_requester(self, ticket_id: str) -> None:
        """Erase, in the CRM, the personal data of this ticket's requester (an erasure request
        the service received); an already-erased requester is not an error."""

    async def close(self) -> None: ...


# What a CRM's status words mean for the local lifecycle (Zendesk's, and the generic ones).
CRM_STATUS: dict[str, CaseStatus] = {
    "new": "open",
    "open": "open",
    "pending": "pending",
    "hold": "pending",
    "on-hold": "pending",
    "solved": "solved",
    "closed": "closed",
}


def conversation_link(case: Case) -> str:
    """Where the conversation is, for the ticket: the service's own message key."""
    return f"centinela:{case.message_key}"
