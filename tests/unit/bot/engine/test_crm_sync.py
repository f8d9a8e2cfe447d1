"""The CRM sync against the Zendesk fake: down for the first 100 cases then all synced once,
429 retried after its Retry-After, a lost create answer never makes a second ticket, dead
letters after N failures without blocking the next case, follow-ups added as comments once.
A controllable clock moves time; nothing sleeps."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from pydantic import SecretStr

from adapters.zendesk.client import ZendeskCrm
from adapters.zendesk.config import ZendeskConfig
from bot.core.records import RecordKind
from bot.engine.cases import CaseBook
from bot.engine.crm_sync import CrmSync, CrmSyncSettings
from bot.store.records import Filters, RecordFilter, RecordStore
from tests.fakes.zendesk_api import EMAIL, TOKEN, FakeZendesk, ZendeskFault
from tests.unit.bot.engine.case_drafts import T0, draft

ServerFactory = Callable[[web.Application], Awaitable[TestServer]]


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture
async def zendesk(aiohttp_server: ServerFactory) -> tuple[FakeZendesk, ZendeskCrm]:
    fake = FakeZendesk()
    server = await aiohttp_server(fake.app())
    config = ZendeskConfig(
        base_url=str(server.make_url("")), email=EMAIL, api_token=SecretStr(TOKEN), channel_field_id=7
    )
    return fake, ZendeskCrm(config)


def _sync(records: RecordStore, crm: ZendeskCrm, clock: Clock, states: list[str], **kw: Any) -> CrmSync:
    return CrmSync(
        records, crm, settings=CrmSyncSettings(batch=200, **kw), clock=clock, counted=states.append
    )


async def _states(records: RecordStore) -> dict[str, int]:
    page = await records.query_records(RecordFilter(RecordKind.CRM_SYNC), limit=1000)
    counts: dict[str, int] = {}
    for record in page.items:
        counts[record.data["status"]] = counts.get(record.data["status"], 0) + 1
    return counts


async def test_crm_down_for_the_first_100_cases_then_each_synced_once(
    records: RecordStore, zendesk: tuple[FakeZendesk, ZendeskCrm]
) -> None:
    fake, crm = zendesk
    book, clock, states = CaseBook(records), Clock(), list[str]()
    for i in range(100):
        await book.open_or_join(draft(f"m{i}", f"@c{i}"))
    fake.down = True
    sync = _sync(records, crm, clock, states)
    assert await sync.run_once() == 100
    assert await _states(records) == {"pending": 100} and fake.tickets == {}
    fake.down = False
    assert await sync.run_once() == 0  # backing off: nothing is due yet
    clock.advance(3)
    assert await sync.run_once() == 100
    assert await _states(records) == {"synced": 100}
    assert sorted(t["external_id"] for t in fake.tickets.values()) == sorted(
        f"C-{1001 + i}" for i in range(100)
    )
    assert states.count("synced") == 100 and states.count("retry") == 100
    clock.advance(3600)
    assert await sync.run_once() == 0 and len(fake.tickets) == 100  # synced stays synced
    await crm.close()


async def test_429_waits_for_its_retry_after(
    records: RecordStore, zendesk: tuple[FakeZendesk, ZendeskCrm]
) -> None:
    fake, crm = zendesk
    opened = await CaseBook(records).open_or_join(draft("m1"))
    fake.faults.append(ZendeskFault(status=429, retry_after_s=30))
    clock, states = Clock(), list[str]()
    sync = _sync(records, crm, clock, states)
    await sync.run_once()
    clock.advance(29)
    calls = len(fake.calls)
    assert await sync.run_once() == 0 and len(fake.calls) == calls
    clock.advance(2)
    assert await sync.run_once() == 1
    [ticket] = fake.by_external_id(opened.case.id)
    assert ticket["priority"] == "normal" and ticket["custom_fields"] == [{"id": 7, "value": "twitter"}]
    assert ticket["tags"] == ["centinela", "twitter"]
    await crm.close()


async def test_a_lost_create_answer_never_makes_a_second_ticket(
    records: RecordStore, zendesk: tuple[FakeZendesk, ZendeskCrm]
) -> None:
    fake, crm = zendesk
    await CaseBook(records).open_or_join(draft("m1"))
    # the look-up answers, the create is processed but its answer never arrives
    fake.faults.extend([None, ZendeskFault(drop_after_processing=True)])
    clock, states = Clock(), list[str]()
    sync = _sync(records, crm, clock, states)
    await sync.run_once()
    assert len(fake.tickets) == 1 and await _states(records) == {"pending": 1}
    clock.advance(10)
    await sync.run_once()
    assert len(fake.tickets) == 1 and await _states(records) == {"synced": 1}
    await crm.close()


async def test_dead_letter_after_n_failures_and_the_next_case_goes_on(
    records: RecordStore, zendesk: tuple[FakeZendesk, ZendeskCrm]
) -> None:
    fake, crm = zendesk
    book = CaseBook(records)
    await book.open_or_join(draft("m1", "@a"))
    clock, states = Clock(), list[str]()
    sync = _sync(records, crm, clock, states, max_attempts=3)
    for _ in range(3):
        fake.faults.append(ZendeskFault(status=500))
        await sync.run_once()
        clock.advance(3600)
    assert await _states(records) == {"failed": 1} and states == ["retry", "retry", "failed"]
    [event] = (await records.query_audit(Filters({"kind": "crm_sync_failed"}))).items
    assert event.subject == "C-1001"
    await book.open_or_join(draft("m2", "@b"))
    await sync.run_once()
    assert [t["external_id"] for t in fake.tickets.values()] == ["C-1002"]
    await crm.close()


async def test_follow_ups_and_status_changes_reach_the_ticket_once(
    records: RecordStore, zendesk: tuple[FakeZendesk, ZendeskCrm]
) -> None:
    from bot.engine.case_lifecycle import CaseLifecycle

    fake, crm = zendesk
    book, clock, states = CaseBook(records), Clock(), list[str]()
    opened = await book.open_or_join(draft("m1"))
    sync = _sync(records, crm, clock, states)
    await sync.run_once()
    await book.open_or_join(draft("m2"))
    await CaseLifecycle(records).set_status(opened.case.id, "pending", actor="api:eva")
    await sync.run_once()
    await sync.run_once()
    [(ticket_id, ticket)] = fake.tickets.items()
    assert ticket["status"] == "pending" and ticket["priority"] == "high"  # repeat contact
    bodies = [c["body"] for c in fake.comments[ticket_id]]
    assert len(bodies) == 3 and bodies[1] == "texto m2" and bodies[2].startswith("api:eva: open → pending")
    assert all(c["public"] is False for c in fake.comments[ticket_id])
    await crm.close()
