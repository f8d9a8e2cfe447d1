"""The incident of the day in the war-room: its draft is announced with Approve, Edit and
Reject (approvers only), and each decision publishes once (or not at all) and updates the post."""

from __future__ import annotations

import json
from datetime import time
from functools import partial
from pathlib import Path
from typing import Any

import pytest

from bot.core.models import utc_now
from bot.core.posts import is_standalone_post
from bot.core.records import RecordKind
from bot.warroom import blocks
from scheduler.daily_incident import DailyIncidentDrafter
from tests.conftest import eventually
from tests.fakes.slack_api import SlackCall
from tests.scenario.warroom_rig import (
    APPROVER,
    STRANGER,
    WAR_ROOM,
    ClientFactory,
    ServerFactory,
    WarRoomRig,
    start_rig,
)

ZONES = {"Europe/Madrid": "es", "America/Sao_Paulo": "pt", "America/New_York": "en"}


@pytest.fixture
async def rig(aiohttp_client: ClientFactory, aiohttp_server: ServerFactory, tmp_path: Path) -> WarRoomRig:
    return await start_rig(aiohttp_client, aiohttp_server, tmp_path)


async def drafted(rig: WarRoomRig) -> list[str]:
    alert = {"kind": "spike", "topic": "topic:no-internet|region:madrid", "count": 89}
    await rig.store.put_record(RecordKind.ALERT, "spike:big", alert)
    drafter = DailyIncidentDrafter(rig.store, zones=ZONES, at=time(0, 0), channel="twitter", clock=utc_now)
    made = await drafter.run()
    assert len(made) == 3 and await drafter.run() == []
    for draft_id in made:
        await eventually(partial(rig.posted, draft_id))
    return made


def buttons(post_blocks: list[dict[str, Any]]) -> set[str]:
    return {str(b["action_id"]) for blk in post_blocks if blk["type"] == "actions" for b in blk["elements"]}


async def test_the_daily_draft_is_announced_once_with_approval_buttons(rig: WarRoomRig) -> None:
    madrid, *_ = await drafted(rig)
    posts = rig.slack.calls_to("chat.postMessage")
    assert len(posts) == 3 and {p.args["channel"] for p in posts} == {WAR_ROOM}
    [post] = [
        p
        for p in posts
        if "no internet (madrid)" in json.dumps(p.args["blocks"])
        and "Hoy" in json.dumps(p.args["blocks"], ensure_ascii=False)
    ]
    assert "Incident of the day" in post.args["text"]
    assert buttons(post.args["blocks"]) == {blocks.APPROVE, blocks.EDIT, blocks.REJECT}
    state = await rig.warroom.approvals.log.get(madrid)
    assert state is not None and not state.escalates  # a daily post never pages anyone


async def test_approve_edit_and_reject_from_slack(rig: WarRoomRig) -> None:
    madrid, sao_paulo, new_york = await drafted(rig)
    assert await rig.click(blocks.APPROVE, madrid, user=STRANGER) == 200
    refusal = await eventually(lambda: _ephemerals(rig, 1))
    assert "Only war-room approvers" in refusal[0]
    assert (await rig.draft(madrid)).status == "pending"

    assert await rig.click(blocks.APPROVE, madrid, user=APPROVER) == 200
    approved = await eventually(lambda: rig.draft_status(madrid, "published"))
    assert await rig.click(blocks.APPROVE, madrid, user=APPROVER) == 200  # a second click publishes nothing

    assert await rig.click(blocks.EDIT, sao_paulo, user=APPROVER) == 200
    [modal] = await eventually(lambda: _calls(rig, "views.open", 1))
    assert modal.args["view"]["private_metadata"] == sao_paulo
    edited_text = "Hoje a fibra em Madrid voltou: obrigado pela paciência."
    values = {blocks.TEXT_BLOCK: {blocks.TEXT_INPUT: edited_text}}
    assert await rig.submit(blocks.EDIT_VIEW, sao_paulo, values, user=APPROVER) == 200
    await eventually(lambda: rig.draft_status(sao_paulo, "published"))

    assert await rig.click(blocks.REJECT, new_york, user=APPROVER) == 200
    await eventually(lambda: _calls(rig, "views.open", 2))
    reason = {blocks.REASON_BLOCK: {blocks.REASON_INPUT: "not today"}}
    assert await rig.submit(blocks.REJECT_VIEW, new_york, reason, user=APPROVER) == 200
    await eventually(lambda: rig.draft_status(new_york, "rejected"))

    official = [i for i in rig.published if i.account == "official"]
    assert sorted(i.text for i in official) == sorted([approved.text, edited_text])
    assert all(is_standalone_post(i) and i.channel == "twitter" for i in official)
    update = await eventually(lambda: _updated(rig, madrid))
    assert blocks.APPROVE not in json.dumps(update)  # the buttons are gone once decided


async def _ephemerals(rig: WarRoomRig, count: int) -> list[str] | None:
    texts = [str(c.args["text"]) for c in rig.slack.calls_to("chat.postEphemeral")]
    return texts if len(texts) >= count else None


async def _calls(rig: WarRoomRig, method: str, count: int) -> list[SlackCall] | None:
    calls = rig.slack.calls_to(method)
    return list(calls) if len(calls) >= count else None


async def _updated(rig: WarRoomRig, draft_id: str) -> dict[str, object] | None:
    state = await rig.warroom.approvals.log.get(draft_id)
    for call in rig.slack.calls_to("chat.update"):
        if (
            state is not None
            and call.args.get("ts") == state.slack_ts
            and "Published" in json.dumps(call.args)
        ):
            return dict(call.args)
    return None
