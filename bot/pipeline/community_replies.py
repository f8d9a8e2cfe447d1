"""Community replies: a customer answering another customer, attributed to its author.

Why: advocates are not only people who write kindly about us, they are people who help others
(seed use cases 6-8): a forum member answering in another member's topic, an X user replying to
another customer's complaint. Such a reply is recognised here, after its decision, and kept as a
`community_reply` record (id: the reply's message key, so a redelivery keeps one) that the
People view counts per author. What counts: the reply is not negative (a "me too, awful" is not
help), and the person answered is another customer whose message we received (our own accounts'
posts and staff posts never reach intake, so a reply to them finds no message). On the forum
the person answered is the topic's author (post 1 of the topic): helping in one's own topic is
not helping others. Only the replying author's handle is kept (the person helped is known by
the message key), and a customer's erasure deletes their community replies.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from adapters.discourse.translate import message_id, parse_target
from bot.core.context import MessageContext
from bot.core.customers import identity_id
from bot.core.effects import Effect, SaveRecord
from bot.core.models import Decision, InboundMessage, message_key
from bot.core.records import RecordKind
from bot.store.letters import UnloadableMessage

FindMessage = Callable[[str], Awaitable[InboundMessage | None]]


def answered_key(message: InboundMessage) -> str | None:
    """The key of the message whose author this reply helps, or None for a non-reply."""
    if not message.in_reply_to:
        return None
    if message.channel == "forum":
        where = parse_target(message.in_reply_to)
        return message_key("forum", message_id(where[0], 1)) if where else None
    return message_key(message.channel, message.in_reply_to)


def _same_person(a: InboundMessage, b: InboundMessage) -> bool:
    return a.author.handle.lower() == b.author.handle.lower()


class CommunityReplyWatcher:
    """Keeps a record of each reply that helps another customer."""

    def __init__(self, find_message: FindMessage) -> None:
        self._find = find_message

    async def watch(self, ctx: MessageContext, decision: Decision) -> list[Effect]:
        reply = ctx.message
        key = answered_key(reply)
        staff = bool((reply.raw or {}).get("staff"))  # forum staff, when their posts are read at all
        if key is None or not reply.author.handle or reply.author.is_bot or staff:
            return []
        if decision.sentiment == "negative":
            return []
        try:
            answered = await self._find(key)
        except UnloadableMessage:
            return []
        if answered is None or not answered.author.handle or _same_person(reply, answered):
            return []
        data = {
            "author": decision.author,  # as the People view's authors are keyed
            # The indexed customer column: what a customer's erasure deletes these records by.
            "customer": identity_id(reply.channel, reply.author.handle),
            "channel": reply.channel,
            "message_key": reply.key,
            "answered_key": key,
            "message_at": reply.created_at.isoformat(),
            "sentiment": decision.sentiment,
            "status": "counted",
        }
        return [SaveRecord(RecordKind.COMMUNITY_REPLY, reply.key, data)]
