"""The Slack side of the war-room: a bolt `AsyncApp` mounted at `/slack/events`.

Bolt verifies every request's signature and refuses one signed more than five minutes ago
(`request_verification_enabled`, on). Each handler reads the fields it needs (`payload.py`: a
signed payload of the wrong shape is a 400 naming the field, `slack_guard.py`), acknowledges
(Slack gives three seconds), then hands the decision to the `ApprovalService`, the same code
the REST API and the CLI use. Only approvers may approve, edit or reject; anyone else gets an
ephemeral refusal and the attempt is audited; the same holds for "Open case" and "Solve"
(`case_buttons.py`). Anyone in the channel may acknowledge an alert or pause automatic replies
(stopping is always safe); resuming them is for approvers.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.core.models import utc_now
from bot.pipeline.guards import set_kill_switch
from bot.store.base import Store
from bot.warroom import blocks, payload
from bot.warroom.approval import ApprovalService
from bot.warroom.approvers import Approvers
from bot.warroom.case_buttons import CaseButton, WarRoomCases
from bot.warroom.slack_guard import guard
from bot.warroom.slash import HELP, incidents_text, status_text
from scheduler.outages import OutageDesk
from scheduler.slack_campaign import CampaignSlack
from scheduler.slack_outage import declare_from_spike, outage_command

log = logging.getLogger(__name__)

Body = dict[str, Any]
# Whom to answer: the presser of a button or the submitter of a modal.
Who = payload.Click | payload.Submission


class WarRoomHandlers:
    """Listeners for the buttons, the modals and `/centinela`."""

    def __init__(
        self,
        approvals: ApprovalService,
        approvers: Approvers,
        store: Store,
        *,
        channel: str,
        clock: Callable[[], datetime] = utc_now,
        outages: OutageDesk | None = None,
        campaigns: CampaignSlack | None = None,
        cases: WarRoomCases | None = None,
    ) -> None:
        self._outages = outages
        self._campaigns = campaigns
        self._cases = cases
        self._approvals = approvals
        self._approvers = approvers
        self._store = store
        self._channel = channel
        self._clock = clock

    def register(self, app: AsyncApp) -> None:
        app.action(blocks.APPROVE)(self.approve)
        app.action(blocks.EDIT)(self.edit)
        app.action(blocks.REJECT)(self.reject)
        app.action(blocks.ACKNOWLEDGE)(self.acknowledge)
        if self._outages is not None:
            app.action(blocks.DECLARE_OUTAGE)(self.declare_outage)
        if self._cases is not None:
            app.action(blocks.OPEN_CASE)(self.open_case)
            app.action(blocks.SOLVE_CASE)(self.solve_case)
        app.view(blocks.EDIT_VIEW)(self.edit_submitted)
        app.view(blocks.REJECT_VIEW)(self.reject_submitted)
        app.command("/centinela")(self.command)
        if self._campaigns is not None:  # the campaign modal and Approve button (scheduler/)
            self._campaigns.register(app)

    async def approve(self, ack: AsyncAck, body: Body, client: AsyncWebClient) -> None:
        press = payload.click(body)
        await ack()
        if await self._refused(client, press, "approve", press.value):
            return
        result = await self._approvals.approve(press.value, actor=f"slack:{press.user}", via="slack")
        if not result.ok:
            await self._ephemeral(client, press, result.message)

    async def edit(self, ack: AsyncAck, body: Body, client: AsyncWebClient) -> None:
        press, trigger = payload.click(body), payload.trigger_id(body)
        await ack()
        await self._open_modal(client, press, trigger, "edit", blocks.edit_modal)

    async def reject(self, ack: AsyncAck, body: Body, client: AsyncWebClient) -> None:
        press, trigger = payload.click(body), payload.trigger_id(body)
        await ack()
        await self._open_modal(client, press, trigger, "reject", blocks.reject_modal)

    async def acknowledge(self, ack: AsyncAck, body: Body, client: AsyncWebClient) -> None:
        press = payload.click(body)
        await ack()
        result = await self._approvals.acknowledge(press.value, actor=f"slack:{press.user}", via="slack")
        if not result.ok:
            await self._ephemeral(client, press, result.message)

    async def declare_outage(self, ack: AsyncAck, body: Body, client: AsyncWebClient) -> None:
        """Approvers only: the notice goes out on the official accounts at once."""
        press = payload.click(body)
        await ack()
        if await self._refused(client, press, "declare_outage", press.value):
            return
        assert self._outages is not None
        noted = self._approvals.log.record
        message = await declare_from_spike(
            self._outages, self._store, press.value, actor=f"slack:{press.user}", noted=noted
        )
        await self._ephemeral(client, press, message)

    async def open_case(self, ack: AsyncAck, body: Body, client: AsyncWebClient) -> None:
        """Approvers only: a case opened from an alert is a commitment to the customer."""
        press = payload.click(body)
        await ack()
        assert self._cases is not None
        await self._case_button(client, press, "open_case", self._cases.open_case)

    async def solve_case(self, ack: AsyncAck, body: Body, client: AsyncWebClient) -> None:
        """Approvers only: solving tells the customer, once."""
        press = payload.click(body)
        await ack()
        assert self._cases is not None
        await self._case_button(client, press, "solve_case", self._cases.solve_case)

    async def _case_button(
        self, client: AsyncWebClient, press: payload.Click, action: str, button: CaseButton
    ) -> None:
        if await self._refused(client, press, action, press.value):
            return
        result = await button(press.value, actor=f"slack:{press.user}")
        await self._ephemeral(client, press, result.message)

    async def edit_submitted(self, ack: AsyncAck, body: Body, view: Body, client: AsyncWebClient) -> None:
        text = payload.view_input(view, blocks.TEXT_BLOCK, blocks.TEXT_INPUT)
        sent = payload.submission(body, view)
        if not text.strip():
            await ack(response_action="errors", errors={blocks.TEXT_BLOCK: "The reply cannot be empty."})
            return
        await ack()
        if await self._refused(client, sent, "edit", sent.metadata):
            return
        result = await self._approvals.approve(
            sent.metadata, actor=f"slack:{sent.user}", via="slack", text=text
        )
        if not result.ok:
            await self._ephemeral(client, sent, result.message)

    async def reject_submitted(self, ack: AsyncAck, body: Body, view: Body, client: AsyncWebClient) -> None:
        reason = payload.view_input(view, blocks.REASON_BLOCK, blocks.REASON_INPUT)
        sent = payload.submission(body, view)
        if not reason.strip():
            await ack(response_action="errors", errors={blocks.REASON_BLOCK: "Please say why."})
            return
        await ack()
        if await self._refused(client, sent, "reject", sent.metadata):
            return
        result = await self._approvals.reject(
            sent.metadata, actor=f"slack:{sent.user}", via="slack", reason=reason
        )
        if not result.ok:
            await self._ephemeral(client, sent, result.message)

    async def command(
        self, ack: AsyncAck, command: Body, respond: AsyncRespond, client: AsyncWebClient
    ) -> None:
        user = payload.command_user(command)
        await ack()
        words = str(command.get("text") or "").split()
        word = words[0].lower() if words else "status"
        actor = f"slack:{user}"
        if word == "pause":
            reason = " ".join(words[1:]) or "paused from Slack"
            await set_kill_switch(self._store, on=True, actor=actor, reason=reason)
            await respond(
                f":octagonal_sign: Automatic replies paused by <@{user}>. `/centinela resume` to restart."
            )
        elif word == "resume":
            if not await self._approvers.allowed(user):
                await self._approvals.refuse("resume", "kill_switch", actor=actor, via="slack")
                await respond("Only war-room approvers can resume automatic replies.")
                return
            await set_kill_switch(self._store, on=False, actor=actor)
            await respond(f":arrow_forward: Automatic replies resumed by <@{user}>.")
        elif word == "status":
            await respond(await status_text(self._store, self._clock()))
        elif word == "incidents":
            await respond(await incidents_text(self._store))
        elif word == "outage" and self._outages is not None:  # scheduler/slack_outage.py
            if not await self._approvers.allowed(user):
                await self._approvals.refuse("outage", "outage", actor=actor, via="slack")
                await respond("Only war-room approvers can declare or resolve outages.")
                return
            text = str(command.get("text") or "").strip()
            await respond(await outage_command(self._outages, text.partition(" ")[2], actor=actor))
        elif word == "campaign" and self._campaigns is not None:  # scheduler/slack_campaign.py
            refusal = await self._campaigns.open_modal(client, str(command.get("trigger_id", "")))
            if refusal is not None:
                await respond(refusal)
        else:
            await respond(HELP)

    async def _open_modal(
        self,
        client: AsyncWebClient,
        press: payload.Click,
        trigger: str,
        action: str,
        modal: Callable[[Any], Body],
    ) -> None:
        if await self._refused(client, press, action, press.value):
            return
        draft = await self._approvals.get(press.value)
        if draft is None or draft.status != "pending":
            message = f"This draft was already {draft.status}." if draft else f"No draft {press.value}."
            await self._ephemeral(client, press, message)
            return
        await client.views_open(trigger_id=trigger, view=modal(draft))

    async def _refused(self, client: AsyncWebClient, who: Who, action: str, subject: str) -> bool:
        if await self._approvers.allowed(who.user):
            return False
        result = await self._approvals.refuse(action, subject, actor=f"slack:{who.user}", via="slack")
        await self._ephemeral(client, who, result.message)
        return True

    async def _ephemeral(self, client: AsyncWebClient, who: Who, text: str) -> None:
        try:
            await client.chat_postEphemeral(channel=who.channel or self._channel, user=who.user, text=text)
        except SlackApiError as exc:
            log.warning("cannot tell %s: %s", who.user, exc.response.get("error"))


def build_slack_app(client: AsyncWebClient, signing_secret: str, handlers: WarRoomHandlers) -> AsyncApp:
    """The bolt app; `client` carries the bot token and the API base URL."""
    app = AsyncApp(
        name="centinela",
        client=client,
        signing_secret=signing_secret,
        request_verification_enabled=True,
    )
    guard(app)  # before the listeners: a payload of the wrong shape is a 400, not a 500
    handlers.register(app)
    return app
