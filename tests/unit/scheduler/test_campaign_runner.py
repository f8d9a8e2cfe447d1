"""Campaign posts on a controllable clock: right local times across DST, once, grace, holds."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from bot.core.records import RecordKind
from bot.pipeline.guards import set_kill_switch
from bot.store.base import Store
from tests.unit.scheduler.campaign_rig import CampaignRig, Clock, utc


async def test_three_steps_post_three_times_at_local_times_across_dst(store: Store, tmp_path: Path) -> None:
    rig = CampaignRig(store, tmp_path, Clock(utc("2026-03-28T07:00:00")))
    campaign = await rig.approved()
    assert (await rig.at("2026-03-28T07:59:00")).enqueued == []
    assert len((await rig.at("2026-03-28T08:00:00")).enqueued) == 1  # 09:00 CET
    assert (await rig.at("2026-03-29T06:59:00")).enqueued == []  # 08:59 CEST: not yet
    assert len((await rig.at("2026-03-29T07:00:00")).enqueued) == 1  # 09:00 CEST
    assert len((await rig.at("2026-03-30T07:00:30")).enqueued) == 1
    assert rig.published() == [
        ("2026-03-28T08:00:00Z", "Desde hoy, 50% de descuento."),
        ("2026-03-29T07:00:00Z", "Quedan dos días."),
        ("2026-03-30T07:00:00Z", "Último día."),
    ]
    record = await rig.book.get(campaign)
    assert record is not None and record.data["status"] == "done"
    assert [h["to"] for h in record.data["history"]] == ["draft", "approved", "running", "done"]
    assert all(item.account == "official" for item in rig.recording.sent)


async def test_a_restart_in_the_middle_posts_nothing_twice(store: Store, tmp_path: Path) -> None:
    rig = CampaignRig(store, tmp_path, Clock(utc("2026-03-28T07:00:00")))
    campaign = await rig.approved()
    await rig.at("2026-03-28T08:00:00")
    await rig.at("2026-03-29T07:00:00")
    rig.restart()  # a new process: nothing remembered but the records
    await rig.at("2026-03-29T07:05:00")
    # The record lost its memory of what was handled (a crash between enqueue and settle):
    record = await rig.book.get(campaign)
    assert record is not None
    data = {**record.data, "handled": {}}
    assert await store.records.cas_record(
        RecordKind.CAMPAIGN, campaign, expected_version=record.version, data=data
    )
    rig.restart()
    again = await rig.at("2026-03-29T07:10:00")
    assert again.enqueued == []  # the outbox keys were there already
    await rig.at("2026-03-30T07:00:00")
    assert [at for at, _ in rig.published()] == [
        "2026-03-28T08:00:00Z",
        "2026-03-29T07:00:00Z",
        "2026-03-30T07:00:00Z",
    ]


async def test_a_step_due_during_an_outage_posts_on_recovery_and_one_past_grace_is_reported(
    store: Store, tmp_path: Path
) -> None:
    rig = CampaignRig(store, tmp_path, Clock(utc("2026-03-28T07:00:00")))
    await rig.approved()
    await rig.at("2026-03-28T07:58:00")
    # The service is down from 07:58 to 08:02: step 1 (08:00Z) is found 2 minutes late.
    recovered = await rig.at("2026-03-28T08:02:00")
    assert len(recovered.enqueued) == 1 and recovered.skipped == []
    # Down again over step 2 (07:00Z on the 29th) for more than the grace of one hour.
    late = await rig.at("2026-03-29T08:00:01")
    assert late.enqueued == [] and late.skipped == ["campaign:dst-3:step:2:2026-03-29T07:00:00Z:twitter:es"]
    assert (await rig.at("2026-03-29T08:30:00")).skipped == []  # reported once
    await rig.at("2026-03-30T07:00:00")
    assert [at for at, _ in rig.published()] == ["2026-03-28T08:00:00Z", "2026-03-30T07:00:00Z"]
    skipped = await store.get_outbox(late.skipped[0])
    assert skipped is not None and skipped.status == "cancelled"
    assert skipped.last_error is not None and "past the grace of 1:00:00" in skipped.last_error
    audit = await store.list_audit(kind="campaign_step_skipped")
    assert [event.subject for event in audit] == late.skipped


async def test_the_kill_switch_and_a_pause_hold_posts(store: Store, tmp_path: Path) -> None:
    rig = CampaignRig(store, tmp_path, Clock(utc("2026-03-28T07:00:00")))
    campaign = await rig.approved()
    await set_kill_switch(store, on=True, actor="test", reason="crisis")
    held = await rig.at("2026-03-28T08:00:00")
    assert held.held and rig.published() == []
    await set_kill_switch(store, on=False, actor="test")
    assert len((await rig.at("2026-03-28T08:10:00")).enqueued) == 1
    assert (await rig.book.act(campaign, "pause", actor="ana")).ok
    assert (await rig.at("2026-03-29T07:00:00")).enqueued == []
    assert (await rig.book.act(campaign, "resume", actor="ana")).ok
    record = await rig.book.get(campaign)
    assert record is not None and record.data["status"] == "running"
    assert len((await rig.at("2026-03-29T07:30:00")).enqueued) == 1
    assert (await rig.book.act(campaign, "cancel", actor="ana")).ok
    assert (await rig.at("2026-03-30T07:00:00")).enqueued == []
    assert len(rig.published()) == 2


async def test_robot_posts_are_also_held_by_a_grace_of_zero(store: Store, tmp_path: Path) -> None:
    """With no grace, only a sweep at the very minute posts; anything later is reported."""
    rig = CampaignRig(store, tmp_path, Clock(utc("2026-03-28T07:00:00")), grace=timedelta(0))
    await rig.approved()
    assert len((await rig.at("2026-03-28T08:00:00")).enqueued) == 1
    assert len((await rig.at("2026-03-29T07:00:01")).skipped) == 1
