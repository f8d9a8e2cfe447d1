"""When each person last wrote to us privately: what a segment message's messaging window needs.

Why a record of its own: WhatsApp, Messenger and Instagram DMs accept a free-form message only
within 24 hours of the person's last message, and neither the customer record nor the identity
link says when that was. The watcher keeps one `contact` record per person (keyed by the same
digest as opt-outs, so no phone number is a key), written with the message's other effects.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from bot.core.channels import capabilities
from bot.core.context import MessageContext
from bot.core.digests import person_digest
from bot.core.effects import Effect, SaveRecord
from bot.core.models import Decision
from bot.core.records import RecordKind
from bot.store.base import Store


class ContactWatcher:
    """Records the time of every private message a person sends (public posts open no window)."""

    async def watch(self, ctx: MessageContext, decision: Decision) -> list[Effect]:
        msg = ctx.message
        if ctx.author.own_account or capabilities(msg.channel).public:
            return []
        data = {"channel": msg.channel, "at": msg.created_at.isoformat()}
        record_id = person_digest(msg.channel, msg.author.handle)
        return [SaveRecord(kind=RecordKind.CONTACT, record_id=record_id, data=data, only_if_absent=False)]


async def last_messages(store: Store, digests: Sequence[str]) -> dict[str, datetime]:
    """Each person's last private message time, by digest (one batch look-up)."""
    found = await store.records.get_records(RecordKind.CONTACT, list(digests))
    return {digest: datetime.fromisoformat(str(r.data["at"])) for digest, r in found.items()}
