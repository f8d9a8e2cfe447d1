"""Self-identification in the pipeline: recognise the offer, then hand it to the engine.

Why an analyser and a watcher: the analyser only reads (is there a contract number, an e-mail
or, while a code is pending for this identity, a 6-digit answer?) so the rules can route the
message away from the usual reply (`self-identification`, `personal-data-in-public` in
rules.yaml); the watcher turns what the rules chose into effects. What happens to the claim
depends on stored customers and codes, so the engine's `SelfIdentification` decides it.
"""

from __future__ import annotations

import re

from bot.core.context import MessageContext
from bot.core.customers import identity_id
from bot.core.effects import Effect, IdentifyCustomer, Reply
from bot.core.models import Decision
from bot.core.records import RecordKind
from bot.core.self_id import SelfIdClaim, find_claim, find_code
from bot.store.records import RecordStore
from responders.templates import mention, render

MAX_CLAIM_WORDS = 24


class SelfIdAnalyser:
    """Private: the claim offered (or the code answered); public: whether personal data shows."""

    def __init__(self, records: RecordStore, contract: re.Pattern[str]) -> None:
        self._records = records
        self._contract = contract

    async def analyse(self, ctx: MessageContext) -> None:
        if ctx.author.own_account or ctx.author.bot or ctx.echo:
            return
        text = ctx.message.text
        # A short message offers the data; a long one (a mail with a signature, a complaint
        # quoting a reference number) is decided as usual, its reply never quoting it.
        if len(text.split()) > MAX_CLAIM_WORDS:
            return
        claim = find_claim(text, self._contract)
        if ctx.public:
            ctx.personal_data = claim is not None
            return
        if claim is not None:
            ctx.self_id = claim
            return
        code = find_code(text)
        if code is None:
            return
        pending = identity_id(ctx.message.channel, ctx.message.author.handle)
        record = await self._records.get_record(RecordKind.SELF_ID_CHALLENGE, pending)
        confirmed = record.data.get("confirmed_by") if record is not None else None
        # After the link, six digits are just six digits (unless this is the confirming message).
        if record is not None and confirmed in (None, ctx.message.key):
            ctx.self_id = SelfIdClaim(kind="code", value=code)


class SelfIdWatcher:
    """Where the rules let it handle the message (action `monitor`), the code flow runs."""

    async def watch(self, ctx: MessageContext, decision: Decision) -> list[Effect]:
        if decision.action != "monitor":
            return []
        if ctx.self_id is not None and not ctx.public:
            return [IdentifyCustomer(ctx.self_id)]
        if ctx.personal_data and ctx.public:
            handle = mention(ctx.message.author.handle, ctx.message.channel)
            text = render("self_id_write_privately", ctx.language, handle=handle)
            return [Reply(account="robot", text=text, purpose="write_privately")]
        return []
