"""Self-identification through the running service, on SQLite and on PostgreSQL records.

The `email:` adapter sends the code over real SMTP (aiosmtpd) and reads a real Dovecot mailbox.
A customer imported with their Twitter identity has an open case; they write their contract
number on WhatsApp (es, en, pt), read the code from the mail at the address on file, write it
back, and their next WhatsApp complaint joins the Twitter case. A public tweet with a contract
number is asked to go private and never echoed; the stored copies hold no code.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from bot.core.models import OutboxItem, utc_now
from bot.core.records import RecordKind
from bot.engine.customers import customer_of
from bot.engine.outbox import ONE_TIME_SENT
from bot.store.base import Store
from bot.web.app import RUNTIME, STORE, create_app
from tests.conftest import API_TOKEN, eventually, make_message, settings_for
from tests.mailservers import Dovecot, SmtpServer, dovecot, email_section, smtp_server
from tests.records_dump import hot_path_text, records_database_text
from tests.scenario.records_backends import database_url

__all__ = ["database_url", "dovecot", "smtp_server"]  # fixtures
ClientFactory = Callable[[web.Application], Awaitable[TestClient[Any, Any]]]
AUTH = {"Authorization": f"Bearer {API_TOKEN}"}
PHONE = "34600111222"
PERSONAL = ("Ana Pérez", "ana@example.com", "CT-778899", "CT778899", "ana_p", PHONE)
SAYS = {
    "es": ("Hola, mi número de contrato es CT-778899", "Me han cobrado dos veces la factura de este mes",
           "Sigo sin solución con la factura duplicada", "Te hemos enviado", "Listo", "Seguimos con tu caso"),
    "en": ("Hi, my contract number is CT-778899", "I was charged twice for my bill this month",
           "Still no fix for the double charge on my bill", "We sent", "Done", "still on your case"),
    "pt": ("Olá, meu número de contrato é CT-778899", "Fui cobrado duas vezes na fatura deste mês",
           "Continuo sem solução para a cobrança duplicada", "Enviamos", "Pronto", "seu caso"),
}  # fmt: skip


@pytest.fixture
async def service(
    database_url: str,
    dovecot: Dovecot,
    smtp_server: SmtpServer,
    aiohttp_client: ClientFactory,
    tmp_path: Path,
) -> TestClient[Any, Any]:
    # The app's fixture last: it closes first, before its PostgreSQL schema is dropped and its
    # mail servers stop (fixtures are torn down in reverse order).
    section = email_section(dovecot, smtp_server, "soporte@ondanet.example")
    settings = settings_for(tmp_path, database_url=database_url, email=section)
    return await aiohttp_client(create_app(settings))


async def _reply(client: TestClient[Any, Any], key: str, purpose: str) -> OutboxItem:
    store = client.app[STORE]
    return await eventually(lambda: store.get_outbox(f"{purpose}:{key}:robot"), timeout=20)


async def _sent(smtp: SmtpServer, count: int) -> None:
    async def enough() -> bool:
        return len(smtp.recorder.received) >= count

    await eventually(enough, timeout=20)


@pytest.mark.parametrize("lang", ["es", "en", "pt"])
async def test_a_customer_identifies_on_whatsapp_and_their_complaint_joins_their_case(
    service: TestClient[Any, Any], smtp_server: SmtpServer, lang: str
) -> None:
    claim, complaint, follow_up, code_sent, confirmed, joined_words = SAYS[lang]
    customer = {
        "name": "Ana Pérez",
        "email": "ana@example.com",
        "contract_number": "CT-778899",
        "identities": [{"channel": "twitter", "handle": "@ana_p"}],
    }
    assert (await service.put("/api/v1/customers/K-1", json=customer, headers=AUTH)).status == 200
    runtime = service.app[RUNTIME]
    await runtime.ingest([make_message("t1", complaint, handle="@ana_p", created_at=utc_now())])
    opened = await _reply(service, "twitter:t1", "case_ack")
    case_id = "C-" + opened.text.split("C-")[1].split()[0].rstrip(".,")

    await runtime.ingest([make_message("w1", claim, channel="whatsapp", handle=PHONE, created_at=utc_now())])
    told = await _reply(service, "whatsapp:w1", "self_id")
    assert code_sent in told.text and "a***@example.com" in told.text
    assert "CT-778899" not in told.text and "ana@example.com" not in told.text
    await _sent(smtp_server, 1)
    [mail] = smtp_server.recorder.received
    assert mail.rcpt_tos == ["ana@example.com"] and mail.message["Auto-Submitted"] == "auto-generated"
    body = mail.message.get_content()
    code = re.search(r"\b(\d{6})\b", body)
    assert code is not None
    store = service.app[STORE]
    sent_item = await eventually(lambda: _published(store.get_outbox("self_id_code:whatsapp:w1")), timeout=20)
    assert sent_item.text == ONE_TIME_SENT  # the code does not outlive its sending

    await runtime.ingest(
        [make_message("w2", f"{code.group(1)}", channel="whatsapp", handle=PHONE, created_at=utc_now())]
    )
    done = await _reply(service, "whatsapp:w2", "self_id")
    assert confirmed in done.text
    linked = await customer_of(store.records, "whatsapp", PHONE)
    assert linked is not None and linked.id == "K-1"
    assert code.group(1) not in await records_database_text(store.records)

    await runtime.ingest(
        [make_message("w3", follow_up, channel="whatsapp", handle=PHONE, created_at=utc_now())]
    )
    joined = await _reply(service, "whatsapp:w3", "case_ack")
    assert case_id in joined.text and joined_words in joined.text
    audit = await (await service.get("/api/v1/audit?kind=customer_self_identified", headers=AUTH)).json()
    assert [e["subject"] for e in audit["items"]] == ["K-1"]

    # Erased: nothing of hers stays in the records, the outbox, the audit or the hot path.
    await eventually(lambda: _settled(store), timeout=20)
    erased = await service.post("/api/v1/customers/K-1/erase", json={"actor": "dpo"}, headers=AUTH)
    answer = await erased.json()
    assert erased.status == 200 and answer["cases"] == 1 and answer["hot_messages"] >= 4, answer
    everything = await records_database_text(store.records) + await hot_path_text(store)
    for value in (*PERSONAL, code.group(1)):
        assert value not in everything, value
    assert await store.records.get_record(RecordKind.SELF_ID_CHALLENGE, f"whatsapp:{PHONE}") is None


async def _settled(store: Store) -> bool:
    counts = await store.outbox_counts()
    return await store.queue_depth() == 0 and counts.get("pending", 0) == 0


async def _published(pending: Awaitable[OutboxItem | None]) -> OutboxItem | None:
    item = await pending
    return item if item is not None and item.status == "published" else None


async def test_a_contract_number_in_public_is_asked_to_go_private_and_never_echoed(
    service: TestClient[Any, Any], smtp_server: SmtpServer
) -> None:
    customer = {"email": "ana@example.com", "contract_number": "CT-778899"}
    await service.put("/api/v1/customers/K-1", json=customer, headers=AUTH)
    runtime = service.app[RUNTIME]
    text = "@Ondanet mi contrato CT-778899 lleva sin internet desde ayer, mi correo ana@example.com"
    await runtime.ingest([make_message("t9", text, handle="@ana_p", created_at=utc_now())])
    asked = await _reply(service, "twitter:t9", "write_privately")
    assert "mensaje privado" in asked.text and "@ana_p" in asked.text
    assert "778899" not in asked.text and "ana@example.com" not in asked.text
    store = service.app[STORE]
    decision = await eventually(lambda: store.get_decision("twitter:t9"), timeout=20)
    assert decision.rule == "personal-data-in-public" and decision.action == "monitor"
    assert await store.get_outbox("self_id:twitter:t9:robot") is None  # no code flow in public
    assert await store.get_record(RecordKind.SELF_ID_CHALLENGE, "twitter:ana_p") is None
    assert smtp_server.recorder.received == []
