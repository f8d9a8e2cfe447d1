"""The war-room's own record of an alert: where it is in Slack, who acknowledged it, what happened.

Kept beside the alert (`kind="warroom"`, same id) rather than inside it because the detectors
own the alert record and rewrite it as a spike grows; a separate, compare-and-set record means
an acknowledgement or a Slack timestamp can never be lost to a detector's update.
Every change appends an event (who did what, when) and, once the alert is in Slack, queues a
`chat.update` through the outbox so the Slack message shows it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any, Final, Literal

from pydantic import BaseModel, Field

from bot.core.alerts import Alert
from bot.core.models import OutboxItem, Record, utc_now
from bot.core.records import RecordKind
from bot.store.base import Store
from bot.warroom.alert_ack import mark_alert_acknowledged

log = logging.getLogger(__name__)

SLACK_CHANNEL: Final = "slack"
CAS_ATTEMPTS = 20


class WarRoomEvent(BaseModel):
    """One line of the alert's history, shown in Slack and kept for review."""

    at: str
    actor: str
    action: str
    detail: str = ""


class WarRoomState(BaseModel):
    """The war-room's view of one alert; `version` comes from the record."""

    id: str
    version: int = 0
    alert_kind: str = "crisis"
    status: Literal["open", "acknowledged"] = "open"
    opened_at: str = ""
    slack_channel: str | None = None
    slack_ts: str | None = None
    acknowledged_by: str | None = None
    acknowledged_at: str | None = None
    escalations: list[int] = Field(default_factory=list)
    # The case opened from this alert with the war-room's "Open case" button (`case_buttons.py`).
    case_id: str | None = None
    events: list[WarRoomEvent] = Field(default_factory=list)

    @classmethod
    def from_record(cls, record: Record) -> WarRoomState:
        return cls.model_validate({**record.data, "id": record.id, "version": record.version})

    def data(self) -> dict[str, Any]:
        return self.model_dump(mode="json", exclude={"id", "version"})

    @property
    def escalates(self) -> bool:
        """Trends and the incident of the day's draft are reported, never paged: a campaign's
        echo or a daily post is not an emergency."""
        return self.status == "open" and self.alert_kind not in ("trend", "daily")


def new_state(alert_id: str, alert_kind: str, opened_at: datetime) -> dict[str, Any]:
    return WarRoomState(id=alert_id, alert_kind=alert_kind, opened_at=opened_at.isoformat()).data()


Change = Callable[[WarRoomState], bool]


class WarRoomLog:
    """Compare-and-set updates of war-room states, each followed by a Slack refresh."""

    def __init__(self, store: Store, *, clock: Callable[[], datetime] = utc_now) -> None:
        self._store = store
        self._clock = clock

    async def get(self, alert_id: str) -> WarRoomState | None:
        record = await self._store.get_record(RecordKind.WARROOM, alert_id)
        return WarRoomState.from_record(record) if record else None

    async def update(self, alert_id: str, change: Change, *, refresh: bool = True) -> WarRoomState | None:
        """Apply `change` (which returns False to leave the state alone) until the write wins.

        A missing state is created first: an alert acknowledged through the API before (or
        without) any Slack message still gets its history.
        """
        for _ in range(CAS_ATTEMPTS):
            record = await self._store.get_record(RecordKind.WARROOM, alert_id)
            if record is None:
                kind = await self._alert_kind(alert_id)
                await self._store.put_record(
                    RecordKind.WARROOM,
                    alert_id,
                    new_state(alert_id, kind, self._clock()),
                    only_if_absent=True,
                )
                continue
            state = WarRoomState.from_record(record)
            if not change(state):
                return state
            if await self._store.cas_record(
                RecordKind.WARROOM, alert_id, expected_version=record.version, data=state.data()
            ):
                state.version = record.version + 1
                if refresh:
                    await self.refresh(state)
                return state
        raise RuntimeError(f"war-room state {alert_id} kept changing under us")

    async def record(
        self, alert_id: str, actor: str, action: str, detail: str = "", *, acknowledge: bool = False
    ) -> WarRoomState | None:
        """Append an event; with `acknowledge`, also stop the alert's escalation."""
        now = self._clock().isoformat()

        def change(state: WarRoomState) -> bool:
            state.events.append(WarRoomEvent(at=now, actor=actor, action=action, detail=detail))
            if acknowledge and state.status == "open":
                state.status = "acknowledged"
                state.acknowledged_by = actor
                state.acknowledged_at = now
            return True

        state = await self.update(alert_id, change)
        if state is not None and state.status == "acknowledged" and state.acknowledged_by:
            await mark_alert_acknowledged(
                self._store, alert_id, by=state.acknowledged_by, at=state.acknowledged_at or now
            )
        return state

    async def posted(self, alert_id: str, channel: str, ts: str, rendered_version: int) -> None:
        """Remember where the alert lives in Slack; refresh it if it changed while being posted."""
        before = await self.get(alert_id)
        changed = before is not None and before.version != rendered_version

        def change(state: WarRoomState) -> bool:
            state.slack_channel, state.slack_ts = channel, ts
            return True

        state = await self.update(alert_id, change, refresh=False)
        if changed and state is not None:
            await self.refresh(state)

    async def refresh(self, state: WarRoomState) -> None:
        """Queue a `chat.update`; the adapter renders the alert as it is when the update is sent."""
        if state.slack_ts is None:
            return  # not in Slack (yet): the pending post will render the latest state itself
        item = OutboxItem(
            idempotency_key=f"warroom-update:{state.id}:{state.version}",
            account="employee",
            channel=SLACK_CHANNEL,
            text=f"war-room alert {state.id} updated",
            payload={"op": "update", "alert_id": state.id},
        )
        await self._store.add_outbox([item])

    async def _alert_kind(self, alert_id: str) -> str:
        record = await self._store.get_record(RecordKind.ALERT, alert_id)
        return Alert.from_record(record).kind if record else "crisis"
