"""Customers end to end, on SQLite and on PostgreSQL: a CSV import, linking WhatsApp so the
customer's message there joins their case (answered in their preferred language), merge, and
an erasure that leaves no personal data in the records database."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from bot.cli.main import main
from bot.core.models import OutboxItem, utc_now
from bot.engine.customers import load_customer
from bot.store.base import Store
from bot.store.factory import build_records
from bot.store.sql.url import parse_database_url
from bot.web.app import RUNTIME, STORE, create_app
from tests.conftest import API_TOKEN, eventually, make_message, settings_for
from tests.records_dump import hot_path_text, records_database_text
from tests.scenario.records_backends import database_url

__all__ = ["database_url"]  # the fixture, used by name
ClientFactory = Callable[[web.Application], Awaitable[TestClient[Any, Any]]]
AUTH = {"Authorization": f"Bearer {API_TOKEN}"}
COMPLAINT = "Me han cobrado dos veces la factura de este mes"
PERSONAL = ("Ana Pérez", "ana@example.com", "+34600111222", "CT-778899", "@ana_p", "34600111222")


@pytest.fixture
async def client(database_url: str, aiohttp_client: ClientFactory, tmp_path: Path) -> TestClient[Any, Any]:
    return await aiohttp_client(create_app(settings_for(tmp_path, database_url=database_url)))


async def _ack(client: TestClient[Any, Any], key: str) -> OutboxItem:
    store = client.app[STORE]
    return await eventually(lambda: store.get_outbox(f"case_ack:{key}:robot"), timeout=20)


def test_customers_import_from_csv_reports_bad_rows_by_line(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    csv_file = tmp_path / "customers.csv"
    csv_file.write_text(
        "id,name,email,preferred_language,segments,identities\n"
        "K-1,Ana Pérez,ana@example.com,pt,vip;fibra,twitter:@ana_p;whatsapp:34600111222\n"
        "K-2,Bo,,en,,twitter\n"
        "K-3,Caio,,pt,,\n",
        encoding="utf-8",
    )
    monkeypatch.setenv("CENTINELA_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("CENTINELA_DATABASE_URL", database_url)
    assert main(["customers", "import", str(csv_file)]) == 1  # one row failed
    captured = capsys.readouterr()
    assert "imported 2 customer(s), 1 row(s) failed" in captured.out
    assert f"{csv_file}:3: identities:" in captured.err
    assert main(["customers", "import", str(csv_file)]) == 1  # again: an upsert, nothing doubled
    ana = asyncio.run(_customer(database_url, "K-1"))
    assert ana["segments"] == ["vip", "fibra"] and ana["preferred_language"] == "pt"
    assert [i["channel"] for i in ana["identities"]] == ["twitter", "whatsapp"]


async def _customer(database_url: str, customer_id: str) -> dict[str, Any]:
    store = build_records(parse_database_url(database_url))
    await store.open()
    try:
        customer = await load_customer(store, customer_id)
        assert customer is not None
        return customer.model_dump(mode="json")
    finally:
        await store.close()


async def test_linked_whatsapp_joins_the_case_in_the_preferred_language_and_erasure_leaves_nothing(
    client: TestClient[Any, Any],
) -> None:
    runtime = client.app[RUNTIME]
    await runtime.ingest([make_message("t1", COMPLAINT, handle="@ana_p", created_at=utc_now())])
    opened = await _ack(client, "twitter:t1")
    assert "Hemos abierto el caso C-" in opened.text  # not known yet: the message's language
    case_id = "C-" + opened.text.split("C-")[1].split()[0]

    customer = {
        "name": "Ana Pérez",
        "email": "ana@example.com",
        "phone": "+34600111222",
        "contract_number": "CT-778899",
        "preferred_language": "en",
        "identities": [{"channel": "twitter", "handle": "@ana_p"}],
    }
    saved = await client.put("/api/v1/customers/K-1", json=customer, headers=AUTH)
    assert saved.status == 200, await saved.text()
    linked = await client.post(
        "/api/v1/customers/K-1/identities",
        json={"channel": "whatsapp", "handle": "34600111222"},
        headers=AUTH,
    )
    assert linked.status == 200
    whatsapp = make_message(
        "wamid.1", "Sigo sin solución con la factura duplicada", channel="whatsapp", handle="34600111222"
    )
    await runtime.ingest([whatsapp.model_copy(update={"created_at": utc_now()})])
    joined = await _ack(client, "whatsapp:wamid.1")
    assert f"We're still on your case {case_id}" in joined.text  # her preferred language

    taken = await client.post(
        "/api/v1/customers/K-2/identities", json={"channel": "twitter", "handle": "@ana_p"}, headers=AUTH
    )
    assert taken.status == 404  # no customer K-2
    await client.put("/api/v1/customers/K-2", json={"name": "Otra"}, headers=AUTH)
    taken = await client.post(
        "/api/v1/customers/K-2/identities", json={"channel": "twitter", "handle": "@ANA_P"}, headers=AUTH
    )
    assert taken.status == 409  # one identity, one customer
    bad = await client.post("/api/v1/customers/K-1/identities", json={"channel": ""}, headers=AUTH)
    assert bad.status == 400 and (await bad.json())["field"] in ("channel", "handle")
    merged = await client.post("/api/v1/customers/K-2/merge", json={"into": "K-1"}, headers=AUTH)
    assert merged.status == 200

    erased = await client.post("/api/v1/customers/K-1/erase", json={"actor": "dpo"}, headers=AUTH)
    assert erased.status == 200, await erased.text()
    assert (await erased.json())["cases"] == 1
    everything = await records_database_text(client.app[STORE].records)
    for value in PERSONAL:
        assert value not in everything, value
    case = await (await client.get(f"/api/v1/cases/{case_id}", headers=AUTH)).json()
    assert case["case"]["author"] == "[erased]" and case["case"]["customer_id"] == "K-1"
    audit_page = await (await client.get("/api/v1/audit?kind=customer_erased", headers=AUTH)).json()
    assert [e["actor"] for e in audit_page["items"]] == ["api:dpo"]
    assert (await client.post("/api/v1/customers/K-404/erase", headers=AUTH)).status == 404


async def test_erasure_reaches_a_message_still_waiting_in_the_intake_and_a_worker_then_decides_it(
    aiohttp_client: ClientFactory, tmp_path: Path
) -> None:
    """An intake-only replica (no workers) accepts Ana's complaint; she is erased before any
    worker takes it; a worker replica started afterwards decides the blanked message."""
    intake = await aiohttp_client(create_app(settings_for(tmp_path, workers=0)))
    saved = await intake.put(
        "/api/v1/customers/K-1",
        json={"name": "Ana Pérez", "identities": [{"channel": "twitter", "handle": "ana_p"}]},
        headers=AUTH,
    )
    assert saved.status == 200, await saved.text()
    waiting = make_message("q1", f"{COMPLAINT}, contrato CT-778899", handle="@ana_p", created_at=utc_now())
    assert await intake.app[RUNTIME].ingest([waiting]) == [True]
    store = intake.app[STORE]
    assert "CT-778899" in await hot_path_text(store)
    erased = await intake.post("/api/v1/customers/K-1/erase", json={"actor": "dpo"}, headers=AUTH)
    assert erased.status == 200 and (await erased.json())["hot_messages"] >= 1
    everything = await hot_path_text(store)
    for value in ("CT-778899", "@ana_p", COMPLAINT):
        assert value not in everything, value
    await intake.close()

    worker = await aiohttp_client(create_app(settings_for(tmp_path)))
    after = worker.app[STORE]
    await eventually(lambda: _drained(after), timeout=20)
    assert await after.dead_letters() == []
    message = await after.get_message("twitter:q1")
    assert message is not None and message.text == "[erased]"


async def _drained(store: Store) -> bool:
    return await store.queue_depth() == 0
