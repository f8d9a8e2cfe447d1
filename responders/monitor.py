"""`monitor`: log for analytics only; nothing is published and nobody is asked to act."""

from __future__ import annotations

from bot.core.context import MessageContext
from bot.core.effects import Effect
from bot.core.models import Action, Decision


class MonitorResponder:
    """Praise, chatter, spam and our own posts: the decision itself is the whole record."""

    action: Action = "monitor"

    async def respond(self, ctx: MessageContext, decision: Decision) -> list[Effect]:
        return []
