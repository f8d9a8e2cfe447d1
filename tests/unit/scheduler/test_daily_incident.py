"""The incident of the day: one draft per zone and day after its hour, from the top alert,
published once as a post of its own when a person approves it."""

from __future__ import annotations

from datetime import time

import pytest

from bot.config import ConfigError, load_settings
from bot.core.models import utc_now
from bot.core.posts import is_standalone_post
from bot.core.records import RecordKind
from bot.store.base import Store
from bot.warroom.approval import ApprovalService
from scheduler.daily_incident import DailyIncidentDrafter, topic_words
from tests.unit.scheduler.campaign_rig import Clock

ZONES = {"Europe/Madrid": "es", "America/Sao_Paulo": "pt"}


def test_topic_words() -> None:
    assert topic_words("topic:no-internet|region:madrid") == "no internet (madrid)"
    assert topic_words("hashtag:#OndanetMayo50") == "#OndanetMayo50"


def test_a_bad_zone_fails_at_start_up() -> None:
    with pytest.raises(ConfigError, match="Mars/Olympus"):
        load_settings(scheduler={"daily_zones": {"Mars/Olympus": "es"}})


async def test_one_draft_per_zone_and_day_then_one_post_once_approved(store: Store) -> None:
    await store.put_record(
        RecordKind.ALERT, "spike:small", {"kind": "spike", "topic": "topic:billing", "count": 12}
    )
    await store.put_record(
        RecordKind.ALERT,
        "spike:big",
        {"kind": "spike", "topic": "topic:no-internet|region:madrid", "count": 89},
    )
    await store.put_record(RecordKind.ALERT, "crisis:x", {"kind": "crisis", "count": 500})  # not a topic
    clock = Clock(utc_now())
    early = DailyIncidentDrafter(
        store, zones=ZONES, at=time(23, 59, 59, 999999), channel="twitter", clock=clock
    )
    assert await early.run() == []
    drafter = DailyIncidentDrafter(store, zones=ZONES, at=time(0, 0), channel="twitter", clock=clock)
    made = await drafter.run()
    assert len(made) == 2 and made[0].startswith("daily:Europe/Madrid:")
    assert await drafter.run() == []  # once a day
    approvals = ApprovalService(store)
    madrid = await approvals.get(made[0])
    assert madrid is not None and madrid.status == "pending" and madrid.source == "daily:spike:big"
    assert madrid.text.startswith("Hoy muchos nos habéis escrito sobre no internet (madrid).")
    brazil = await approvals.get(made[1])
    assert brazil is not None and brazil.text.startswith("Hoje muitos de vocês")
    assert (await approvals.approve(made[0], actor="jefa", via="cli")).ok
    assert not (await approvals.approve(made[0], actor="otro", via="cli")).ok
    items = [i for i in await store.records.list_outbox(limit=10) if i.message_key == made[0]]
    assert len(items) == 1 and items[0].account == "official" and is_standalone_post(items[0])
