"""The e-mail adapter: a support mailbox in (IMAP), threaded replies out (SMTP), channel `email`.

Each new mail is translated (`translate.read_mail`), the reply context (the customer's real
address, subject, references) is kept in the adapter's cursor store under the Message-ID,
then the message goes to the intake, then the UID cursor moves. `send` finds the reply context
by the outbox item's `target` (the Message-ID replied to), so the address never passes through
the pipeline, the war-room or the records.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import ssl
from collections.abc import Mapping
from email.message import EmailMessage
from typing import Any

import aiosmtplib

from adapters.base import (
    AdapterContext,
    AdapterStats,
    CursorStore,
    IntakeSink,
    NoRoutes,
    OutcomeUnknown,
    PermanentFailure,
    Receipt,
    TemporaryFailure,
    Translation,
)
from adapters.email.config import EmailConfig
from adapters.email.imap import ImapPoller
from adapters.email.outgoing import new_message, reply_message
from adapters.email.translate import read_mail
from bot.core.models import OutboxItem

log = logging.getLogger(__name__)

REPLY_KEY = "reply:"
# On close the poller finishes its step and says goodbye (IDLE done, LOGOUT) within this, else it is
# cancelled: safe, since its cursor moves only after a mail is durably in the intake.
CLOSE_GRACE_S = 5.0


class EmailAdapter(NoRoutes):
    name = "email"
    channels: tuple[str, ...] = ("email",)

    def __init__(self, config: EmailConfig) -> None:
        self._config = config
        self.stats = AdapterStats()
        self._cursors: CursorStore | None = None
        self._sink: IntakeSink | None = None
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self.poller: ImapPoller | None = None
        self._tls: ssl.SSLContext | None = None

    def translate(self, payload: Any, headers: Mapping[str, str]) -> Translation:
        """`{"raw": "<RFC 5322 text>"}`, a string or bytes: the replay form and the poller's."""
        return read_mail(payload, self._config.own, max_bytes=self._config.max_message_bytes).translation

    async def start(self, context: AdapterContext) -> None:
        self._cursors, self._sink = context.cursors, context.sink
        self._stop.clear()
        self.poller = ImapPoller(self._config, context.cursors, self._mail, self.stats)
        self._task = asyncio.create_task(self.poller.run(self._stop), name="email-imap-poller")

    async def _mail(self, uid: int, raw: bytes) -> None:
        assert self._cursors is not None and self._sink is not None
        try:
            reading = read_mail(raw, self._config.own, max_bytes=self._config.max_message_bytes)
        except Exception:  # a translation fault must not stall the mailbox on this one mail
            # It stays on the server untouched (fetched with BODY.PEEK) for a person to look at.
            log.exception("mail UID %d could not be read; skipped, left in the mailbox", uid)
            self.stats.count("skipped_unreadable")
            return
        for reason, n in reading.translation.skipped.items():
            self.stats.count(f"skipped_{reason}", n)
        if reading.reply_to is not None:
            key = REPLY_KEY + reading.reply_to.message_id
            await self._cursors.set(key, json.dumps(reading.reply_to.as_dict(), ensure_ascii=False))
        if reading.translation.messages:
            fresh = await self._sink(reading.translation.messages)
            self.stats.count("received", sum(fresh))
            self.stats.count("duplicates", len(fresh) - sum(fresh))

    async def send(self, item: OutboxItem) -> Receipt:
        message = await self._compose(item)
        if self._config.smtp_security != "none" and self._tls is None:
            self._tls = await asyncio.to_thread(ssl.create_default_context)  # reads the trust store
        smtp = self._smtp()
        try:
            await smtp.connect()
            if self._config.smtp_user and self._config.smtp_password is not None:
                await smtp.login(self._config.smtp_user, self._config.smtp_password.get_secret_value())
        except aiosmtplib.SMTPAuthenticationError as exc:
            self.stats.count("failed")
            raise PermanentFailure(f"SMTP login refused ({exc.code})") from exc
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
            self.stats.count("failed")
            self.stats.state = f"SMTP unreachable: {type(exc).__name__}"
            raise TemporaryFailure(f"cannot reach the SMTP server: {exc}") from exc
        try:
            refused, answer = await smtp.send_message(message)
        except aiosmtplib.SMTPRecipientsRefused as exc:
            self.stats.count("failed")
            codes = [r.code for r in exc.recipients]
            if all(400 <= c < 500 for c in codes):
                raise TemporaryFailure(f"recipient deferred ({codes})") from exc
            raise PermanentFailure(f"recipient refused ({codes})") from exc
        except aiosmtplib.SMTPResponseException as exc:
            self.stats.count("failed")
            if 400 <= exc.code < 500:
                raise TemporaryFailure(f"SMTP deferred: {exc.code} {exc.message}") from exc
            raise PermanentFailure(f"SMTP refused: {exc.code} {exc.message}") from exc
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
            self.stats.count("failed")
            raise OutcomeUnknown(f"SMTP connection lost while sending: {exc}") from exc
        finally:
            with contextlib.suppress(aiosmtplib.SMTPException, OSError, TimeoutError):
                if smtp.is_connected:
                    await smtp.quit()
        self.stats.count("sent")
        self.stats.state = f"ok ({self.poller.mode})" if self.poller else "ok"
        return {"message_id": message["Message-ID"], "smtp": answer[:200], "refused": sorted(refused)}

    async def _compose(self, item: OutboxItem) -> EmailMessage:
        """A reply threaded under the customer's mail, or a new mail to an address on file (the
        self-identification code: `payload.mail == "new"`, the address in `recipient`)."""
        if self._cursors is None:
            raise TemporaryFailure("the e-mail adapter has not started yet")
        if (item.payload or {}).get("mail") == "new":
            if not item.recipient or "@" not in item.recipient:
                raise PermanentFailure("a new mail needs the recipient's address")
            return new_message(self._config, item, str((item.payload or {}).get("subject") or ""))
        stored = await self._cursors.get(REPLY_KEY + (item.target or ""))
        if stored is None:
            raise PermanentFailure(f"no reply address known for mail {item.target!r}")
        return reply_message(self._config, item, json.loads(stored))

    def _smtp(self) -> aiosmtplib.SMTP:
        cfg = self._config
        return aiosmtplib.SMTP(
            hostname=cfg.smtp_host,
            port=cfg.smtp_port,
            use_tls=cfg.smtp_security == "tls",
            start_tls=cfg.smtp_security == "starttls",
            tls_context=self._tls,
            timeout=cfg.timeout_s,
        )

    def status(self) -> str:
        return self.stats.state

    async def close(self) -> None:
        self._stop.set()
        if self._task is not None:
            try:
                await asyncio.wait_for(self._task, min(self._config.timeout_s, CLOSE_GRACE_S))
            except TimeoutError:
                self._task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await self._task
            self._task = None
