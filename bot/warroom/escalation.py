"""On-call escalation: an alert nobody acknowledges pages the on-call person, then the
secondary, then the whole channel (what a PagerDuty escalation policy does, inside Slack).

`tick(now)` is the whole policy and takes the time as an argument, so tests drive simulated
minutes. Each step is reserved in the store (`escalation:{alert}:{step}`) before it is sent, and
its Slack post has the same idempotency key, so two replicas ticking together page once.

It runs as a job of the scheduler's leader (`scheduler/service.py`, every `escalation_tick_s`),
so of several replicas only the lease holder ticks, and a new leader picks it up when the lease
lapses. The tick keeps no state of its own (the store has it all), so a missed tick is simply
caught up by the next one, and the reservation still makes a page once should two leaders
overlap for a moment.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.config import SlackSettings
from bot.core.models import AuditEvent, OutboxItem
from bot.core.records import RecordKind
from bot.store.base import Store
from bot.store.records import RecordFilter
from bot.store.scan import all_records
from bot.warroom.approval import AUDIT_KIND
from bot.warroom.state import SLACK_CHANNEL, WarRoomLog, WarRoomState

log = logging.getLogger(__name__)

RESERVATION = timedelta(days=30)
CHANNEL = "<!channel>"


@dataclass(frozen=True, slots=True)
class Step:
    """Page `mention` once the alert has waited `after_min` minutes."""

    index: int
    after_min: float
    role: str
    mention: str


def escalation_steps(settings: SlackSettings, now: datetime) -> list[Step]:
    """Who is paged when, for the shift running at `now`: on-call, secondary, then the channel."""
    rotation = settings.oncall_rotation
    targets: list[tuple[str, str]] = []
    if rotation:
        shift = int((now - settings.oncall_rotation_start) / timedelta(days=settings.oncall_shift_days))
        targets.append(("on-call", f"<@{rotation[shift % len(rotation)]}>"))
        if len(rotation) > 1:
            targets.append(("secondary", f"<@{rotation[(shift + 1) % len(rotation)]}>"))
    targets.append(("channel", CHANNEL))
    return [
        Step(i, minutes, role, mention)
        for i, (minutes, (role, mention)) in enumerate(
            zip(settings.escalation_minutes, targets, strict=False)
        )
    ]


class Escalator:
    """Pages for open, unacknowledged crisis and spike alerts (never for trends)."""

    def __init__(self, store: Store, settings: SlackSettings, warroom_log: WarRoomLog) -> None:
        self._store = store
        self._settings = settings
        self._log = warroom_log

    async def tick(self, now: datetime) -> int:
        """Send every step that is due at `now`; returns how many pages were queued."""
        steps = escalation_steps(self._settings, now)
        sent = 0
        # Open war-room states only, filtered in the database, every page of them.
        for record in await all_records(self._store.records, RecordFilter(RecordKind.WARROOM, status="open")):
            state = WarRoomState.from_record(record)
            if not state.escalates or not state.opened_at:
                continue
            waited = (now - datetime.fromisoformat(state.opened_at)).total_seconds() / 60
            for step in steps:
                if waited >= step.after_min and step.index not in state.escalations:
                    sent += await self._page(state.id, step, now)
        return sent

    async def _page(self, alert_id: str, step: Step, now: datetime) -> int:
        fresh = await self._log.get(alert_id)
        if fresh is None or not fresh.escalates:
            return 0  # acknowledged since the scan
        key = f"escalation:{alert_id}:{step.index}"
        if not await self._store.reserve(key, now=now, until=now + RESERVATION):
            return 0  # another replica pages
        minutes = f"{step.after_min:g}"
        item = OutboxItem(
            idempotency_key=key,
            account="employee",
            channel=SLACK_CHANNEL,
            text=f"{step.mention} war-room alert not acknowledged for {minutes} min: {alert_id}",
            payload={
                "op": "post",
                "channel": fresh.slack_channel or self._settings.channel,
                "thread_ts": fresh.slack_ts,
                "broadcast": True,
            },
            created_at=now,
        )
        await self._store.add_outbox([item])
        detail = {"action": "escalate", "step": step.index, "role": step.role, "after_min": step.after_min}
        await self._store.append_audit([AuditEvent(kind=AUDIT_KIND, subject=alert_id, detail=detail)])

        def mark(state: WarRoomState) -> bool:
            if step.index in state.escalations:
                return False
            state.escalations.append(step.index)
            return True

        await self._log.update(alert_id, mark, refresh=False)
        await self._log.record(alert_id, "centinela:escalation", f"paged {step.mention} ({step.role})")
        log.info("escalated %s to %s after %s min", alert_id, step.role, minutes)
        return 1
