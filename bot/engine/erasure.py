"""Erase a customer on request: their record, their identities, the personal fields of their cases.

Why each place is named here: personal data was copied where it was needed (the case keeps the
author's handle and words, the outbox the reply's recipient and text, the identity records the
handles, the decisions and the dashboard's author figures the handle, the hot path each message
body and dead letter, waiting ones too, self-identification its look-up digests, codes and
mails), so an erasure must visit each, and the audit entry it leaves says what was done without
repeating any of it.
Tickets already in the CRM are the CRM's copy: the erasure queues a CRM-side erasure record
(ticket ids, no personal data) and audits it. The customer's id stays, as a tombstone the audit
entry refers to.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.core.cases import Case, customer_identity
from bot.core.customers import ERASED, Customer
from bot.core.digests import person_digest
from bot.core.models import AuditEvent
from bot.core.records import RecordKind
from bot.engine.cases import ATTEMPTS, load_case, save_case
from bot.engine.customers import load_customer, lookup_keys, save_customer
from bot.store.hot_path import HotPathStore
from bot.store.records import Filters, RecordFilter, RecordStore
from bot.store.scan import all_records


@dataclass(frozen=True, slots=True)
class Erasure:
    found: bool
    cases: int = 0
    identities: int = 0
    outbox_items: int = 0
    hot_messages: int = 0
    crm_tickets: int = 0


class CustomerEraser:
    def __init__(self, store: RecordStore, hot: HotPathStore | None = None) -> None:
        self._store = store
        self._hot = hot

    async def erase(self, customer_id: str, *, actor: str) -> Erasure:
        customer = await load_customer(self._store, customer_id)
        if customer is None:
            return Erasure(found=False)
        case_ids = await self._case_ids(customer)
        outbox = 0
        message_keys: list[str] = []
        for case_id in sorted(case_ids):
            keys = await self._scrub_case(case_id, customer_id)
            outbox += await self._scrub_outbox(keys)
            message_keys += keys
        identified = await self._forget_self_identification(customer)
        outbox += await self._scrub_outbox(identified)
        message_keys += identified
        hot = 0
        if self._hot is not None:
            hot = await self._hot.forget_messages(message_keys, ERASED)
            for identity in customer.identities:
                # messages still waiting in the intake belong to no case yet
                hot += await self._hot.forget_queued(identity.channel, identity.handle, ERASED)
        tickets = await self._queue_crm_erasure(customer_id, case_ids)
        for identity in customer.identities:
            # The dashboard's decisions and People figures carry the author's handle too.
            await self._store.forget_author(identity.channel, identity.handle, ERASED)
            await self._store.delete_record(RecordKind.IDENTITY, identity.id)
            await self._store.delete_record(RecordKind.CASE_IDENTITY, identity.id)
            # when they last wrote privately (segment campaigns); an opt-out is kept on purpose
            await self._store.delete_record(
                RecordKind.CONTACT, person_digest(identity.channel, identity.handle)
            )
            await self._delete_community_replies(identity.id)
        await self._store.delete_record(RecordKind.CASE_IDENTITY, customer_identity(customer_id))
        await self._tombstone(customer_id)
        erasure = Erasure(True, len(case_ids), len(customer.identities), outbox, hot, tickets)
        detail = {
            "cases": erasure.cases,
            "identities": erasure.identities,
            "outbox_items": outbox,
            "hot_messages": hot,
            "crm_tickets": tickets,
        }
        event = AuditEvent(kind="customer_erased", subject=customer_id, actor=actor, detail=detail)
        await self._store.append_audit([event])
        return erasure

    async def _case_ids(self, customer: Customer) -> set[str]:
        """Cases under the customer's id, and those opened by one of their identities before linking."""
        found = {
            r.id for r in await all_records(self._store, RecordFilter(RecordKind.CASE, customer=customer.id))
        }
        for identity in customer.identities:
            where = RecordFilter(RecordKind.CASE, customer=identity.handle, channel=identity.channel)
            found |= {r.id for r in await all_records(self._store, where)}
        return found

    async def _scrub_case(self, case_id: str, customer_id: str) -> list[str]:
        """Blank the case's personal fields (staff notes too: they may quote the customer);
        returns the message keys whose replies must be scrubbed as well."""
        for _ in range(ATTEMPTS):
            case = await load_case(self._store, case_id)
            if case is None:
                return []
            keys = [case.message_key, *(c.key for c in case.comments if c.kind == "message")]
            if await save_case(self._store, _scrubbed(case, customer_id)) is not None:
                return keys
        raise RuntimeError(f"case {case_id} kept changing during the erasure")

    async def _scrub_outbox(self, message_keys: list[str]) -> int:
        scrubbed = 0
        for key in message_keys:
            page = await self._store.query_outbox(Filters({"message_key": key}), limit=1000)
            for item in page.items:
                status = "cancelled" if item.status == "pending" else item.status
                await self._store.update_outbox(
                    item.model_copy(update={"recipient": None, "text": ERASED, "status": status})
                )
                scrubbed += 1
        return scrubbed

    async def _forget_self_identification(self, customer: Customer) -> list[str]:
        """Look-up digests, pending codes (whoever asked for them) and the messages of the code
        flow; returns those messages' keys (their replies and code mails are scrubbed too)."""
        for key in lookup_keys(customer):
            await self._store.delete_record(RecordKind.CUSTOMER_KEY, key)
        where = RecordFilter(RecordKind.SELF_ID_CHALLENGE, customer=customer.id)
        for record in await all_records(self._store, where):
            await self._store.delete_record(RecordKind.SELF_ID_CHALLENGE, record.id)
        keys: list[str] = []
        for record in await all_records(
            self._store, RecordFilter(RecordKind.SELF_ID_MESSAGE, customer=customer.id)
        ):
            keys.append(record.id)
            await self._store.delete_record(RecordKind.SELF_ID_MESSAGE, record.id)
        return keys

    async def _queue_crm_erasure(self, customer_id: str, case_ids: set[str]) -> int:
        """Tickets the CRM already has for these cases: a CRM-side erasure is queued for them."""
        found = await self._store.get_records(RecordKind.CRM_SYNC, sorted(case_ids))
        tickets = sorted({str(r.data["ticket_id"]) for r in found.values() if r.data.get("ticket_id")})
        if not tickets:
            return 0
        data = {"customer_id": customer_id, "status": "pending", "tickets": tickets}
        await self._store.put_record(RecordKind.CRM_ERASURE, customer_id, data)
        event = AuditEvent(kind="crm_erasure_queued", subject=customer_id, detail={"tickets": tickets})
        await self._store.append_audit([event])
        return len(tickets)

    async def _delete_community_replies(self, identity: str) -> None:
        """The People view's record of each reply of theirs that helped someone (their handle)."""
        where = RecordFilter(RecordKind.COMMUNITY_REPLY, customer=identity)
        for record in await all_records(self._store, where):
            await self._store.delete_record(RecordKind.COMMUNITY_REPLY, record.id)

    async def _tombstone(self, customer_id: str) -> None:
        for _ in range(ATTEMPTS):
            current = await load_customer(self._store, customer_id)
            if current is None or await save_customer(self._store, current.without_personal_data()):
                return


def _scrubbed(case: Case, customer_id: str) -> Case:
    comments = [
        c.model_copy(update={"text": ERASED, "author": ERASED}) if c.kind != "status" else c
        for c in case.comments
    ]
    return case.model_copy(
        update={
            "author": ERASED,
            "text": ERASED,
            "identity": f"erased:{customer_id}",
            "customer_id": customer_id,
            "reply_target": None,
            "comments": comments,
        }
    )
