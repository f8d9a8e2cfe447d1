"""`crisis`: a possible public crisis goes to the staff war-room; nothing is published by itself.

The alert record is what the war-room (Slack, or the REST API and CLI without Slack) shows and
acts on; beside it, a drafted reply waits for a person to approve, edit or reject it. Both are
created insert-if-absent per message, so a redelivery never raises a second alert nor resets a
draft that staff already acted on.
"""

from __future__ import annotations

from bot.core.alerts import Alert
from bot.core.context import MessageContext
from bot.core.effects import Effect, SaveRecord
from bot.core.models import Action, Decision
from bot.core.records import RecordKind
from responders.drafts import draft_for, related_articles


def crisis_alert_id(message_key: str) -> str:
    return f"crisis:{message_key}"


class CrisisResponder:
    """Raises one crisis alert per message, with why it was flagged, the author's reach and a draft."""

    action: Action = "crisis"

    async def respond(self, ctx: MessageContext, decision: Decision) -> list[Effect]:
        msg = ctx.message
        alert_id = crisis_alert_id(msg.key)
        draft = draft_for(ctx, alert_id)
        return [
            SaveRecord(
                kind=RecordKind.ALERT,
                record_id=alert_id,
                data=Alert(
                    kind="crisis",
                    status="open",
                    message_key=msg.key,
                    message_id=msg.id,
                    channel=msg.channel,
                    author=msg.author.handle,
                    followers=msg.author.followers,
                    verified=msg.author.verified,
                    text=msg.text,
                    language=ctx.language,
                    why=decision.reason,
                    risks=sorted(ctx.risks),
                    at=ctx.now.isoformat(),
                    first_message_at=msg.created_at.isoformat(),
                    draft_id=draft.id,
                    incident_id=ctx.incident_id,
                    related_articles=related_articles(ctx),
                ).data(),
            ),
            SaveRecord(kind=RecordKind.DRAFT, record_id=draft.id, data=draft.data()),
        ]
