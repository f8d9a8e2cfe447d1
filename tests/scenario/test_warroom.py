"""The Slack war-room end to end: signed Slack requests in, Slack Web API calls and publications out.

Our app runs with the real bolt `AsyncApp` and the real `AsyncWebClient`, pointed at the fake
Slack in `tests/fakes/slack_api.py`; customer-facing replies land in the recording adapter.
"""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path
from typing import TypeVar

import pytest

from bot.warroom import blocks
from tests.conftest import eventually
from tests.fakes.slack_api import block_action, interaction_body, signed_headers
from tests.scenario.warroom_rig import (
    APPROVER,
    GROUP_MEMBER,
    SECOND_APPROVER,
    STRANGER,
    WAR_ROOM,
    ClientFactory,
    ServerFactory,
    WarRoomRig,
    start_rig,
)

T = TypeVar("T")


@pytest.fixture
async def rig(aiohttp_client: ClientFactory, aiohttp_server: ServerFactory, tmp_path: Path) -> WarRoomRig:
    return await start_rig(aiohttp_client, aiohttp_server, tmp_path)


async def test_alert_is_posted_with_the_draft_and_buttons(rig: WarRoomRig) -> None:
    state = await rig.raise_crisis("c1")
    [post] = rig.slack.calls_to("chat.postMessage")
    assert post.args["channel"] == WAR_ROOM and state.slack_channel == WAR_ROOM
    rendered = json.dumps(post.args["blocks"], ensure_ascii=False)
    assert "demandar" in rendered and "legal" in rendered and "https://x.com/ana/status/c1" in rendered
    draft = await rig.draft("twitter:c1")
    assert draft.status == "pending" and draft.language == "es" and draft.text in rendered
    actions = {
        b["action_id"] for blk in post.args["blocks"] if blk["type"] == "actions" for b in blk["elements"]
    }
    assert actions == {blocks.APPROVE, blocks.EDIT, blocks.REJECT, blocks.OPEN_CASE, blocks.ACKNOWLEDGE}


async def test_approve_publishes_once_as_the_official_account(rig: WarRoomRig) -> None:
    await rig.raise_crisis("c1")
    assert await rig.click(blocks.APPROVE, "twitter:c1", user=APPROVER) == 200
    draft = await eventually(lambda: rig.draft_status("twitter:c1", "published"))
    [reply] = [item for item in rig.published if item.account == "official"]
    assert reply.idempotency_key == "approved:twitter:c1:official"
    assert (reply.channel, reply.target, reply.text) == ("twitter", "c1", draft.text)
    await eventually(lambda: _async(rig.updates_mentioning("Published")))
    assert rig.updates_mentioning(f"<@{APPROVER}>")
    audit = await rig.store.list_audit(kind="warroom")
    assert any(e.detail["outcome"] == "approved" and e.actor == f"slack:{APPROVER}" for e in audit)


async def test_double_click_publishes_once(rig: WarRoomRig) -> None:
    await rig.raise_crisis("c1")
    statuses = await asyncio.gather(
        rig.click(blocks.APPROVE, "twitter:c1", user=APPROVER),
        rig.click(blocks.APPROVE, "twitter:c1", user=SECOND_APPROVER),
    )
    assert list(statuses) == [200, 200]
    await eventually(lambda: rig.draft_status("twitter:c1", "published"))
    outcomes = await eventually(lambda: _approve_outcomes(rig, 2))
    assert sorted(outcomes) == ["already", "approved"]
    assert len([i for i in rig.published if i.account == "official"]) == 1
    [told] = rig.slack.calls_to("chat.postEphemeral")
    assert "already approved" in told.args["text"]


async def test_edit_publishes_the_edited_text(rig: WarRoomRig) -> None:
    await rig.raise_crisis("c1")
    assert await rig.click(blocks.EDIT, "twitter:c1", user=APPROVER) == 200
    opened = await eventually(lambda: _async(rig.slack.calls_to("views.open")))
    view = (
        json.loads(opened[0].args["view"])
        if isinstance(opened[0].args["view"], str)
        else opened[0].args["view"]
    )
    draft = await rig.draft("twitter:c1")
    assert view["callback_id"] == blocks.EDIT_VIEW and draft.text in json.dumps(view, ensure_ascii=False)
    edited = "@ana Lamentamos mucho lo ocurrido. Te escribimos por DM ahora mismo."
    values = {blocks.TEXT_BLOCK: {blocks.TEXT_INPUT: edited}}
    assert await rig.submit(blocks.EDIT_VIEW, "twitter:c1", values, user=APPROVER) == 200
    done = await eventually(lambda: rig.draft_status("twitter:c1", "published"))
    assert done.edited and done.final_text == edited
    assert [i.text for i in rig.published if i.account == "official"] == [edited]


async def test_reject_asks_why_and_publishes_nothing(rig: WarRoomRig) -> None:
    await rig.raise_crisis("c1")
    assert await rig.click(blocks.REJECT, "twitter:c1", user=APPROVER) == 200
    await eventually(lambda: _async(rig.slack.calls_to("views.open")))
    values = {blocks.REASON_BLOCK: {blocks.REASON_INPUT: "Legal will answer privately"}}
    assert await rig.submit(blocks.REJECT_VIEW, "twitter:c1", values, user=APPROVER) == 200
    draft = await eventually(lambda: rig.draft_status("twitter:c1", "rejected"))
    assert draft.reason == "Legal will answer privately"
    await eventually(lambda: _async(rig.updates_mentioning("Legal will answer privately")))
    assert [i for i in await rig.store.list_outbox(limit=1000) if i.account == "official"] == []


async def test_a_non_approver_is_refused_and_audited(rig: WarRoomRig) -> None:
    await rig.raise_crisis("c1")
    for action in (blocks.APPROVE, blocks.EDIT, blocks.REJECT):
        assert await rig.click(action, "twitter:c1", user=STRANGER) == 200
    refusals = await eventually(lambda: _refusals(rig, 3))
    assert sorted(refusals) == ["approve", "edit", "reject"]
    await eventually(lambda: _async(rig.slack.calls_to("chat.postEphemeral")[2:]))
    told = rig.slack.calls_to("chat.postEphemeral")
    assert {c.args["user"] for c in told} == {STRANGER} and all(c.args["channel"] == WAR_ROOM for c in told)
    assert rig.slack.calls_to("views.open") == []
    assert (await rig.draft("twitter:c1")).status == "pending"


async def test_a_user_group_member_may_approve(rig: WarRoomRig) -> None:
    await rig.raise_crisis("c1")
    assert await rig.click(blocks.APPROVE, "twitter:c1", user=GROUP_MEMBER) == 200
    await eventually(lambda: rig.draft_status("twitter:c1", "published"))
    [lookup] = rig.slack.calls_to("usergroups.users.list")
    assert lookup.args["usergroup"] == "S0APPROVERS"


@pytest.mark.parametrize("problem", ["stale", "forged"])
async def test_stale_or_forged_signature_is_refused(rig: WarRoomRig, problem: str) -> None:
    await rig.raise_crisis("c1")
    body = interaction_body(block_action(blocks.APPROVE, "twitter:c1", user=APPROVER))
    if problem == "stale":
        headers = signed_headers(body, at=int(time.time()) - 301)
    else:
        headers = signed_headers(body, secret="not-the-secret")
    assert await rig.events(body, headers) == 401
    assert await rig.store.list_audit(kind="warroom") == []
    assert (await rig.draft("twitter:c1")).status == "pending"


@pytest.mark.parametrize(("field", "value"), [("team", 1.5), ("channel", 7)])
async def test_an_unsigned_body_of_the_wrong_shape_is_a_400_not_a_500(
    rig: WarRoomRig, field: str, value: object
) -> None:
    """bolt reads the team and channel out of the body before it checks the signature: one that
    is not an object raised there, a 500 for anyone who could reach the URL."""
    payload = block_action(blocks.APPROVE, "twitter:c1", user=APPROVER)
    payload[field] = value
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    async with rig.client.post("/slack/events", data=interaction_body(payload), headers=form) as response:
        assert response.status == 400 and "error" in await response.json()
    assert await rig.store.list_audit(kind="warroom") == []


async def _approve_outcomes(rig: WarRoomRig, count: int) -> list[str] | None:
    audit = await rig.store.list_audit(kind="warroom")
    outcomes = [e.detail["outcome"] for e in audit if e.detail.get("action") == "approve"]
    return outcomes if len(outcomes) >= count else None


async def _refusals(rig: WarRoomRig, count: int) -> list[str] | None:
    audit = await rig.store.list_audit(kind="warroom")
    refused = [e.detail["action"] for e in audit if e.detail["outcome"] == "refused"]
    assert all(e.actor == f"slack:{STRANGER}" for e in audit)
    return refused if len(refused) >= count else None


async def _async(value: T) -> T:
    return value
