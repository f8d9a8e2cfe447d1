"""`/centinela outage start|list|resolve` from Slack: approvers only, the notice queued once."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.core.alerts import Alert
from bot.core.records import RecordKind
from bot.store.records import RecordFilter
from bot.warroom import blocks
from tests.conftest import eventually
from tests.scenario.warroom_rig import APPROVER, STRANGER, ClientFactory, ServerFactory, WarRoomRig, start_rig


@pytest.fixture
async def rig(aiohttp_client: ClientFactory, aiohttp_server: ServerFactory, tmp_path: Path) -> WarRoomRig:
    return await start_rig(aiohttp_client, aiohttp_server, tmp_path)


async def _answers(rig: WarRoomRig, count: int) -> list[str] | None:
    texts = [r["text"] for r in rig.slack.responses]
    return texts if len(texts) >= count else None


async def test_an_approver_declares_and_resolves_an_outage_from_slack(rig: WarRoomRig) -> None:
    assert await rig.command('outage start "Fibra Madrid" region=Madrid', user=STRANGER) == 200
    [refused] = await eventually(lambda: _answers(rig, 1))
    assert "Only war-room approvers" in refused
    assert await rig.command("outage start “Fibra Madrid” region=Madrid", user=APPROVER) == 200
    answers = await eventually(lambda: _answers(rig, 2))
    assert "declared; notice queued" in answers[1]
    page = await rig.store.records.query_records(RecordFilter(RecordKind.INCIDENT, status="open"))
    [outage] = [r for r in page.items if r.data.get("declared")]
    assert outage.data["title"] == "Fibra Madrid" and outage.data["opened_by"] == f"slack:{APPROVER}"
    notices = [i for i in await rig.store.records.list_outbox(limit=100) if ":notice:" in i.idempotency_key]
    assert len(notices) == 6 and {i.account for i in notices} == {"official"}
    assert await rig.command("outage start nada region=", user=APPROVER) == 200
    assert await rig.command("outage list", user=APPROVER) == 200
    assert await rig.command(f"outage resolve {outage.id}", user=APPROVER) == 200
    answers = await eventually(lambda: _answers(rig, 5))
    assert any("needs a region or a topic" in a for a in answers)
    assert any(outage.id in a and "Open declared outages" in a for a in answers)
    assert any("resolved; resolution queued" in a for a in answers)
    resolved = await rig.store.get_record(RecordKind.INCIDENT, outage.id)
    assert resolved is not None and resolved.data["status"] == "resolved"


SPIKE = "spike:topic:no-internet|region:madrid:1"
SPIKE_DATA = {
    "kind": "spike",
    "topic": "topic:no-internet|region:madrid",
    "count": 40,
    "baseline_per_window": 2.0,
    "negative_share": 0.9,
    "status": "open",
}


def test_a_negative_spike_offers_to_declare_an_outage_until_it_is_one() -> None:
    def buttons(alert: dict[str, object]) -> set[str]:
        _, found = blocks.alert_message(SPIKE, Alert.model_validate(alert), None, None)
        return {b["action_id"] for blk in found if blk["type"] == "actions" for b in blk["elements"]}

    assert blocks.DECLARE_OUTAGE in buttons(SPIKE_DATA)
    assert blocks.DECLARE_OUTAGE not in buttons({**SPIKE_DATA, "outage_id": "O-1"})
    assert blocks.DECLARE_OUTAGE not in buttons({**SPIKE_DATA, "kind": "trend"})


async def _told(rig: WarRoomRig, count: int) -> list[str] | None:
    told = [c.args["text"] for c in rig.slack.calls_to("chat.postEphemeral")]
    return told if len(told) >= count else None


async def test_an_approver_declares_the_spikes_outage_from_its_alert_once(rig: WarRoomRig) -> None:
    await rig.store.put_record(RecordKind.ALERT, SPIKE, SPIKE_DATA)
    assert await rig.click(blocks.DECLARE_OUTAGE, SPIKE, user=STRANGER) == 200
    await eventually(lambda: _told(rig, 1))
    assert not [
        r
        for r in (await rig.store.records.query_records(RecordFilter(RecordKind.INCIDENT))).items
        if r.data.get("declared")
    ]  # a stranger declares nothing
    assert await rig.click(blocks.DECLARE_OUTAGE, SPIKE, user=APPROVER) == 200
    told = await eventually(lambda: _told(rig, 2))
    assert "declared; notice queued" in told[1]
    page = await rig.store.records.query_records(RecordFilter(RecordKind.INCIDENT, status="open"))
    [outage] = [r for r in page.items if r.data.get("declared")]
    assert outage.data["region"] == "madrid" and outage.data["topic"] == "no-internet"
    assert outage.data["match_keys"] == ["topic:no-internet", "region:madrid"]
    alert = await rig.store.get_record(RecordKind.ALERT, SPIKE)
    assert alert is not None and alert.data["outage_id"] == outage.id
    assert await rig.click(blocks.DECLARE_OUTAGE, SPIKE, user=APPROVER) == 200
    told = await eventually(lambda: _told(rig, 3))
    assert f"already declared as outage {outage.id}" in told[2]
    notices = [i for i in await rig.store.records.list_outbox(limit=100) if ":notice:" in i.idempotency_key]
    assert len(notices) == 6  # one notice per channel and language, not one per click
