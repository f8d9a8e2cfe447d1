"""The CRM end to end: a complaint becomes a Zendesk ticket on its own, the CRM marks it solved
through its signed webhook and the customer is told once; the generic connector's events reach
a receiver that checks their signature, and its signed status changes come back."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from adapters.webhook.signing import SignatureError, signed_headers
from bot.config import ConfigError
from bot.core.models import OutboxItem, utc_now
from bot.web.app import RUNTIME, STORE, create_app
from tests.conftest import API_TOKEN, eventually, make_message, settings_for
from tests.fakes.crm_receiver import signed_event
from tests.fakes.zendesk_api import EMAIL, TOKEN, FakeZendesk, sign_webhook

ClientFactory = Callable[[web.Application], Awaitable[TestClient[Any, Any]]]
ServerFactory = Callable[[web.Application], Awaitable[TestServer]]
AUTH = {"Authorization": f"Bearer {API_TOKEN}"}
COMPLAINT = "Me han cobrado dos veces la factura de este mes"
ZENDESK_SECRET, CRM_SECRET = "zd-webhook-secret", "crm-shared-secret"


async def _case_id(client: TestClient[Any, Any], key: str) -> str:
    store = client.app[STORE]
    ack: OutboxItem = await eventually(lambda: store.get_outbox(f"case_ack:{key}:robot"), timeout=20)
    return "C-" + ack.text.split("C-")[1].split()[0]


async def _notices(client: TestClient[Any, Any]) -> list[OutboxItem]:
    items = await client.app[STORE].list_outbox(limit=1000)
    return [i for i in items if i.idempotency_key.startswith("case_solved:")]


async def test_zendesk_gets_the_ticket_and_its_solution_reaches_the_customer_once(
    aiohttp_client: ClientFactory, aiohttp_server: ServerFactory, tmp_path: Path
) -> None:
    fake = FakeZendesk()
    server = await aiohttp_server(fake.app())
    zendesk = {
        "base_url": str(server.make_url("")),
        "email": EMAIL,
        "api_token": TOKEN,
        "webhook_secret": ZENDESK_SECRET,
    }
    settings = settings_for(tmp_path, cases={"zendesk": zendesk, "crm_sync_interval_s": 0.05})
    client = await aiohttp_client(create_app(settings))
    await client.app[RUNTIME].ingest([make_message("z1", COMPLAINT, handle="@zoe", created_at=utc_now())])
    case_id = await _case_id(client, "twitter:z1")
    await eventually(lambda: _async(fake.by_external_id(case_id)), timeout=20)

    body = {"external_id": case_id, "status": "Solved", "ticket_id": "35436"}
    raw, headers = sign_webhook(ZENDESK_SECRET, body, timestamp=utc_now().isoformat())
    forged = {**headers, "X-Zendesk-Webhook-Signature": headers["X-Zendesk-Webhook-Signature"][::-1]}
    assert (await client.post("/webhooks/zendesk", data=raw, headers=forged)).status == 401
    for _ in range(2):  # Zendesk retries a webhook it thinks failed: told once all the same
        answer = await client.post("/webhooks/zendesk", data=raw, headers=headers)
        assert answer.status == 200, await answer.text()
    [notice] = await _notices(client)
    assert notice.target == "z1" and "Tu caso" in notice.text and case_id in notice.text
    case = await (await client.get(f"/api/v1/cases/{case_id}", headers=AUTH)).json()
    assert case["case"]["status"] == "solved"
    audit = await (await client.get(f"/api/v1/audit?subject={case_id}", headers=AUTH)).json()
    assert [e["actor"] for e in audit["items"]] == ["crm:zendesk"]

    synced = await (await client.get("/api/v1/crm-sync?status=synced", headers=AUTH)).json()
    assert [r["id"] for r in synced["items"]] == [case_id]
    metrics = await (await client.get("/metrics")).text()
    assert 'centinela_crm_sync_total{state="synced"}' in metrics
    assert len(fake.by_external_id(case_id)) == 1


async def _async(value: Any) -> Any:
    return value


async def test_the_generic_connector_signs_its_events_and_takes_signed_status_back(
    aiohttp_client: ClientFactory, aiohttp_server: ServerFactory, tmp_path: Path
) -> None:
    tickets: dict[str, dict[str, Any]] = {}
    refused: list[str] = []

    async def receiver(request: web.Request) -> web.Response:
        try:
            event = await signed_event(request, CRM_SECRET)
        except SignatureError as exc:
            refused.append(str(exc))
            return web.json_response({"error": str(exc)}, status=401)
        if event["event"] == "case.find":
            found = tickets.get(event["external_id"])
            return web.json_response({"ticket_id": found["ticket_id"] if found else None})
        if event["event"] == "case.create":
            case = event["case"]
            tickets.setdefault(case["external_id"], {"ticket_id": f"T-{len(tickets) + 1}", **case})
            return web.json_response({"ticket_id": tickets[case["external_id"]]["ticket_id"]})
        return web.json_response({"ok": True})

    crm_app = web.Application()
    crm_app.router.add_post("/hooks/centinela", receiver)
    server = await aiohttp_server(crm_app)
    http = {"url": str(server.make_url("/hooks/centinela")), "secret": CRM_SECRET}
    settings = settings_for(tmp_path, cases={"http": http, "crm_sync_interval_s": 0.05})
    client = await aiohttp_client(create_app(settings))
    await client.app[RUNTIME].ingest([make_message("g1", COMPLAINT, handle="@gil", created_at=utc_now())])
    case_id = await _case_id(client, "twitter:g1")
    ticket = await eventually(lambda: _async(tickets.get(case_id)), timeout=20)
    assert ticket["conversation"] == "centinela:twitter:g1" and ticket["requester"] == "@gil"
    assert refused == []

    raw = json.dumps({"external_id": case_id, "status": "solved"}).encode()
    assert (
        await client.post("/webhooks/crm", data=raw, headers={"Content-Type": "application/json"})
    ).status == 401
    answer = await client.post("/webhooks/crm", data=raw, headers=signed_headers(CRM_SECRET, raw))
    assert answer.status == 200, await answer.text()
    assert len(await _notices(client)) == 1
    unknown = json.dumps({"external_id": "C-404", "status": "solved"}).encode()
    assert (
        await client.post("/webhooks/crm", data=unknown, headers=signed_headers(CRM_SECRET, unknown))
    ).status == 404
    bad = json.dumps({"external_id": case_id, "status": "exploded"}).encode()
    answer = await client.post("/webhooks/crm", data=bad, headers=signed_headers(CRM_SECRET, bad))
    assert answer.status == 400 and (await answer.json())["field"] == "status"


@pytest.mark.parametrize(
    "cases",
    [
        {
            "http": {"url": "http://x", "secret": "s"},
            "zendesk": {"base_url": "http://z", "email": "e", "api_token": "t"},
        }
    ],
)
def test_one_crm_at_a_time(tmp_path: Path, cases: dict[str, Any]) -> None:

    with pytest.raises(ConfigError, match="one CRM"):
        settings_for(tmp_path, cases=cases)
