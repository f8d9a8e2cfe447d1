"""`case`: a customer's own problem the company must act on: open a case and say so.

One case per problem, not per message: the engine joins a follow-up from the same identity to
the open case (or reopens a recently solved one) instead of opening another, and the
acknowledgement says which happened ("seguimos con tu caso C-1042"). When the message belongs to
an open incident (an outage spike), the case is linked to the incident and the customer hears
about the incident rather than getting one more ticket number.
"""

from __future__ import annotations

from bot.core.cases import Case, CaseOutcome, identity_key
from bot.core.channels import capabilities
from bot.core.context import MessageContext
from bot.core.effects import Effect, OpenCase
from bot.core.models import Action, Decision
from responders.case_priority import case_category, case_priority, case_signals
from responders.templates import mention, render


class CaseResponder:
    """Asks the engine to open (or join) a case; the engine queues the matching acknowledgement."""

    action: Action = "case"

    def __init__(self, *, local_rules: frozenset[str] = frozenset()) -> None:
        # Names of the rules whose cases stay out of the CRM (`crm: false` in the rules file).
        self._local_rules = local_rules

    async def respond(self, ctx: MessageContext, decision: Decision) -> list[Effect]:
        msg = ctx.message
        signals = case_signals(ctx)
        case = Case(
            id="",
            priority=case_priority(signals, positive=ctx.sentiment == "positive"),
            category=case_category(ctx),
            message_key=msg.key,
            channel=msg.channel,
            author=msg.author.handle,
            identity=identity_key(msg.channel, msg.author.handle, msg.author.customer_id),
            customer_id=msg.author.customer_id,
            text=msg.text,
            language=ctx.language or "en",
            incident_id=ctx.incident_id,
            reason=decision.reason,
            # An outage complaint belongs to its incident: no CRM ticket each (until escalated).
            crm=decision.rule not in self._local_rules and ctx.incident_id is None,
            opened_at=ctx.now,
            reply_target=msg.id,
        )
        return [OpenCase(case=case, ack_public=capabilities(msg.channel).public)]


def case_ack_text(case: Case, outcome: CaseOutcome, *, handle: str, public: bool, language: str) -> str:
    """The acknowledgement for what the engine did: opened, joined or reopened `case`."""
    who = mention(handle, case.channel)
    if case.incident_id is not None and outcome == "opened":
        return render("incident_ack", language, handle=who, incident_id=case.incident_id)
    if outcome == "opened":
        template = "case_ack_public" if public else "case_ack"
    else:
        template = "case_joined" if outcome == "joined" else "case_reopened"
    return render(template, language, handle=who, case_id=case.id)


def case_solved_text(case: Case, *, language: str) -> str:
    """Told once, on the customer's own thread, when their case is solved."""
    return render("case_solved", language, handle=mention(case.author, case.channel), case_id=case.id)
