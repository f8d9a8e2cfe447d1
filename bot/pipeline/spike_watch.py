"""Spike detection in the pipeline: topics in, one alert (and one incident) per spike out.

The analyser half runs before the router, so a complaint that belongs to an ongoing outage is
linked to its incident (one incident, not a thousand unrelated cases). The watcher half turns
the detector's alerts into records after the decision. Both share one in-process detector that
works on event time, so a replay at any speed raises the same alerts. The detector's input is
journaled (`bot.pipeline.journal`): every replica counts every message, in one order.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from bot.core.alerts import Alert, SpikeAlert
from bot.core.context import MessageContext
from bot.core.effects import Effect, LinkCaseToIncident, MergeIntoRecord, SaveRecord
from bot.core.incidents import Incident
from bot.core.models import Decision
from bot.core.records import RecordKind
from bot.pipeline.journal import Fact
from bot.pipeline.spikes import SpikeDetector
from bot.reading.topics import topic_keys


class SpikeAnalyser:
    """Counts the message toward its topics and links it to an open incident, if any."""

    journal_name = "spikes"

    def __init__(self, detector: SpikeDetector) -> None:
        self._detector = detector
        self._facts: list[Fact] = []

    def take_facts(self) -> list[Fact]:
        facts, self._facts = self._facts, []
        return facts

    def apply_facts(self, facts: Sequence[Fact]) -> None:
        """Count what another replica counted; the alerts it raised are its own to record."""
        for at, key, keys, negative in facts:
            self._detector.observe(
                at=datetime.fromisoformat(at), message_key=key, keys=keys, negative=bool(negative)
            )

    async def analyse(self, ctx: MessageContext) -> None:
        kb_topic = ctx.kb_candidates[0].topic if ctx.kb_candidates else None
        keys = topic_keys(ctx.text or ctx.message.text, kb_topic=kb_topic)
        ctx.topic_keys = keys
        if not keys or ctx.author.own_account or ctx.author.bot:
            return
        at = ctx.message.created_at
        negative = ctx.sentiment == "negative"
        self._facts.append([at.isoformat(), ctx.message.key, keys, negative])
        alerts = self._detector.observe(at=at, message_key=ctx.message.key, keys=keys, negative=negative)
        ctx.spike_alerts = alerts
        ctx.incident_id = self._detector.incident_for(keys, at)


class SpikeWatcher:
    """Records each spike once (updated in place as it grows) and opens its incident.

    Stateless: the alert carries when it opened, so any replica can write its updates.
    """

    async def watch(self, ctx: MessageContext, decision: Decision) -> list[Effect]:
        alerts = ctx.spike_alerts
        effects: list[Effect] = []
        for alert in alerts:
            record = self._record(alert)
            data = record.data()
            if alert.is_update:
                # A growing spike updates its figures but keeps what the war-room set
                # (acknowledged stays acknowledged, and who did it); only its end changes the status.
                figures = {k: v for k, v in data.items() if k != "status" or alert.ended_at}
                effects.append(
                    MergeIntoRecord(
                        kind=RecordKind.ALERT,
                        record_id=alert.alert_id,
                        fields=figures,
                        only_missing=False,
                        await_record=True,  # saved by the message that opened it, maybe elsewhere
                    )
                )
            else:
                effects.append(
                    SaveRecord(
                        kind=RecordKind.ALERT, record_id=alert.alert_id, data=data, only_if_absent=False
                    )
                )
            if alert.kind == "spike" and not alert.is_update:
                incident = Incident(
                    status="open", alert_id=alert.alert_id, topic=alert.topic, opened_at=record.at
                )
                effects.append(
                    SaveRecord(kind=RecordKind.INCIDENT, record_id=alert.alert_id, data=incident.data())
                )
                # The complaints that made the spike came before it was known: link their cases too.
                effects.extend(
                    LinkCaseToIncident(message_key=key, incident_id=alert.alert_id)
                    for key in alert.message_keys
                )
        return effects

    @staticmethod
    def _record(alert: SpikeAlert) -> Alert:
        opened = (alert.opened_at or alert.at).isoformat()
        return Alert(
            kind=alert.kind,
            status="closed" if alert.ended_at else "open",
            topic=alert.topic,
            at=opened,
            updated_at=alert.at.isoformat(),
            first_message_at=alert.first_message_at.isoformat(),
            count=alert.count,
            baseline_per_window=alert.baseline_per_window,
            negative_share=alert.negative_share,
            keys=alert.keys,
            message_keys=alert.message_keys,
            curve=[(t.isoformat(), n) for t, n in alert.curve],
        )
