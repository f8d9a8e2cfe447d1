"""The CRM side of an erasure against the Zendesk fake: the ticket's requester is deleted and
then permanently deleted, once; a CRM that is down keeps the request pending, then failed and
audited after the last attempt. On every records backend."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiohttp import web
from aiohttp.test_utils import TestServer
from pydantic import SecretStr

from adapters.zendesk.client import ZendeskCrm
from adapters.zendesk.config import ZendeskConfig
from bot.core.records import RecordKind
from bot.engine.cases import CaseBook
from bot.engine.crm_erasure import CrmErasures
from bot.store.records import Filters, RecordStore
from tests.fakes.zendesk_api import EMAIL, TOKEN, FakeZendesk
from tests.unit.bot.engine.case_drafts import draft

ServerFactory = Callable[[web.Application], Awaitable[TestServer]]


async def _zendesk(aiohttp_server: ServerFactory) -> tuple[FakeZendesk, ZendeskCrm]:
    fake = FakeZendesk()
    server = await aiohttp_server(fake.app())
    config = ZendeskConfig(base_url=str(server.make_url("")), email=EMAIL, api_token=SecretStr(TOKEN))
    return fake, ZendeskCrm(config)


async def test_a_queued_erasure_purges_the_requester_once(
    records: RecordStore, aiohttp_server: ServerFactory
) -> None:
    fake, crm = await _zendesk(aiohttp_server)
    try:
        opened = await CaseBook(records).open_or_join(draft("t1"))
        ticket = await crm.create_ticket(opened.case)
        requester = fake.tickets[int(ticket)]["requester_id"]
        data = {"customer_id": "K-1", "status": "pending", "tickets": [ticket]}
        await records.put_record(RecordKind.CRM_ERASURE, "K-1", data)
        assert await CrmErasures(records, crm).run_once() == 1
        assert fake.purged == [requester] and fake.deleted_users == []
        assert all(u["id"] != requester for u in fake.users)
        done = await records.get_record(RecordKind.CRM_ERASURE, "K-1")
        assert done is not None and done.data["status"] == "done" and done.data["done"] == [ticket]
        [event] = (await records.query_audit(Filters({"kind": "crm_erasure_done"}))).items
        assert event.subject == "K-1"
        calls = len(fake.calls)
        assert await CrmErasures(records, crm).run_once() == 0 and len(fake.calls) == calls
        await crm.erase_requester(ticket)  # already gone: not an error
    finally:
        await crm.close()


async def test_a_crm_that_is_down_keeps_the_erasure_pending_then_failed_and_audited(
    records: RecordStore, aiohttp_server: ServerFactory
) -> None:
    fake, crm = await _zendesk(aiohttp_server)
    try:
        await records.put_record(RecordKind.CRM_ERASURE, "K-1", {"status": "pending", "tickets": ["35436"]})
        fake.down = True
        erasures = CrmErasures(records, crm, max_attempts=2)
        await erasures.run_once()
        pending = await records.get_record(RecordKind.CRM_ERASURE, "K-1")
        assert pending is not None and pending.data["status"] == "pending" and pending.data["attempts"] == 1
        await erasures.run_once()
        failed = await records.get_record(RecordKind.CRM_ERASURE, "K-1")
        assert failed is not None and failed.data["status"] == "failed" and "503" in failed.data["last_error"]
        [event] = (await records.query_audit(Filters({"kind": "crm_erasure_failed"}))).items
        assert event.subject == "K-1"
    finally:
        await crm.close()
