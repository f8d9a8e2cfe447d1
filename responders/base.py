"""The responder interface: decide what should happen, never do platform I/O.

A responder turns a decided message into effects (a reply to publish, a record to keep). The
effect applier gives every effect an idempotency key and writes it through the store, and the
outbox publisher delivers replies through the channel adapter. Keeping responders free of I/O
is what makes a redelivered message harmless and every responder testable as a pure function.
"""

from __future__ import annotations

from typing import Protocol

from bot.core.context import MessageContext
from bot.core.effects import Effect
from bot.core.models import Action, Decision


class Responder(Protocol):
    """Handles the decisions of one action."""

    action: Action

    async def respond(self, ctx: MessageContext, decision: Decision) -> list[Effect]:
        """Effects for this message; must not publish, call platforms or write the store."""
