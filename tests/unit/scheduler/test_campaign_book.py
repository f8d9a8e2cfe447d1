"""Campaign records: defined as drafts, approved as one content, moved only where allowed."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from bot.store.base import Store
from scheduler.campaign_book import CampaignBook
from scheduler.folder_watch import CampaignFolder
from tests.paths import SAMPLES
from tests.unit.scheduler.campaign_rig import DST_CAMPAIGN

SAMPLE = (SAMPLES / "campaigns" / "mayo-50.yaml").read_text(encoding="utf-8")


async def test_lifecycle_moves_only_where_allowed(store: Store) -> None:
    book = CampaignBook(store)
    defined = await book.define(SAMPLE, actor="marta", source="api")
    assert defined.ok and defined.changed and defined.record is not None
    assert defined.record.data["status"] == "draft"
    assert not (await book.act("mayo-50", "pause", actor="marta")).ok  # a draft cannot be paused
    approved = await book.act("mayo-50", "approve", actor="jefa")
    assert approved.ok and approved.record is not None
    assert approved.record.data["approved_by"] == "jefa"
    twice = await book.act("mayo-50", "approve", actor="otro")
    assert not twice.ok and twice.status_code == 409 and "is approved" in twice.message
    assert (await book.act("mayo-50", "pause", actor="marta")).ok
    resumed = await book.act("mayo-50", "resume", actor="marta")
    assert resumed.record is not None and resumed.record.data["status"] == "approved"
    assert (await book.act("mayo-50", "cancel", actor="marta")).ok
    again = await book.define(
        SAMPLE.replace("Último día con", "Hoy, último día con"), actor="marta", source="api"
    )
    assert not again.ok and again.status_code == 409 and "cancelled" in again.message
    missing = await book.act("nope", "approve", actor="jefa")
    assert not missing.ok and missing.status_code == 404
    audit = await store.list_audit(kind="campaign")
    assert [e.detail["action"] for e in reversed(audit)] == [
        "defined",
        "approve",
        "pause",
        "resume",
        "cancel",
    ]


async def test_editing_an_approved_campaign_sends_it_back_to_draft(store: Store) -> None:
    book = CampaignBook(store)
    await book.define(SAMPLE, actor="marta", source="api")
    await book.act("mayo-50", "approve", actor="jefa")
    same = await book.define(SAMPLE, actor="marta", source="api")
    assert (
        same.ok and not same.changed and same.record is not None and same.record.data["status"] == "approved"
    )
    edited = await book.define(SAMPLE.replace("5 days left", "Five days left"), actor="marta", source="api")
    assert edited.ok and edited.record is not None
    assert edited.record.data["status"] == "draft" and edited.record.data["approved_by"] is None


async def test_a_bad_or_segment_campaign_is_refused_at_definition(store: Store) -> None:
    book = CampaignBook(store)
    too_long = await book.define(SAMPLE.replace("Último día con", "x" * 300), actor="marta", source="api")
    assert not too_long.ok and too_long.status_code == 400 and too_long.plan is not None
    assert [(e.step, e.channel, e.lang) for e in too_long.plan.errors] == [(3, "twitter", "es")]
    segment = DST_CAMPAIGN.replace(
        "channels: [twitter]", "channels: [whatsapp]\nsegment: {regions: [Madrid]}"
    )
    refused = await book.define(segment, actor="marta", source="api")
    assert not refused.ok and "none is configured" in refused.message
    assert (await book.query(status=None, cursor=None, limit=10)).items == []


async def test_the_folder_defines_each_file_and_reports_a_bad_one_once(
    store: Store, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    (tmp_path / "mayo-50.yaml").write_text(SAMPLE, encoding="utf-8")
    (tmp_path / "broken.yaml").write_text("id: broken\nname: [", encoding="utf-8")
    folder = CampaignFolder(CampaignBook(store), tmp_path)
    with caplog.at_level(logging.WARNING, logger="scheduler.folder_watch"):
        assert await folder.scan() == 1
        assert await folder.scan() == 0  # unchanged: nothing written, nothing logged again
    assert [r.getMessage().split(":")[0] for r in caplog.records] == [
        f"campaign file {tmp_path / 'broken.yaml'} not defined"
    ]
    listed = await CampaignBook(store).query(status="draft", cursor=None, limit=10)
    assert [r.id for r in listed.items] == ["mayo-50"]
