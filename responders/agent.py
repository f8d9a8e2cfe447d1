"""`agent`: a person must handle it; the message joins the agent queue with what we know."""

from __future__ import annotations

from bot.core.agent_queue import AgentQueueEntry
from bot.core.context import MessageContext
from bot.core.effects import Effect, SaveRecord
from bot.core.models import Action, Decision
from bot.core.records import RecordKind


def agent_queue_entry(ctx: MessageContext, decision: Decision, *, why: str) -> SaveRecord:
    """The queue entry a human agent sees: the message, the reason, and candidate articles."""
    msg = ctx.message
    entry = AgentQueueEntry(
        message_key=msg.key,
        channel=msg.channel,
        author=msg.author.handle,
        text=msg.text,
        language=ctx.language,
        reason=why,
        candidates=list(decision.candidates),
        created_at=msg.created_at.isoformat(),
    )
    return SaveRecord(kind=RecordKind.AGENT_QUEUE, record_id=msg.key, data=entry.data())


class AgentResponder:
    """Hand-over to a human: not in the KB, a sales lead, a request for a person, too vague.

    No automatic reply: a holding message on every hand-over reads as a brush-off in public.
    """

    action: Action = "agent"

    async def respond(self, ctx: MessageContext, decision: Decision) -> list[Effect]:
        return [agent_queue_entry(ctx, decision, why=decision.reason)]
