"""Draws an alert for Slack from the store, at the moment the adapter sends it.

The Slack adapter gets `render` and `posted` from here (it never reads the store itself):
`render` turns a war-room outbox item into the alert's current blocks, and `posted` remembers
the message's channel and timestamp so later changes can update it in place.
"""

from __future__ import annotations

from typing import Any

from adapters.base import Receipt
from adapters.slack.adapter import SlackView
from bot.core.alerts import Alert
from bot.core.drafts import Draft
from bot.core.records import RecordKind
from bot.engine.cases import load_case
from bot.store.base import Store
from bot.warroom.blocks import Block, alert_message, draft_message
from bot.warroom.case_buttons import alert_case_id
from bot.warroom.state import WarRoomLog, WarRoomState


class WarRoomRenderer:
    """Renders alerts and records where they were posted."""

    def __init__(self, store: Store, log: WarRoomLog, *, channel: str) -> None:
        self._store = store
        self._log = log
        self._channel = channel

    async def render(self, payload: dict[str, Any]) -> SlackView | None:
        alert_id = str(payload["alert_id"])
        record = await self._store.get_record(RecordKind.ALERT, alert_id)
        state = await self._log.get(alert_id)
        if record is None:
            return await self._render_draft(alert_id, state)
        alert = Alert.from_record(record)
        draft_id = alert.draft_id
        draft_record = await self._store.get_record(RecordKind.DRAFT, draft_id) if draft_id else None
        draft = Draft.from_record(draft_record) if draft_record else None
        case_id = alert_case_id(alert, state)
        case = await load_case(self._store.records, case_id) if case_id else None
        shown = (case.id, case.status) if case else None
        text, blocks = alert_message(alert_id, alert, draft, state, shown)
        return self._view(text, blocks, state)

    async def _render_draft(self, draft_id: str, state: WarRoomState | None) -> SlackView | None:
        """A war-room item that is a draft of its own (the incident of the day), not an alert."""
        record = await self._store.get_record(RecordKind.DRAFT, draft_id)
        if record is None:
            return None
        text, blocks = draft_message(Draft.from_record(record), state)
        return self._view(text, blocks, state)

    def _view(self, text: str, blocks: list[Block], state: WarRoomState | None) -> SlackView:
        return SlackView(
            text=text,
            blocks=blocks,
            channel=(state.slack_channel if state else None) or self._channel,
            ts=state.slack_ts if state else None,
            version=state.version if state else 0,
        )

    async def posted(self, payload: dict[str, Any], view: SlackView, receipt: Receipt) -> None:
        channel, ts = receipt.get("channel"), receipt.get("ts")
        if channel and ts:
            await self._log.posted(str(payload["alert_id"]), str(channel), str(ts), view.version)
