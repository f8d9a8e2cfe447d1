"""Announces new alerts to the Slack war-room, as effects (a watcher: no I/O here).

It runs after the crisis responder and the spike watcher, so the alert record exists before
the Slack post is queued. The post's idempotency key is the alert id: a redelivered message,
or a spike's hundredth message, never posts a second alert. A growing spike refreshes its
message at a few milestones (powers of two, every 25) rather than on every message, which
keeps `chat.update` well inside Slack's rate limits during a storm.
"""

from __future__ import annotations

from bot.core.context import MessageContext
from bot.core.effects import Effect, Notify, SaveRecord
from bot.core.models import Decision
from bot.core.records import RecordKind
from bot.warroom.state import SLACK_CHANNEL, new_state
from responders.crisis import crisis_alert_id


class WarRoomAnnouncer:
    """Queues one war-room post per new alert, and milestone refreshes of growing spikes."""

    async def watch(self, ctx: MessageContext, decision: Decision) -> list[Effect]:
        effects: list[Effect] = []
        if decision.action == "crisis":
            effects += _announce(
                crisis_alert_id(ctx.message.key), "crisis", ctx, f"Possible crisis: {ctx.message.key}"
            )
        alerts = ctx.spike_alerts
        for alert in alerts:
            if not alert.is_update:
                effects += _announce(alert.alert_id, alert.kind, ctx, f"{alert.kind.title()}: {alert.topic}")
            elif _milestone(alert.count) or alert.ended_at is not None:
                effects.append(
                    Notify(
                        key=f"warroom-grow:{alert.alert_id}:{alert.count}:{int(alert.ended_at is not None)}",
                        channel=SLACK_CHANNEL,
                        text=f"{alert.kind} {alert.topic}: {alert.count} messages",
                        payload={"op": "update", "alert_id": alert.alert_id},
                    )
                )
        return effects


def _announce(alert_id: str, kind: str, ctx: MessageContext, text: str) -> list[Effect]:
    return [
        SaveRecord(kind=RecordKind.WARROOM, record_id=alert_id, data=new_state(alert_id, kind, ctx.now)),
        Notify(
            key=f"warroom:{alert_id}",
            channel=SLACK_CHANNEL,
            text=text,
            payload={"op": "post", "alert_id": alert_id},
        ),
    ]


def _milestone(count: int) -> bool:
    return count > 0 and (count & (count - 1) == 0 or count % 25 == 0)
