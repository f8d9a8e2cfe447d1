"""`case`: a customer's own problem the company must act on: open a case and say so.

When the message belongs to an open incident (an outage spike), the case is linked to the
incident and the customer hears about the incident rather than getting one more ticket number,
so a thousand outage complaints become one incident with a thousand linked messages.
"""

from __future__ import annotations

import hashlib

from bot.core.channels import capabilities
from bot.core.context import MessageContext
from bot.core.effects import Effect, Reply, SaveRecord
from bot.core.models import Action, Decision
from bot.core.records import RecordKind
from responders.templates import mention, render


def case_id_for(message_key: str) -> str:
    """Short, stable, customer-quotable id: the same message always maps to the same case."""
    return "C-" + hashlib.sha256(message_key.encode()).hexdigest()[:8].upper()


class CaseResponder:
    """Opens (or links) a case and queues an automatic acknowledgement."""

    action: Action = "case"

    async def respond(self, ctx: MessageContext, decision: Decision) -> list[Effect]:
        msg = ctx.message
        case_id = case_id_for(msg.key)
        record = SaveRecord(
            kind=RecordKind.CASE,
            record_id=case_id,
            data={
                "status": "open",
                "message_key": msg.key,
                "channel": msg.channel,
                "author": msg.author.handle,
                "customer_id": msg.author.customer_id,
                "text": msg.text,
                "language": ctx.language,
                "incident_id": ctx.incident_id,
                "reason": decision.reason,
                "crm_sync": "pending",
                "opened_at": ctx.now.isoformat(),
            },
        )
        handle = mention(msg.author.handle, msg.channel)
        if ctx.incident_id is not None:
            text = render("incident_ack", ctx.language, handle=handle, incident_id=ctx.incident_id)
        else:
            template = "case_ack_public" if capabilities(msg.channel).public else "case_ack"
            text = render(template, ctx.language, handle=handle, case_id=case_id)
        return [record, Reply(account="robot", text=text, purpose="case_ack")]
