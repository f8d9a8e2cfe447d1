"""The e-mail adapter against real servers: Dovecot for the mailbox, aiosmtpd for the replies."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncIterator, Sequence
from pathlib import Path

import pytest
from pydantic import SecretStr

from adapters.base import AdapterContext, PermanentFailure, TemporaryFailure
from adapters.email.adapter import REPLY_KEY, EmailAdapter
from adapters.email.config import EmailConfig
from adapters.email.translate import read_mail
from bot.core.models import InboundMessage, OutboxItem
from bot.engine.adapters import StoreCursors
from bot.store.sqlite import SqliteStore
from tests.conftest import eventually
from tests.fakes.silent_imap import SilentImap
from tests.mailservers import PASSWORD, USER, Dovecot, SmtpServer, dovecot, free_port, smtp_server
from tests.paths import TEST_DATA

__all__ = ["dovecot", "smtp_server"]  # fixtures
MAILS = TEST_DATA / "email"


def config(imap: Dovecot | None, smtp: SmtpServer | None, **extra: object) -> EmailConfig:
    values: dict[str, object] = {
        "address": "soporte@aurora.example",
        "display_name": "Soporte Aurora",
        "imap_host": imap.host if imap else "127.0.0.1",
        "imap_port": imap.port if imap else free_port(),
        "imap_ssl": False,
        "imap_user": USER,
        "imap_password": SecretStr(PASSWORD),
        "smtp_host": smtp.host if smtp else "127.0.0.1",
        "smtp_port": smtp.port if smtp else free_port(),
        "smtp_security": "none",
        "start_from": "all",
        "timeout_s": 5.0,
        **extra,
    }
    return EmailConfig.model_validate(values)


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[SqliteStore]:
    opened = SqliteStore(tmp_path / "mail.sqlite3")
    await opened.open()
    yield opened
    await opened.close()


class CrashingSink:
    """The intake, but the process dies (raises) when it is handed the mail number `crash_at`."""

    def __init__(self, store: SqliteStore, crash_at: int | None = None) -> None:
        self.store, self.crash_at, self.calls = store, crash_at, 0
        self.crashed = asyncio.Event()

    async def __call__(self, messages: Sequence[InboundMessage]) -> list[bool]:
        self.calls += 1
        if self.calls == self.crash_at:
            self.crashed.set()
            raise RuntimeError("killed mid-poll")
        return await self.store.enqueue(messages)


async def started(adapter: EmailAdapter, store: SqliteStore, sink: CrashingSink) -> EmailAdapter:
    await adapter.start(AdapterContext(sink=sink, cursors=StoreCursors(store, "email")))
    return adapter


async def test_mail_in_the_box_is_read_then_new_mail_arrives_through_idle(
    dovecot: Dovecot, store: SqliteStore
) -> None:
    await dovecot.deliver((MAILS / "question.eml").read_bytes())
    adapter = await started(EmailAdapter(config(dovecot, None)), store, CrashingSink(store))
    try:
        message = await eventually(lambda: store.get_message("email:q-0001@mail.example.com"), timeout=15)
        assert message.author.handle.startswith("a***@example.com#")
        assert adapter.poller is not None and adapter.poller.mode == "idle"
        await dovecot.deliver((MAILS / "complaint.eml").read_bytes())  # pushed by IDLE, no poll interval
        await eventually(lambda: store.get_message("email:c-0002@example.org"), timeout=15)
        reply = json.loads(
            await StoreCursors(store, "email").get(REPLY_KEY + "q-0001@mail.example.com") or "{}"
        )
        assert reply["address"] == "ana.garcia@example.com"  # kept for the reply, beside the pipeline
        assert await store.queue_depth() == 2
    finally:
        await adapter.close()


async def test_automated_mail_advances_the_cursor_without_reaching_the_intake(
    dovecot: Dovecot, store: SqliteStore
) -> None:
    for name in ("vacation.eml", "bounce.eml", "question.eml"):
        await dovecot.deliver((MAILS / name).read_bytes())
    adapter = await started(EmailAdapter(config(dovecot, None)), store, CrashingSink(store))
    try:
        await eventually(lambda: store.get_message("email:q-0001@mail.example.com"), timeout=15)
        assert await store.queue_depth() == 1
        assert adapter.stats.counts["skipped_auto_reply"] == 1
        assert adapter.stats.counts["skipped_delivery_report"] == 1
        assert await StoreCursors(store, "email").get("last_uid") == "3"
    finally:
        await adapter.close()


async def test_a_mail_the_parser_cannot_read_does_not_stall_the_mailbox(
    dovecot: Dovecot, store: SqliteStore
) -> None:
    """A `From` the standard library's header parser raises on used to make the poller fail,
    reconnect and fetch the same mail again, forever: the mail behind it never arrived."""
    broken = (MAILS / "complaint.eml").read_bytes()
    broken = re.sub(rb"^From: .*$", b"From: Luis Pardo <luis.pardo@", broken, count=1, flags=re.M)
    await dovecot.deliver(broken)
    await dovecot.deliver((MAILS / "question.eml").read_bytes())
    adapter = await started(EmailAdapter(config(dovecot, None)), store, CrashingSink(store))
    try:
        await eventually(lambda: store.get_message("email:q-0001@mail.example.com"), timeout=15)
        assert adapter.stats.counts["skipped_no_sender"] == 1 and "imap_errors" not in adapter.stats.counts
        assert await StoreCursors(store, "email").get("last_uid") == "2"
        assert dovecot.uids() == [1, 2]  # both still on the server
    finally:
        await adapter.close()


async def test_restart_mid_poll_neither_loses_nor_repeats(dovecot: Dovecot, store: SqliteStore) -> None:
    names = ("question.eml", "complaint.eml", "latin1.eml", "cp1252.eml")
    for name in names:
        await dovecot.deliver((MAILS / name).read_bytes())
    first_sink = CrashingSink(store, crash_at=3)
    first = await started(EmailAdapter(config(dovecot, None, idle=False, poll_s=30)), store, first_sink)
    await asyncio.wait_for(first_sink.crashed.wait(), 15)
    await first.close()  # the process is gone: mail 3 was never stored, its UID never saved
    assert await store.queue_depth() == 2
    assert await StoreCursors(store, "email").get("last_uid") == "2"
    second_sink = CrashingSink(store)
    second = await started(EmailAdapter(config(dovecot, None)), store, second_sink)
    try:
        await eventually(lambda: _depth_is(store, 4), timeout=15)
        assert second_sink.calls == 2  # mails 3 and 4 only: 1 and 2 are not read again
        ids = {"q-0001@mail.example.com", "c-0002@example.org", "i-0008@example.es", "w-0009@example.com"}
        assert all([await store.get_message(f"email:{i}") for i in ids])
    finally:
        await second.close()


async def test_a_lost_cursor_write_is_absorbed_by_message_id_dedupe(
    dovecot: Dovecot, store: SqliteStore
) -> None:
    await dovecot.deliver((MAILS / "question.eml").read_bytes())
    adapter = await started(EmailAdapter(config(dovecot, None)), store, CrashingSink(store))
    await eventually(lambda: store.get_message("email:q-0001@mail.example.com"), timeout=15)
    await adapter.close()
    await StoreCursors(store, "email").set("last_uid", "0")  # as if the crash came before the cursor moved
    sink = CrashingSink(store)
    again = await started(EmailAdapter(config(dovecot, None)), store, sink)
    try:
        await eventually(lambda: _cursor_is(store, "1"), timeout=15)
        assert sink.calls == 1 and again.stats.counts["duplicates"] == 1 and await store.queue_depth() == 1
    finally:
        await again.close()


async def test_start_from_new_ignores_what_was_already_in_the_box(
    dovecot: Dovecot, store: SqliteStore
) -> None:
    await dovecot.deliver((MAILS / "question.eml").read_bytes())
    adapter = await started(EmailAdapter(config(dovecot, None, start_from="new")), store, CrashingSink(store))
    try:
        assert adapter.poller is not None
        await asyncio.wait_for(adapter.poller.connected.wait(), 15)
        await dovecot.deliver((MAILS / "complaint.eml").read_bytes())
        await eventually(lambda: store.get_message("email:c-0002@example.org"), timeout=15)
        assert await store.get_message("email:q-0001@mail.example.com") is None
    finally:
        await adapter.close()


async def test_unreachable_imap_server_is_reported_not_fatal(store: SqliteStore) -> None:
    adapter = await started(EmailAdapter(config(None, None)), store, CrashingSink(store))
    try:
        await eventually(lambda: _reconnecting(adapter), timeout=10)
    finally:
        await adapter.close()


async def _reconnecting(adapter: EmailAdapter) -> bool:
    return adapter.status().startswith("reconnecting")


async def _depth_is(store: SqliteStore, n: int) -> bool:
    return await store.queue_depth() == n


async def _cursor_is(store: SqliteStore, value: str) -> bool:
    return await StoreCursors(store, "email").get("last_uid") == value


def outbox_item(account: str = "robot", target: str = "q-0001@mail.example.com") -> OutboxItem:
    return OutboxItem.model_validate(
        {
            "idempotency_key": f"email:{target}:{account}:answer",
            "account": account,
            "channel": "email",
            "target": target,
            "recipient": "a***@example.com#00000000",
            "text": "[Respuesta automática] Para reiniciar el router, desenchúfalo 30 segundos.",
        }
    )


async def sender_adapter(store: SqliteStore, smtp: SmtpServer | None) -> EmailAdapter:
    adapter = EmailAdapter(config(None, smtp, imap_port=free_port()))
    cursors = StoreCursors(store, "email")
    reply = {
        "address": "ana.garcia@example.com",
        "subject": "¿Cómo reinicio el router?",
        "message_id": "q-0001@mail.example.com",
        "references": ["root@example.com", "q-0001@mail.example.com"],
    }
    await cursors.set(REPLY_KEY + "q-0001@mail.example.com", json.dumps(reply))
    adapter._cursors = cursors  # send needs only the cursors; no poller for these tests
    return adapter


async def test_automatic_reply_is_threaded_and_marked(store: SqliteStore, smtp_server: SmtpServer) -> None:
    adapter = await sender_adapter(store, smtp_server)
    receipt = await adapter.send(outbox_item())
    (mail,) = smtp_server.recorder.received
    assert mail.rcpt_tos == ["ana.garcia@example.com"] and mail.mail_from == "soporte@aurora.example"
    msg = mail.message
    assert msg["In-Reply-To"] == "<q-0001@mail.example.com>"
    assert msg["References"] == "<root@example.com> <q-0001@mail.example.com>"
    assert msg["Subject"] == "Re: ¿Cómo reinicio el router?"
    assert msg["Auto-Submitted"] == "auto-replied" and msg["X-Auto-Response-Suppress"] == "All"
    assert msg["From"] == "Soporte Aurora <soporte@aurora.example>"
    assert msg.get_content().strip().startswith("[Respuesta automática]")
    assert receipt["message_id"] == msg["Message-ID"]
    await adapter.send(outbox_item())  # a retry is the same mail to the customer's client
    assert smtp_server.recorder.received[1].message["Message-ID"] == msg["Message-ID"]


async def test_approved_reply_is_a_persons_mail(store: SqliteStore, smtp_server: SmtpServer) -> None:
    adapter = await sender_adapter(store, smtp_server)
    await adapter.send(outbox_item("official"))
    msg = smtp_server.recorder.received[0].message
    assert msg["Auto-Submitted"] is None and msg["In-Reply-To"] == "<q-0001@mail.example.com>"


@pytest.mark.parametrize(
    ("answer", "error"),
    [("451 4.7.1 Try again later", TemporaryFailure), ("554 5.7.1 Message rejected", PermanentFailure)],
)
async def test_smtp_refusals_are_typed(
    store: SqliteStore, smtp_server: SmtpServer, answer: str, error: type[Exception]
) -> None:
    adapter = await sender_adapter(store, smtp_server)
    smtp_server.recorder.answers.append(answer)
    with pytest.raises(error):
        await adapter.send(outbox_item())


async def test_unreachable_smtp_and_unknown_mail_fail_typed(store: SqliteStore) -> None:
    adapter = await sender_adapter(store, None)
    with pytest.raises(TemporaryFailure, match="cannot reach"):
        await adapter.send(outbox_item())
    with pytest.raises(PermanentFailure, match="no reply address"):
        await adapter.send(outbox_item(target="never-seen@example.com"))


async def test_a_new_uidvalidity_rereads_the_box_and_dedupe_absorbs_it(
    dovecot: Dovecot, store: SqliteStore
) -> None:
    await dovecot.deliver((MAILS / "question.eml").read_bytes())
    await store.enqueue(read_mail_messages("question.eml"))  # already taken in before the rebuild
    cursors = StoreCursors(store, "email")
    await cursors.set("uidvalidity", "1")  # the mailbox we knew was another one
    await cursors.set("last_uid", "99")
    sink = CrashingSink(store)
    adapter = await started(EmailAdapter(config(dovecot, None, start_from="new")), store, sink)
    try:
        await eventually(lambda: _cursor_is(store, "1"), timeout=15)
        assert sink.calls == 1 and adapter.stats.counts["duplicates"] == 1
        assert await cursors.get("uidvalidity") != "1" and await store.queue_depth() == 1
    finally:
        await adapter.close()


def read_mail_messages(name: str) -> list[InboundMessage]:
    return read_mail((MAILS / name).read_bytes(), {"soporte@aurora.example"}).translation.messages


async def test_tls_against_a_plain_server_fails_typed_and_reports(
    dovecot: Dovecot, store: SqliteStore, smtp_server: SmtpServer
) -> None:
    adapter = await started(EmailAdapter(config(dovecot, None, imap_ssl=True)), store, CrashingSink(store))
    try:
        await eventually(lambda: _reconnecting(adapter), timeout=15)  # the TLS handshake fails
    finally:
        await adapter.close()
    sender = await sender_adapter(store, smtp_server)
    sender._config = sender._config.model_copy(update={"smtp_security": "tls"})
    with pytest.raises(TemporaryFailure, match="cannot reach"):
        await sender.send(outbox_item())
    assert smtp_server.recorder.received == []


async def test_a_server_gone_silent_during_idle_does_not_hold_the_shutdown(store: SqliteStore) -> None:
    server = SilentImap()
    await server.start()
    imap = Dovecot("127.0.0.1", server.port, Path("/nonexistent"))
    # The command timeout a silent server would otherwise cost twice (IDLE's end, then LOGOUT).
    adapter = await started(EmailAdapter(config(imap, None, timeout_s=30.0)), store, CrashingSink(store))
    try:
        await asyncio.wait_for(server.idling.wait(), 15)
        loop = asyncio.get_running_loop()
        began = loop.time()
        await adapter.close()
        assert loop.time() - began < 15, "shutdown waited on the silent server's command timeouts"
        assert adapter.poller is not None and not adapter.poller.connected.is_set()
    finally:
        await adapter.close()
        await server.close()
