"""The war-room's "Open case" and "Solve" buttons, end to end with the fake Slack: approvers
only, one case per alert however many click, and a case solved from Slack tells its customer
once."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta
from pathlib import Path
from typing import Any, TypeVar

import pytest

from bot.core.models import utc_now
from bot.core.sla import SlaSettings
from bot.engine.cases import CaseBook, load_case
from bot.engine.sla import SlaWatch
from bot.store.records import RecordFilter
from bot.warroom import blocks
from bot.web.sla_wiring import warroom_announcer
from tests.conftest import eventually
from tests.scenario.warroom_rig import (
    APPROVER,
    SECOND_APPROVER,
    STRANGER,
    ClientFactory,
    ServerFactory,
    WarRoomRig,
    start_rig,
)
from tests.unit.bot.engine.case_drafts import draft

T = TypeVar("T")
ALERT = "crisis:twitter:c1"


@pytest.fixture
async def rig(aiohttp_client: ClientFactory, aiohttp_server: ServerFactory, tmp_path: Path) -> WarRoomRig:
    return await start_rig(aiohttp_client, aiohttp_server, tmp_path)


def _buttons(message: dict[str, Any]) -> set[str]:
    found = message.get("blocks") or []
    parsed = json.loads(found) if isinstance(found, str) else found
    return {b["action_id"] for blk in parsed if blk["type"] == "actions" for b in blk["elements"]}


async def _told(rig: WarRoomRig, count: int) -> list[str] | None:
    told = [c.args["text"] for c in rig.slack.calls_to("chat.postEphemeral")]
    return told if len(told) >= count else None


async def _outcomes(rig: WarRoomRig, action: str, count: int) -> list[str] | None:
    audit = await rig.store.list_audit(kind="warroom")
    found = [e.detail["outcome"] for e in audit if e.detail.get("action") == action]
    return found if len(found) >= count else None


async def _async(value: T) -> T:
    return value


async def test_an_approver_opens_one_case_from_a_crisis_however_many_click(rig: WarRoomRig) -> None:
    await rig.raise_crisis("c1")
    [post] = rig.slack.calls_to("chat.postMessage")
    assert blocks.OPEN_CASE in _buttons(post.args) and blocks.SOLVE_CASE not in _buttons(post.args)
    statuses = await asyncio.gather(
        rig.click(blocks.OPEN_CASE, ALERT, user=APPROVER),
        rig.click(blocks.OPEN_CASE, ALERT, user=SECOND_APPROVER),
    )
    assert list(statuses) == [200, 200]
    assert sorted(await eventually(lambda: _outcomes(rig, "open_case", 2))) == ["already", "opened"]
    # Two openers at the same moment may both write a case; the engine closes the later one as
    # a duplicate (its own race rule), so one case is active.
    cases = [r.data for r in (await rig.store.records.query_records(RecordFilter("case"))).items]
    assert [c["status"] for c in cases if not c["reason"].startswith("duplicate")] == ["open"]
    state = await rig.warroom.approvals.log.get(ALERT)
    assert state is not None and state.case_id is not None
    case = await load_case(rig.store.records, state.case_id)
    assert case is not None and case.message_key == "twitter:c1" and case.priority == "urgent"
    assert case.status == "open" and case.language == "es" and "demandar" in case.text
    told = await eventually(lambda: _told(rig, 2))
    assert f"Opened case {case.id}." in told and f"Case {case.id} is already open." in told
    # The alert now names its case and offers "Solve" instead of "Open case".
    updated = await eventually(lambda: _async(rig.updates_mentioning(f"`{case.id}`")))
    assert _buttons(updated[-1]) >= {blocks.SOLVE_CASE} and blocks.OPEN_CASE not in _buttons(updated[-1])
    # The pipeline's own case for a later complaint of the same message finds this one.
    again = await CaseBook(rig.store.records).open_or_join(draft("c1", "@ana", at=utc_now()))
    assert again.case.id == case.id


async def test_solve_on_an_sla_notice_solves_the_case_and_tells_the_customer_once(rig: WarRoomRig) -> None:
    opened = await CaseBook(rig.store.records).open_or_join(
        draft("m1", "@kim", at=utc_now() - timedelta(days=30), priority="urgent", reply_target="m1")
    )
    case_id = opened.case.id
    watch = SlaWatch(rig.store.records, SlaSettings(), announce=warroom_announcer(rig.store))
    assert await watch.run_once() >= 1
    alert_id = f"sla:{case_id}:first_response:breach"
    await eventually(lambda: rig.posted(alert_id))
    [post] = [c for c in rig.slack.calls_to("chat.postMessage") if "SLA" in json.dumps(c.args)][:1]
    assert blocks.SOLVE_CASE in _buttons(post.args) and blocks.OPEN_CASE not in _buttons(post.args)
    for user in (APPROVER, SECOND_APPROVER):
        assert await rig.click(blocks.SOLVE_CASE, alert_id, user=user) == 200
    assert sorted(await eventually(lambda: _outcomes(rig, "solve_case", 2))) == ["already", "solved"]
    solved = await load_case(rig.store.records, case_id)
    assert solved is not None and solved.status == "solved"
    assert any(c.author == f"slack:{APPROVER}" for c in solved.comments if c.kind == "status")
    notice = await eventually(
        lambda: _async([i for i in rig.published if i.idempotency_key == f"case_solved:{case_id}:0"])
    )
    assert len(notice) == 1 and notice[0].target == "m1" and case_id in notice[0].text
    told = await eventually(lambda: _told(rig, 2))
    assert f"Case {case_id} is solved." in told and any("already solved" in t for t in told)


async def test_a_stranger_may_neither_open_nor_solve(rig: WarRoomRig) -> None:
    await rig.raise_crisis("c1")
    assert await rig.click(blocks.OPEN_CASE, ALERT, user=STRANGER) == 200
    assert await rig.click(blocks.SOLVE_CASE, ALERT, user=STRANGER) == 200
    audit = await eventually(lambda: _refused(rig, 2))
    assert sorted(audit) == ["open_case", "solve_case"]
    state = await rig.warroom.approvals.log.get(ALERT)
    assert state is not None and state.case_id is None
    assert await rig.store.count_records("case") == 0
    told = await eventually(lambda: _told(rig, 2))
    assert all("Only war-room approvers" in t for t in told)


async def _refused(rig: WarRoomRig, count: int) -> list[str] | None:
    audit = await rig.store.list_audit(kind="warroom")
    found = [e.detail["action"] for e in audit if e.detail["outcome"] == "refused"]
    return found if len(found) >= count else None
