"""A customer confirms who they are: a code mailed to the address on file, answered in the chat.

Why each step is where it is: the claim is matched locally first (an index of digests kept by
the customer book), then through the CRM's customer look-up when one is connected; a customer
found only in the CRM is created locally (source `crm`) so the link has something to point at.
The code is derived from the claim's message key and a stored secret, so a redelivered claim
mails the same code under the same outbox key (sent once; a send whose outcome is unknown goes
to review, never again). Only a salted hash is kept, with an expiry and the keys of wrong
answers (a redelivered wrong answer is not counted twice). Two windowed counters limit codes
per identity and per customer. Every reply is decided here and queued by the effect applier.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from adapters.base import DeliveryError
from adapters.crm.base import CrmConnector
from bot.core.context import MessageContext
from bot.core.customers import Customer, Identity, identity_id
from bot.core.digests import identity_digest
from bot.core.effects import SaveRecord
from bot.core.models import AuditEvent, Decision, OutboxItem
from bot.core.records import RecordKind
from bot.core.self_id import (
    Challenge,
    SelfIdClaim,
    SelfIdSettings,
    code_digest,
    lookup_key,
    mask_email,
    mask_personal,
    normal_contract,
    one_time_code,
)
from bot.engine.customers import CustomerBook, load_customer
from bot.store.base import Store
from responders.agent import agent_queue_entry
from responders.templates import render

log = logging.getLogger(__name__)
SECRET_ID = "codes"


@dataclass(frozen=True, slots=True)
class SelfIdResult:
    """What to queue: the reply on the customer's channel, maybe the code mail, maybe an agent."""

    reply: str
    mail: OutboxItem | None = None
    to_agent: str | None = None

    def hand_off(self, ctx: MessageContext, decision: Decision) -> SaveRecord | None:
        """When the flow gives up on a machine answer, a person takes over: the agent-queue
        entry staff see (the message, why, candidate articles), kept here with the flow's other
        choices so the engine only applies it."""
        return None if self.to_agent is None else agent_queue_entry(ctx, decision, why=self.to_agent)


class SelfIdentification:
    def __init__(
        self,
        store: Store,
        settings: SelfIdSettings,
        *,
        can_mail: bool,
        crm: CrmConnector | None = None,
    ) -> None:
        self._store = store
        self._settings = settings
        self._can_mail = can_mail
        self._crm = crm
        self._book = CustomerBook(store.records)
        self._secret: bytes | None = None
        self._contract = settings.contract()

    async def handle(self, ctx: MessageContext, claim: SelfIdClaim) -> SelfIdResult:
        if claim.kind == "code":
            return await self._answer(ctx, claim.value)
        return await self._claim(ctx, claim)

    # --- a contract number or an e-mail -------------------------------------------------
    async def _claim(self, ctx: MessageContext, claim: SelfIdClaim) -> SelfIdResult:
        msg, lang = ctx.message, ctx.language
        who = identity_id(msg.channel, msg.author.handle)
        current = await self._challenge(who)
        if current is not None and current.message_key == msg.key:  # a redelivery: the same mail
            customer = await load_customer(self._store.records, current.customer_id)
            if customer is not None and customer.email:
                return await self._code_sent(ctx, customer, customer.email)
        if current is not None and current.locked_until is not None and current.locked_until > ctx.now:
            return SelfIdResult(self._text("self_id_locked", lang, until=current.locked_until, ctx=ctx))
        if not await self._within(
            f"self_id:identity:{identity_digest(who)}", self._settings.codes_per_identity, ctx
        ):
            return SelfIdResult(render("self_id_rate_limited", lang))
        try:
            customer = await self._find(claim)
        except DeliveryError as exc:
            masked = mask_personal(str(exc), self._contract)  # a CRM error may quote the query
            log.warning("CRM customer look-up failed for %s: %s", msg.key, masked)
            return SelfIdResult(render("self_id_agent", lang), to_agent="CRM customer look-up failed")
        if customer is None:
            await self._audit("self_id_unknown", msg.key, {"kind": claim.kind})
            return SelfIdResult(render("self_id_unknown", lang))
        await self._remember(msg.key, customer.id)
        if not customer.email or not self._can_mail:
            await self._audit("self_id_no_address", customer.id, {"channel": msg.channel})
            why = "identification asked; no e-mail on file" if not customer.email else "e-mail not set up"
            return SelfIdResult(render("self_id_no_address", lang), to_agent=why)
        if not await self._within(f"self_id:customer:{customer.id}", self._settings.codes_per_customer, ctx):
            return SelfIdResult(render("self_id_rate_limited", lang))
        code = one_time_code(await self._key(), msg.key, customer.id)
        salt = secrets.token_hex(8)
        challenge = Challenge(
            customer_id=customer.id,
            code_hash=code_digest(code, salt),
            salt=salt,
            message_key=msg.key,
            expires_at=ctx.now + timedelta(seconds=self._settings.code_ttl_s),
            language=lang,
        )
        await self._store.put_record(RecordKind.SELF_ID_CHALLENGE, who, challenge.data())
        await self._audit("self_id_code_sent", customer.id, {"channel": msg.channel})
        return await self._code_sent(ctx, customer, customer.email)

    async def _code_sent(self, ctx: MessageContext, customer: Customer, address: str) -> SelfIdResult:
        """The chat reply in the message's language (the writer is not confirmed yet); the mail
        in the customer's preferred one."""
        lang = customer.preferred_language or ctx.language
        minutes = str(round(self._settings.code_ttl_s / 60))
        code = one_time_code(await self._key(), ctx.message.key, customer.id)
        mail = OutboxItem(
            idempotency_key=f"self_id_code:{ctx.message.key}",
            account="robot",
            channel="email",
            recipient=address,
            text=render("self_id_mail", lang, automatic=False, code=code, minutes=minutes),
            payload={
                "mail": "new",
                "subject": render("self_id_mail_subject", lang, automatic=False),
                "one_time": True,
            },
            message_key=ctx.message.key,
            created_at=ctx.now,
            next_attempt_at=ctx.now,
        )
        return SelfIdResult(
            render("self_id_code_sent", ctx.language, masked=mask_email(address), minutes=minutes), mail
        )

    async def _find(self, claim: SelfIdClaim) -> Customer | None:
        kind: Literal["email", "contract"] = "email" if claim.kind == "email" else "contract"
        found = await self._store.records.get_record(RecordKind.CUSTOMER_KEY, lookup_key(kind, claim.value))
        if found is not None:
            customer = await self._book.resolve(str(found.data["customer_id"]))
            if customer is not None and _holds(customer, claim):  # not a key left by an edit
                return customer
        if self._crm is None:
            return None
        if claim.kind == "email":
            remote = await self._crm.find_customer(email=claim.value)
        else:
            remote = await self._crm.find_customer(contract_number=claim.value)
        if remote is None:
            return None
        local = await self._book.resolve(remote.id)
        if local is not None:
            return local
        saved = await self._book.upsert(remote.model_copy(update={"source": "crm", "identities": []}))
        await self._audit("customer_from_crm", remote.id, {"crm": self._crm.name})
        return saved.customer

    # --- the code ------------------------------------------------------------------------
    async def _answer(self, ctx: MessageContext, code: str) -> SelfIdResult:
        msg = ctx.message
        who = identity_id(msg.channel, msg.author.handle)
        for _ in range(8):
            record = await self._store.records.get_record(RecordKind.SELF_ID_CHALLENGE, who)
            if record is None:
                return SelfIdResult(render("self_id_expired", ctx.language))
            challenge = Challenge.model_validate(record.data)
            lang = challenge.language or ctx.language  # "123456" says nothing of its language
            await self._remember(msg.key, challenge.customer_id)
            if challenge.confirmed_by == msg.key:
                return SelfIdResult(render("self_id_confirmed", lang))
            if challenge.confirmed_by is not None or challenge.expires_at <= ctx.now:
                return SelfIdResult(render("self_id_expired", lang))
            if challenge.locked_until is not None and challenge.locked_until > ctx.now:
                return SelfIdResult(self._text("self_id_locked", lang, until=challenge.locked_until, ctx=ctx))
            if msg.key in challenge.wrong:  # a redelivered wrong answer: counted once
                return self._wrong(ctx, challenge, lang)
            if challenge.matches(code):
                changed = challenge.model_copy(update={"confirmed_by": msg.key})
            else:
                wrong = [*challenge.wrong, msg.key]
                locked = len(wrong) >= self._settings.max_attempts
                until = ctx.now + timedelta(seconds=self._settings.lockout_s) if locked else None
                changed = challenge.model_copy(update={"wrong": wrong, "locked_until": until})
            if await self._store.records.cas_record(
                RecordKind.SELF_ID_CHALLENGE, who, expected_version=record.version, data=changed.data()
            ):
                if changed.confirmed_by is None:
                    await self._audit("self_id_wrong_code", challenge.customer_id, {"channel": msg.channel})
                    return self._wrong(ctx, changed, lang)
                return await self._link(ctx, changed, lang)
        return SelfIdResult(render("self_id_agent", ctx.language), to_agent="identification kept changing")

    async def _link(self, ctx: MessageContext, challenge: Challenge, lang: str) -> SelfIdResult:
        msg = ctx.message
        linked = await self._book.link(
            challenge.customer_id, Identity(channel=msg.channel, handle=msg.author.handle)
        )
        if not linked.ok:
            await self._audit("self_id_refused", challenge.customer_id, {"reason": linked.outcome})
            return SelfIdResult(render("self_id_agent", lang), to_agent="identity linked elsewhere")
        detail = {"channel": msg.channel, "message_key": msg.key}
        await self._audit("customer_self_identified", challenge.customer_id, detail)
        return SelfIdResult(render("self_id_confirmed", lang))

    def _wrong(self, ctx: MessageContext, challenge: Challenge, lang: str) -> SelfIdResult:
        if challenge.locked_until is not None:
            return SelfIdResult(self._text("self_id_locked", lang, until=challenge.locked_until, ctx=ctx))
        left = str(self._settings.max_attempts - len(challenge.wrong))
        return SelfIdResult(render("self_id_wrong", lang, left=left))

    # --- helpers -------------------------------------------------------------------------
    def _text(self, name: str, lang: str, *, until: datetime, ctx: MessageContext) -> str:
        minutes = max(1, round((until - ctx.now).total_seconds() / 60))
        return render(name, lang, minutes=str(minutes))

    async def _challenge(self, who: str) -> Challenge | None:
        record = await self._store.records.get_record(RecordKind.SELF_ID_CHALLENGE, who)
        return Challenge.model_validate(record.data) if record else None

    async def _within(self, key: str, limit: int, ctx: MessageContext) -> bool:
        return await self._store.incr_window(key, now=ctx.now, window_s=self._settings.window_s) <= limit

    async def _remember(self, message_key: str, customer_id: str) -> None:
        """Which messages took part in a customer's identification: the erasure visits them."""
        await self._store.records.put_record(
            RecordKind.SELF_ID_MESSAGE, message_key, {"customer_id": customer_id}, only_if_absent=True
        )

    async def _audit(self, kind: str, subject: str, detail: dict[str, Any]) -> None:
        await self._store.append_audit([AuditEvent(kind=kind, subject=subject, detail=detail)])

    async def _key(self) -> bytes:
        """The secret the codes derive from: one per installation, kept in the records."""
        if self._secret is None:
            records = self._store.records
            await records.put_record(
                RecordKind.SELF_ID_SECRET, SECRET_ID, {"key": secrets.token_hex(32)}, only_if_absent=True
            )
            stored = await records.get_record(RecordKind.SELF_ID_SECRET, SECRET_ID)
            assert stored is not None
            self._secret = bytes.fromhex(str(stored.data["key"]))
        return self._secret


def _holds(customer: Customer, claim: SelfIdClaim) -> bool:
    if claim.kind == "email":
        return (customer.email or "").strip().lower() == claim.value
    return normal_contract(customer.contract_number or "") == claim.value
