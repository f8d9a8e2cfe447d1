"""What goes with an automatic reply, decided with the message rather than when it is written.

Two decisions used to hide in the engine's effect applier: that a reply's text is remembered as
an echo fingerprint (so a customer quoting our answer is not answered again), and that an answer
or case acknowledgement held by a guard puts the message in the agent queue instead (unless the
author is one of our accounts or a bot, where nobody needs to look). They are the pipeline's
policy, so they are made here and travel on the `Reply` effect; the engine only applies them.

A case acknowledgement's text depends on what the case book did (opened, joined, reopened),
which only the engine learns while applying; it hands that result back here to get the reply.
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.core.cases import Case, CaseOutcome
from bot.core.context import MessageContext
from bot.core.effects import Effect, OpenCase, Reply, SaveRecord
from bot.core.models import Decision
from bot.reading.normalise import echo_fingerprint
from responders.agent import agent_queue_entry
from responders.case import case_ack_text

HELD_REASON = "automatic reply held"
# Held replies of these actions need a person; a held crisis or monitor reply already has one.
HELD_FOR_AGENT = frozenset({"answer", "case"})
CASE_ACK = "case_ack"  # the acknowledgement's purpose (its outbox key names it)


def explicit_reply(ctx: MessageContext, decision: Decision, reply: Reply) -> Reply:
    """`reply` with its echo fingerprint and, if a guard may hold it, the agent-queue fallback."""
    return Reply(
        account=reply.account,
        text=reply.text,
        automatic=reply.automatic,
        purpose=reply.purpose,
        echo=echo_fingerprint(reply.text),
        if_held=held_entry(ctx, decision) if reply.automatic else None,
    )


def held_entry(ctx: MessageContext, decision: Decision) -> SaveRecord | None:
    """The agent-queue entry to keep when this message's automatic reply is held, if any."""
    if decision.action not in HELD_FOR_AGENT or ctx.author.own_account or ctx.author.bot:
        return None
    return agent_queue_entry(ctx, decision, why=HELD_REASON)


def explicit_effects(ctx: MessageContext, decision: Decision, effects: Sequence[Effect]) -> list[Effect]:
    """The responders' and watchers' effects with every reply made explicit (see the module)."""
    return [explicit_reply(ctx, decision, e) if isinstance(e, Reply) else e for e in effects]


def case_ack(
    ctx: MessageContext, decision: Decision, effect: OpenCase, case: Case, outcome: CaseOutcome, language: str
) -> Reply:
    """The acknowledgement of what the case book did with `effect`, as an explicit reply."""
    text = case_ack_text(
        case, outcome, handle=effect.case.author, public=effect.ack_public, language=language
    )
    return explicit_reply(ctx, decision, Reply(account="robot", text=text, purpose=CASE_ACK))
