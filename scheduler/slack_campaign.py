"""Campaigns from the Slack war-room: `/centinela campaign` opens a modal to paste a YAML
campaign, and the Approve button of a campaign's announcement approves it.

Why a modal: a campaign is a whole YAML file, longer than a slash command line. Submitting it
defines a draft through the same `CampaignBook` as the API and the CLI, so the modal shows the
very error lines `campaigns preview` prints (naming step, channel and language) and stays open
to be corrected. Defining a draft is harmless (nothing posts before approval), so anyone in the
war-room may do it; approving is for approvers, and the button approves only the content
(digest) its announcement showed.
"""

from __future__ import annotations

import logging
from typing import Any, Final

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.warroom import payload
from bot.warroom.approval import ApprovalService
from bot.warroom.approvers import Approvers
from scheduler.campaign_announce import CAMPAIGN_APPROVE, campaign_blocks, parse_button_value
from scheduler.campaign_book import CampaignBook
from scheduler.campaign_preview import preview_lines

log = logging.getLogger(__name__)

Body = dict[str, Any]
CAMPAIGN_VIEW: Final = "campaign_define_view"
YAML_BLOCK, YAML_INPUT = "campaign_yaml", "yaml"
ERROR_LIMIT: Final = 1900


def campaign_modal() -> Body:
    return {
        "type": "modal",
        "callback_id": CAMPAIGN_VIEW,
        "title": {"type": "plain_text", "text": "Define a campaign"},
        "submit": {"type": "plain_text", "text": "Define"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "blocks": [
            {
                "type": "input",
                "block_id": YAML_BLOCK,
                "label": {"type": "plain_text", "text": "The campaign file (YAML, as in FORMATS.md)"},
                "element": {"type": "plain_text_input", "action_id": YAML_INPUT, "multiline": True},
            }
        ],
    }


class CampaignSlack:
    """The modal, its submission and the Approve button."""

    def __init__(
        self, book: CampaignBook, approvers: Approvers, approvals: ApprovalService, *, channel: str
    ) -> None:
        self._book = book
        self._approvers = approvers
        self._approvals = approvals
        self._channel = channel

    def register(self, app: AsyncApp) -> None:
        app.action(CAMPAIGN_APPROVE)(self.approve)
        app.view(CAMPAIGN_VIEW)(self.submitted)

    async def open_modal(self, client: AsyncWebClient, trigger_id: str) -> str | None:
        """Open the modal for the slash command; the answer to show when Slack refuses."""
        try:
            await client.views_open(trigger_id=trigger_id, view=campaign_modal())
        except SlackApiError as exc:
            return f"Could not open the campaign form ({exc.response.get('error')})."
        return None

    async def submitted(self, ack: AsyncAck, body: Body, view: Body, client: AsyncWebClient) -> None:
        text, user = payload.view_input(view, YAML_BLOCK, YAML_INPUT), payload.user_id(body)
        result = await self._book.define(text, actor=f"slack:{user}", source="slack")
        if not result.ok:
            problems = (
                [line for line in preview_lines(result.plan) if line.startswith("error")]
                if result.plan
                else []
            )
            message = "\n".join(problems) or result.message
            await ack(response_action="errors", errors={YAML_BLOCK: _cut(message)})
            return
        await ack()
        note = (
            f"{result.message}; its preview is posted here for approval."
            if result.changed
            else result.message
        )
        await self._tell(client, self._channel, user, note)

    async def approve(self, ack: AsyncAck, body: Body, client: AsyncWebClient) -> None:
        press = payload.click(body)
        await ack()
        user, channel = press.user, press.channel or self._channel
        campaign_id, digest = parse_button_value(press.value)
        if not await self._approvers.allowed(user):
            refused = await self._approvals.refuse(
                "campaign_approve", campaign_id, actor=f"slack:{user}", via="slack"
            )
            await self._tell(client, channel, user, refused.message)
            return
        result = await self._book.act(campaign_id, "approve", actor=f"slack:{user}", digest=digest)
        if not result.ok or result.record is None:
            await self._tell(client, channel, user, result.message)
            return
        text, blocks = campaign_blocks(
            result.record,
            await self._book.plan(result.record),
            decided=f":white_check_mark: Approved by <@{user}>",
        )
        try:
            await client.chat_update(channel=channel, ts=str(press.message_ts), text=text, blocks=blocks)
        except SlackApiError as exc:  # approved all the same: the post just keeps its button
            log.warning("cannot update the announcement of %s: %s", campaign_id, exc.response.get("error"))

    async def _tell(self, client: AsyncWebClient, channel: str, user: str, text: str) -> None:
        try:
            await client.chat_postEphemeral(channel=channel, user=user, text=text)
        except SlackApiError as exc:
            log.warning("cannot tell %s: %s", user, exc.response.get("error"))


def _cut(text: str) -> str:
    return text if len(text) <= ERROR_LIMIT else text[: ERROR_LIMIT - 1] + "…"
