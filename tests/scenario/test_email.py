"""A support mailbox in front of the real service: Dovecot holds the mail, aiosmtpd takes the replies.

The service runs with the `email:` section set, reading the Dovecot mailbox over IMAP (IDLE) and
replying through aiosmtpd; the bundled sample KB answers "¿cómo reinicio el router?".
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from bot.core.records import RecordKind
from bot.store.base import Store
from bot.web.app import STORE, create_app
from responders.templates import ROBOT_LABEL
from retrieval.kb_decision import KbAnalyser
from tests.conftest import eventually, settings_for
from tests.mailservers import Dovecot, SmtpServer, dovecot, email_section, smtp_server
from tests.paths import TEST_DATA
from tests.scenario.sample_kb import extensions_with, sample_kb_analyser

__all__ = ["dovecot", "smtp_server"]  # fixtures
ClientFactory = Callable[[web.Application], Awaitable[TestClient[Any, Any]]]
MAILS = TEST_DATA / "email"
OURS = "soporte@aurora.example"


def fresh(name: str) -> bytes:
    """A fixture mail dated now (automatic replies go only to recent messages)."""
    raw = (MAILS / name).read_bytes()
    return re.sub(
        rb"^Date: .*$", b"Date: " + format_datetime(datetime.now(UTC)).encode(), raw, count=1, flags=re.M
    )


@pytest.fixture(scope="module")
def kb(tmp_path_factory: pytest.TempPathFactory) -> KbAnalyser:
    return sample_kb_analyser(settings_for(tmp_path_factory.mktemp("kb")))


@pytest.fixture
async def service(
    dovecot: Dovecot, smtp_server: SmtpServer, aiohttp_client: ClientFactory, tmp_path: Path, kb: KbAnalyser
) -> TestClient[Any, Any]:
    section = email_section(dovecot, smtp_server, OURS, display_name="Soporte Aurora", start_from="all")
    settings = settings_for(tmp_path, email=section)
    return await aiohttp_client(create_app(settings, extensions=extensions_with(settings, kb)))


async def settled(store: Store, decided: int) -> bool:
    counts = await store.outbox_counts()
    done = len(await store.list_decisions()) >= decided
    return done and await store.queue_depth() == 0 and counts.get("pending", 0) == 0


async def test_email_question_gets_one_threaded_automatic_answer(
    service: TestClient[Any, Any], dovecot: Dovecot, smtp_server: SmtpServer
) -> None:
    await dovecot.deliver(fresh("question.eml"))
    store = service.app[STORE]
    await eventually(lambda: settled(store, 1), timeout=30)
    decision = await store.get_decision("email:q-0001@mail.example.com")
    assert decision is not None and decision.action == "answer"
    (mail,) = smtp_server.recorder.received
    assert mail.rcpt_tos == ["ana.garcia@example.com"]
    msg = mail.message
    assert (
        msg["In-Reply-To"] == "<q-0001@mail.example.com>" and msg["References"] == "<q-0001@mail.example.com>"
    )
    assert msg["Auto-Submitted"] == "auto-replied" and msg["From"] == f"Soporte Aurora <{OURS}>"
    assert msg["Subject"] == "Re: ¿Cómo reinicio el router?"
    assert msg.get_content().startswith(f"[{ROBOT_LABEL['es']}]")
    # The customer's address is in the reply's envelope only: nowhere the pipeline keeps things.
    stored = await store.get_message("email:q-0001@mail.example.com")
    assert stored is not None and "ana.garcia" not in stored.model_dump_json()
    assert "ana.garcia" not in decision.model_dump_json()
    (item,) = await store.list_outbox(status="published")
    assert "ana.garcia" not in item.model_dump_json(exclude={"receipt"})
    async with service.get("/readyz") as ready:
        assert (await ready.json())["adapters"]["email"] == "ok (idle)"


async def test_auto_reply_and_bounce_get_no_answer(
    service: TestClient[Any, Any], dovecot: Dovecot, smtp_server: SmtpServer
) -> None:
    for name in ("vacation.eml", "bounce.eml", "mailing_list.eml", "question.eml"):
        await dovecot.deliver(fresh(name))
    store = service.app[STORE]
    await eventually(lambda: settled(store, 2), timeout=30)  # the question and the list mail
    listed = await store.get_decision("email:l-0004@lists.example.com")
    assert listed is not None and listed.action == "monitor"  # kept, flagged, never answered
    assert await store.get_message("email:v-0003@example.net") is None
    assert await store.get_message("email:b-0005@mx.aurora.example") is None
    assert [m.rcpt_tos for m in smtp_server.recorder.received] == [["ana.garcia@example.com"]]


async def test_our_own_reply_landing_in_the_box_is_never_answered(
    service: TestClient[Any, Any], dovecot: Dovecot, smtp_server: SmtpServer
) -> None:
    await dovecot.deliver(fresh("question.eml"))
    store = service.app[STORE]
    await eventually(lambda: settled(store, 1), timeout=30)
    (ours,) = smtp_server.recorder.received
    await dovecot.deliver(ours.message.as_bytes())  # e.g. a Cc to the support box, or a loop back
    await eventually(lambda: _uids_read(service, dovecot), timeout=30)
    assert len(await store.list_decisions()) == 1 and len(smtp_server.recorder.received) == 1


async def _uids_read(service: TestClient[Any, Any], dovecot: Dovecot) -> bool:
    store: Store = service.app[STORE]
    seen = await store.get_flag("cursor:email:last_uid")
    return seen == str(len(dovecot.uids()))


async def test_complaint_opens_a_case_and_is_acknowledged_by_email(
    service: TestClient[Any, Any], dovecot: Dovecot, smtp_server: SmtpServer
) -> None:
    await dovecot.deliver(fresh("complaint.eml"))
    store = service.app[STORE]
    await eventually(lambda: settled(store, 1), timeout=30)
    decision = await store.get_decision("email:c-0002@example.org")
    assert decision is not None and decision.action == "case"
    (case,) = await store.list_records(RecordKind.CASE)
    assert case.data["channel"] == "email" and "luis" not in str(case.data["author"])
    (mail,) = smtp_server.recorder.received
    assert mail.rcpt_tos == ["luis.pardo@example.org"] and case.id in mail.message.get_content()
    assert (
        mail.message["In-Reply-To"] == "<c-0002@example.org>"
        and mail.message["Auto-Submitted"] == "auto-replied"
    )
