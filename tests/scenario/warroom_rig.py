"""The service with a Slack war-room, wired to the fake Slack: what the war-room scenarios share."""

from __future__ import annotations

import json
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from adapters.recording.adapter import RecordingAdapter
from bot.core.drafts import Draft
from bot.core.models import InboundMessage, OutboxItem, utc_now
from bot.core.records import RecordKind
from bot.engine.runtime import Runtime
from bot.store.base import Store
from bot.warroom.state import WarRoomState
from bot.warroom.wiring import WarRoom
from bot.web.app import RUNTIME, STORE, WARROOM, create_app
from tests.conftest import eventually, make_message, settings_for
from tests.fakes.slack_api import (
    BOT_TOKEN,
    SIGNING_SECRET,
    FakeSlack,
    block_action,
    interaction_body,
    signed_headers,
    slash_command_body,
    view_submission,
)

ClientFactory = Callable[[web.Application], Awaitable[TestClient[Any, Any]]]
ServerFactory = Callable[[web.Application], Awaitable[TestServer]]

WAR_ROOM = "C0WARROOM"
APPROVER, SECOND_APPROVER, GROUP_MEMBER, STRANGER = "U0APPROVER", "U0APPROVER2", "U0GROUPIE", "U0STRANGER"
ONCALL, SECONDARY = "U0ONCALL1", "U0ONCALL2"
CRISIS_TEXT = "Voy a demandar a AuroraTel, mi abogado ya lo sabe. Pésimo servicio"


@dataclass
class WarRoomRig:
    """Our app (`client`) and the fake Slack it talks to."""

    client: TestClient[Any, Any]
    slack: FakeSlack
    slack_server: TestServer

    @property
    def store(self) -> Store:
        value: Store = self.client.app[STORE]
        return value

    @property
    def runtime(self) -> Runtime:
        value: Runtime = self.client.app[RUNTIME]
        return value

    @property
    def warroom(self) -> WarRoom:
        value: WarRoom = self.client.app[WARROOM]
        return value

    @property
    def published(self) -> list[OutboxItem]:
        recording = self.runtime.adapters["*"]
        assert isinstance(recording, RecordingAdapter)
        return list(recording.sent)

    async def events(self, body: bytes, headers: dict[str, str]) -> int:
        async with self.client.post("/slack/events", data=body, headers=headers) as response:
            await response.read()
            return response.status

    async def click(self, action_id: str, value: str, *, user: str) -> int:
        body = interaction_body(block_action(action_id, value, user=user, channel=WAR_ROOM))
        return await self.events(body, signed_headers(body))

    async def submit(
        self, callback_id: str, metadata: str, values: dict[str, dict[str, str]], *, user: str
    ) -> int:
        body = interaction_body(view_submission(callback_id, metadata, values, user=user))
        return await self.events(body, signed_headers(body))

    async def command(self, text: str, *, user: str) -> int:
        url = str(self.slack_server.make_url(f"/response/{int(time.time() * 1000)}"))
        body = slash_command_body(text, user=user, response_url=url)
        return await self.events(body, signed_headers(body))

    async def raise_crisis(self, msg_id: str = "c1", text: str = CRISIS_TEXT) -> WarRoomState:
        """A crisis message in; returns the war-room state once the alert is in Slack."""
        await self.runtime.ingest([make_message(msg_id, text, created_at=utc_now())])
        return await eventually(lambda: self.posted(f"crisis:twitter:{msg_id}"))

    async def posted(self, alert_id: str) -> WarRoomState | None:
        state = await self.warroom.approvals.log.get(alert_id)
        return state if state is not None and state.slack_ts else None

    async def draft(self, draft_id: str) -> Draft:
        record = await self.store.get_record(RecordKind.DRAFT, draft_id)
        assert record is not None
        return Draft.from_record(record)

    async def draft_status(self, draft_id: str, status: str) -> Draft | None:
        draft = await self.draft(draft_id)
        return draft if draft.status == status else None

    def updates_mentioning(self, words: str) -> list[dict[str, Any]]:
        return [c.args for c in self.slack.calls_to("chat.update") if words in json.dumps(c.args)]


async def start_rig(
    aiohttp_client: ClientFactory,
    aiohttp_server: ServerFactory,
    tmp_path: Path,
    scheduler: dict[str, Any] | None = None,
    **slack: Any,
) -> WarRoomRig:
    fake = FakeSlack(usergroups={"S0APPROVERS": [GROUP_MEMBER]})
    server = await aiohttp_server(fake.app())
    settings = {
        "bot_token": BOT_TOKEN,
        "signing_secret": SIGNING_SECRET,
        "channel": WAR_ROOM,
        "approvers": [APPROVER, SECOND_APPROVER],
        "approver_usergroup": "S0APPROVERS",
        "api_base_url": str(server.make_url("/api/")),
        "oncall_rotation": [ONCALL, SECONDARY],
        "oncall_shift_days": 100_000,
        "escalation_tick_s": 3600,
        "results_poll_s": 0.05,
        **slack,
    }
    sections = {"scheduler": scheduler} if scheduler is not None else {}
    client = await aiohttp_client(create_app(settings_for(tmp_path, slack=settings, **sections)))
    return WarRoomRig(client, fake, server)


def message(msg_id: str, text: str) -> InboundMessage:
    return make_message(msg_id, text, created_at=utc_now())
