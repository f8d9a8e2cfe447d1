"""Campaigns from the war-room: `/centinela campaign` opens a modal whose submission is checked
like `campaigns preview`, the leader announces each draft once with its preview, and only an
approver's click on Approve approves it (only the content that announcement showed)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from bot.core.records import RecordKind
from scheduler.campaign_announce import CAMPAIGN_APPROVE, CampaignAnnouncer
from scheduler.campaign_book import CampaignBook
from scheduler.slack_campaign import CAMPAIGN_VIEW, YAML_BLOCK, YAML_INPUT
from tests.conftest import eventually
from tests.fakes.slack_api import SlackCall, interaction_body, signed_headers, view_submission
from tests.scenario.warroom_rig import APPROVER, STRANGER, ClientFactory, ServerFactory, WarRoomRig, start_rig
from tests.unit.scheduler.campaign_rig import DST_CAMPAIGN

TOO_LONG = DST_CAMPAIGN.replace("Quedan dos días.", "Quedan dos días. " + "x" * 290)


@pytest.fixture
async def rig(aiohttp_client: ClientFactory, aiohttp_server: ServerFactory, tmp_path: Path) -> WarRoomRig:
    return await start_rig(aiohttp_client, aiohttp_server, tmp_path, scheduler={"sweep_s": 0.1, "lease_s": 5})


async def submit_yaml(rig: WarRoomRig, text: str, *, user: str) -> dict[str, Any]:
    """The modal's submission; Slack's answer body (`{}` when the modal closes)."""
    body = interaction_body(view_submission(CAMPAIGN_VIEW, "", {YAML_BLOCK: {YAML_INPUT: text}}, user=user))
    async with rig.client.post("/slack/events", data=body, headers=signed_headers(body)) as response:
        assert response.status == 200
        raw = await response.text()
        return dict(json.loads(raw)) if raw else {}


async def announcements(rig: WarRoomRig, campaign_id: str) -> list[SlackCall] | None:
    posts = [c for c in rig.slack.calls_to("chat.postMessage") if campaign_id in str(c.args.get("text"))]
    return posts or None


def approve_value(post: SlackCall) -> str:
    [button] = [b for blk in post.args["blocks"] if blk["type"] == "actions" for b in blk["elements"]]
    assert button["action_id"] == CAMPAIGN_APPROVE
    return str(button["value"])


async def test_the_slash_command_opens_the_campaign_modal(rig: WarRoomRig) -> None:
    assert await rig.command("campaign", user=STRANGER) == 200
    [call] = await eventually(lambda: _calls(rig, "views.open"))
    assert call.args["view"]["callback_id"] == CAMPAIGN_VIEW and call.args["trigger_id"]


async def test_a_bad_campaign_keeps_the_modal_open_with_the_preview_errors(rig: WarRoomRig) -> None:
    answer = await submit_yaml(rig, TOO_LONG, user=STRANGER)
    assert answer["response_action"] == "errors"
    error = answer["errors"][YAML_BLOCK]
    assert error.startswith("error step 2 twitter es:") and "280" in error
    assert await rig.store.get_record(RecordKind.CAMPAIGN, "dst-3") is None
    broken = await submit_yaml(rig, "id: [", user=STRANGER)
    assert broken["response_action"] == "errors" and broken["errors"][YAML_BLOCK]


async def test_a_defined_campaign_is_announced_once_and_approved_by_an_approver(rig: WarRoomRig) -> None:
    assert await submit_yaml(rig, DST_CAMPAIGN, user=STRANGER) == {}
    record = await rig.store.get_record(RecordKind.CAMPAIGN, "dst-3")
    assert record is not None and record.data["status"] == "draft"
    assert record.data["defined_by"] == f"slack:{STRANGER}" and record.data["source"] == "slack"
    [post] = await eventually(lambda: announcements(rig, "dst-3"))
    shown = json.dumps(post.args["blocks"], ensure_ascii=False)
    assert "2026-03-28 09:00 +0100" in shown and "2026-03-30T07:00:00Z" in shown and "Último día." in shown
    assert await CampaignAnnouncer(rig.store, CampaignBook(rig.store)).run() == []  # already announced

    value = approve_value(post)
    assert await rig.click(CAMPAIGN_APPROVE, value, user=STRANGER) == 200
    refusals = await eventually(lambda: _ephemerals(rig, "Only war-room approvers"))
    assert len(refusals) == 1
    stale = value.rsplit("@", 1)[0] + "@0000"
    assert await rig.click(CAMPAIGN_APPROVE, stale, user=APPROVER) == 200
    await eventually(lambda: _ephemerals(rig, "changed since that preview"))
    still = await rig.store.get_record(RecordKind.CAMPAIGN, "dst-3")
    assert still is not None and still.data["status"] == "draft"

    assert await rig.click(CAMPAIGN_APPROVE, value, user=APPROVER) == 200
    [update] = await eventually(lambda: _calls(rig, "chat.update"))
    assert f"Approved by <@{APPROVER}>" in json.dumps(
        update.args["blocks"]
    ) and CAMPAIGN_APPROVE not in json.dumps(update.args["blocks"])
    approved = await rig.store.get_record(RecordKind.CAMPAIGN, "dst-3")
    assert approved is not None and approved.data["approved_by"] == f"slack:{APPROVER}"
    assert approved.data["status"] != "draft"
    audit = await rig.store.list_audit(kind="warroom")
    assert [e.actor for e in audit if e.detail.get("action") == "campaign_approve"] == [f"slack:{STRANGER}"]


async def _calls(rig: WarRoomRig, method: str) -> list[SlackCall] | None:
    return list(rig.slack.calls_to(method)) or None


async def _ephemerals(rig: WarRoomRig, words: str) -> list[str] | None:
    texts = [
        str(c.args["text"]) for c in rig.slack.calls_to("chat.postEphemeral") if words in str(c.args["text"])
    ]
    return texts or None
