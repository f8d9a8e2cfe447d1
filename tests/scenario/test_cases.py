"""Cases end to end, on SQLite and on PostgreSQL: a complaint opens a case acknowledged in the
customer's language, a follow-up joins it, staff move it along through the API and the CLI,
and the customer hears once, on their thread, that it is solved."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from bot.cli.main import main
from bot.core.models import InboundMessage, OutboxItem, utc_now
from bot.engine.cases import CaseBook
from bot.store.factory import build_records
from bot.store.sql.url import parse_database_url
from bot.web.app import RUNTIME, STORE, create_app
from tests.conftest import API_TOKEN, eventually, make_message, settings_for
from tests.scenario.records_backends import database_url
from tests.unit.bot.engine.case_drafts import draft

ClientFactory = Callable[[web.Application], Awaitable[TestClient[Any, Any]]]
__all__ = ["database_url"]  # the fixture, used by name
AUTH = {"Authorization": f"Bearer {API_TOKEN}"}
COMPLAINTS = {
    "es": ("Me han cobrado dos veces la factura de este mes", "Hemos abierto el caso C-"),
    "en": ("I was charged twice on my bill this month, please fix it", "We opened case C-"),
    "pt": ("Fui cobrado duas vezes na fatura deste mês, resolvam por favor", "Abrimos o caso C-"),
}


@pytest.fixture
async def client(database_url: str, aiohttp_client: ClientFactory, tmp_path: Path) -> TestClient[Any, Any]:
    return await aiohttp_client(create_app(settings_for(tmp_path, database_url=database_url)))


def _msg(msg_id: str, text: str, handle: str) -> InboundMessage:
    """A message written just now (older ones get no automatic reply)."""
    return make_message(msg_id, text, handle=handle, created_at=utc_now())


async def _ack(client: TestClient[Any, Any], key: str) -> OutboxItem:
    store = client.app[STORE]
    return await eventually(lambda: store.get_outbox(f"case_ack:{key}:robot"), timeout=20)


async def _case(client: TestClient[Any, Any], case_id: str) -> dict[str, Any]:
    response = await client.get(f"/api/v1/cases/{case_id}", headers=AUTH)
    assert response.status == 200, await response.text()
    body: dict[str, Any] = (await response.json())["case"]
    return body


async def test_complaints_open_cases_acknowledged_in_their_language_and_follow_ups_join(
    client: TestClient[Any, Any],
) -> None:
    runtime = client.app[RUNTIME]
    for lang, (text, _) in COMPLAINTS.items():
        await runtime.ingest([_msg(f"first-{lang}", text, f"@cliente_{lang}")])
    acks = {lang: await _ack(client, f"twitter:first-{lang}") for lang in COMPLAINTS}
    for lang, (_, expected) in COMPLAINTS.items():
        assert expected in acks[lang].text, acks[lang].text
    references = {lang: acks[lang].text.split("C-")[1].split()[0].rstrip(".,") for lang in COMPLAINTS}
    assert len(set(references.values())) == 3

    follow_up = _msg("again-es", "Sigo sin solución con lo de la factura duplicada", "@cliente_es")
    await runtime.ingest([follow_up])
    decision = await eventually(lambda: client.app[STORE].get_decision("twitter:again-es"), timeout=20)
    assert decision.action == "case" and decision.suppressed is None, decision
    joined = await _ack(client, "twitter:again-es")
    case_id = f"C-{references['es']}"
    assert f"Seguimos con tu caso {case_id}" in joined.text
    case = await _case(client, case_id)
    assert case["contacts"] == 2 and [c["key"] for c in case["comments"]] == ["twitter:again-es"]
    listed = await (await client.get("/api/v1/cases?status=open&customer=%40cliente_es", headers=AUTH)).json()
    assert [c["id"] for c in listed["items"]] == [case_id]


async def test_a_solved_case_tells_the_customer_once_on_their_thread(client: TestClient[Any, Any]) -> None:
    await client.app[RUNTIME].ingest([_msg("p1", COMPLAINTS["pt"][0], "@joao")])
    ack = await _ack(client, "twitter:p1")
    case_id = "C-" + ack.text.split("C-")[1].split()[0]
    pending = await client.post(f"/api/v1/cases/{case_id}/status", json={"status": "pending"}, headers=AUTH)
    assert pending.status == 200
    note = await client.post(f"/api/v1/cases/{case_id}/notes", json={"text": "técnico enviado"}, headers=AUTH)
    assert note.status == 200
    for _ in range(2):  # solved twice (a double click, the CRM and a person): told once
        solved = await client.post(
            f"/api/v1/cases/{case_id}/status", json={"status": "solved", "actor": "eva"}, headers=AUTH
        )
        assert solved.status == 200
    store = client.app[STORE]
    notice = await eventually(lambda: store.get_outbox(f"case_solved:{case_id}:0"))
    assert notice.target == "p1" and notice.channel == "twitter" and "foi resolvido" in notice.text
    notices = [i for i in await store.list_outbox(limit=100) if i.idempotency_key.startswith("case_solved:")]
    assert len(notices) == 1
    case = await _case(client, case_id)
    assert case["status"] == "solved" and [c["kind"] for c in case["comments"]] == [
        "status",
        "note",
        "status",
    ]
    listed = await (await client.get("/api/v1/audit?kind=case_status", headers=AUTH)).json()
    assert {e["actor"] for e in listed["items"]} == {"api:api", "api:eva"}


async def test_bad_case_requests_are_4xx_with_the_field(client: TestClient[Any, Any]) -> None:
    await client.app[RUNTIME].ingest([_msg("b1", COMPLAINTS["es"][0], "@bea")])
    ack = await _ack(client, "twitter:b1")
    case_id = "C-" + ack.text.split("C-")[1].split()[0]
    bad = await client.post(f"/api/v1/cases/{case_id}/status", json={"status": "done"}, headers=AUTH)
    assert bad.status == 400 and (await bad.json())["field"] == "status"
    empty = await client.post(f"/api/v1/cases/{case_id}/notes", json={"text": ""}, headers=AUTH)
    assert empty.status == 400 and (await empty.json())["field"] == "text"
    broken = await client.post(f"/api/v1/cases/{case_id}/notes", data=b"{", headers=AUTH)
    assert broken.status == 400
    missing = await client.post("/api/v1/cases/C-1/status", json={"status": "solved"}, headers=AUTH)
    assert missing.status == 404 and (await client.get("/api/v1/cases/C-1", headers=AUTH)).status == 404
    await client.post(f"/api/v1/cases/{case_id}/status", json={"status": "closed"}, headers=AUTH)
    refused = await client.post(f"/api/v1/cases/{case_id}/status", json={"status": "pending"}, headers=AUTH)
    assert refused.status == 409 and (await refused.json())["outcome"] == "refused"


def test_the_cli_lists_shows_solves_and_closes(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    case_id = asyncio.run(_seed_case(database_url))
    monkeypatch.setenv("CENTINELA_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("CENTINELA_DATABASE_URL", database_url)
    assert main(["cases", "list", "--status", "open", "--json"]) == 0
    assert [c["id"] for c in json.loads(capsys.readouterr().out)] == [case_id]
    assert main(["cases", "list", "--priority", "normal", "--json"]) == 0
    assert [c["id"] for c in json.loads(capsys.readouterr().out)] == [case_id]
    assert main(["cases", "list", "--priority", "urgent", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == []
    assert main(["cases", "solve", case_id, "--note", "refund done", "--actor", "eva"]) == 0
    capsys.readouterr()
    assert main(["cases", "show", case_id, "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["status"] == "solved" and shown["comments"][-1]["author"] == "cli:eva"
    assert main(["cases", "close", case_id]) == 0
    assert main(["cases", "pending", case_id]) == 1  # closed is final
    assert main(["cases", "show", "C-999999"]) == 1
    assert main(["cases", "list", "--status", "closed"]) == 0
    assert capsys.readouterr().out.splitlines()[-1].startswith(f"{case_id}\tclosed\tnormal\t")
    assert asyncio.run(_outbox_keys(database_url)) == [f"case_solved:{case_id}:0"]


async def _seed_case(database_url: str) -> str:
    """A case as the engine opens it for a complaint."""
    records = build_records(parse_database_url(database_url))
    await records.open()
    try:
        result = await CaseBook(records).open_or_join(draft("k1", "@kim"))
        return result.case.id
    finally:
        await records.close()


async def _outbox_keys(database_url: str) -> list[str]:
    records = build_records(parse_database_url(database_url))
    await records.open()
    try:
        return [i.idempotency_key for i in await records.list_outbox(limit=100)]
    finally:
        await records.close()


async def test_the_sla_report_in_the_api_and_in_metrics(
    database_url: str, aiohttp_client: ClientFactory, tmp_path: Path
) -> None:
    # `database_url` first: its schema is dropped after the service has closed its connections.
    always = {"teams": {"default": {"always": True}}, "check_interval_s": 0.05}
    settings = settings_for(tmp_path, database_url=database_url, cases={"sla": always})
    client = await aiohttp_client(create_app(settings))
    await client.app[RUNTIME].ingest([_msg("s1", COMPLAINTS["es"][0], "@sol")])
    ack = await _ack(client, "twitter:s1")
    case_id = "C-" + ack.text.split("C-")[1].split()[0]
    await client.post(f"/api/v1/cases/{case_id}/notes", json={"text": "mirando"}, headers=AUTH)
    await client.post(f"/api/v1/cases/{case_id}/status", json={"status": "solved"}, headers=AUTH)
    report = await (await client.get("/api/v1/sla", headers=AUTH)).json()
    assert report["cases"] == 1 and report["breached"] == 0
    assert report["first_response_s"]["p50"] is not None and report["resolution_s"]["p90"] is not None
    assert (await client.get("/api/v1/sla?since=yesterday", headers=AUTH)).status == 400

    async def scraped() -> str | None:
        text = await (await client.get("/metrics")).text()
        line = 'centinela_sla_seconds{measure="resolution",quantile="0.5"}'
        return text if line in text and f"{line} NaN" not in text else None

    await eventually(scraped, timeout=20)
