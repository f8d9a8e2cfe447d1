"""War-room operations: escalation on simulated minutes, `/centinela`, the kill switch, rate limits."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from bot.core.models import OutboxItem
from bot.core.records import RecordKind
from bot.engine.outbox import Publisher
from bot.pipeline.guards import kill_switch_on
from bot.warroom import blocks
from bot.warroom.escalation import Escalator
from bot.warroom.state import new_state
from tests.conftest import eventually
from tests.fakes.slack_api import Failure
from tests.scenario.warroom_rig import (
    APPROVER,
    CRISIS_TEXT,
    ONCALL,
    SECONDARY,
    STRANGER,
    ClientFactory,
    ServerFactory,
    WarRoomRig,
    message,
    start_rig,
)


@pytest.fixture
async def rig(aiohttp_client: ClientFactory, aiohttp_server: ServerFactory, tmp_path: Path) -> WarRoomRig:
    return await start_rig(aiohttp_client, aiohttp_server, tmp_path)


async def test_escalation_fires_at_the_right_minutes_and_stops_on_ack(rig: WarRoomRig) -> None:
    state = await rig.raise_crisis("c1")
    opened = datetime.fromisoformat(state.opened_at)
    escalator = Escalator(rig.store, rig.warroom.settings, rig.warroom.approvals.log)  # the leader's job
    replica = Escalator(rig.store, rig.warroom.settings, rig.warroom.approvals.log)  # a second process

    def minute(n: float) -> datetime:
        return opened + timedelta(minutes=n)

    assert await escalator.tick(minute(9.9)) == 0
    assert await escalator.tick(minute(10)) == 1
    assert await replica.tick(minute(10.5)) == 0  # same step, other replica: no second page
    assert await escalator.tick(minute(19)) == 0
    assert list(await asyncio.gather(escalator.tick(minute(20)), replica.tick(minute(20)))) in (
        [1, 0],
        [0, 1],
    )
    pages = await eventually(lambda: _pages(rig, 2))
    assert pages[0].startswith(f"<@{ONCALL}>") and pages[1].startswith(f"<@{SECONDARY}>")
    posts = [c.args for c in rig.slack.calls_to("chat.postMessage") if "not acknowledged" in c.args["text"]]
    assert all(p["thread_ts"] == state.slack_ts for p in posts)

    assert await rig.click(blocks.ACKNOWLEDGE, state.id, user=STRANGER) == 200  # anyone may acknowledge
    await eventually(lambda: _acknowledged(rig, state.id))
    assert await escalator.tick(minute(30)) == 0
    assert await escalator.tick(minute(90)) == 0
    audit = [e.detail for e in await rig.store.list_audit(kind="warroom", limit=1000)]
    assert sorted(d["role"] for d in audit if d["action"] == "escalate") == ["on-call", "secondary"]
    assert any(d["action"] == "acknowledge" and d["outcome"] == "acknowledged" for d in audit)


async def test_unacknowledged_alert_finally_pages_the_channel(rig: WarRoomRig) -> None:
    state = await rig.raise_crisis("c1")
    opened = datetime.fromisoformat(state.opened_at)
    escalator = Escalator(rig.store, rig.warroom.settings, rig.warroom.approvals.log)
    assert await escalator.tick(opened + timedelta(minutes=45)) == 3  # late tick: catches up every step
    pages = await eventually(lambda: _pages(rig, 3))
    assert pages[2].startswith("<!channel>")


async def test_trends_are_never_escalated_spikes_are(rig: WarRoomRig) -> None:
    opened = datetime(2026, 5, 20, 10, 0, tzinfo=datetime.now().astimezone().tzinfo)
    for alert_id, kind in (("trend:campaign", "trend"), ("spike:outage", "spike")):
        await rig.store.put_record("alert", alert_id, {"kind": kind, "status": "open", "topic": alert_id})
        await rig.store.put_record(RecordKind.WARROOM, alert_id, new_state(alert_id, kind, opened))
    escalator = Escalator(rig.store, rig.warroom.settings, rig.warroom.approvals.log)
    assert await escalator.tick(opened + timedelta(minutes=11)) == 1
    audit = await rig.store.list_audit(kind="warroom")
    assert [e.subject for e in audit if e.detail["action"] == "escalate"] == ["spike:outage"]


async def test_pause_stops_automatic_replies_within_one_second(rig: WarRoomRig) -> None:
    loop = asyncio.get_running_loop()
    started = loop.time()
    assert await rig.command("pause storm in progress", user=STRANGER) == 200
    await eventually(lambda: kill_switch_on(rig.store), timeout=1.0)
    assert loop.time() - started < 1.0
    await rig.runtime.ingest([message("k1", "No tengo internet desde ayer, es un desastre")])
    held = await eventually(lambda: _robot_item(rig, "twitter:k1"))
    assert await rig.runtime.publisher.run_once() == 0
    assert held.status == "pending" and not [i for i in rig.published if i.account == "robot"]
    responses = await eventually(lambda: _responses(rig, 1))
    assert "paused" in responses[0]["text"]

    assert await rig.command("resume", user=STRANGER) == 200  # only approvers resume
    await eventually(lambda: _responses(rig, 2))
    assert await kill_switch_on(rig.store)
    assert await rig.command("resume", user=APPROVER) == 200
    await eventually(lambda: _not(kill_switch_on(rig.store)))
    await eventually(lambda: _published_robot(rig))


async def test_status_and_incidents(rig: WarRoomRig) -> None:
    await rig.raise_crisis("c1")
    await rig.store.put_record("incident", "spike:madrid", {"status": "open", "topic": "internet madrid"})
    assert await rig.command("status", user=STRANGER) == 200
    assert await rig.command("incidents", user=STRANGER) == 200
    assert await rig.command("what", user=STRANGER) == 200
    responses = await eventually(lambda: _responses(rig, 3))
    # The three answers may arrive in any order (each command is answered after its ack).
    [status] = [r for r in responses if "Queue depth" in r["text"]]
    [incidents] = [r for r in responses if "Open incidents" in r["text"]]
    [usage] = [r for r in responses if "Usage" in r["text"]]
    assert "Queue depth" in status["text"] and "Open alerts:* 1" in status["text"]
    assert "crisis:twitter:c1" in status["text"] and "crisis 1" in status["text"]
    assert "spike:madrid" in incidents["text"] and "internet madrid" in incidents["text"]
    assert "Usage" in usage["text"]


async def test_rate_limited_slack_call_is_retried_after_retry_after(rig: WarRoomRig) -> None:
    rig.slack.fail_next("chat.postMessage", Failure(error="ratelimited", status=429, retry_after=7))
    await rig.runtime.ingest([message("c1", CRISIS_TEXT)])
    waiting = await eventually(lambda: _rate_limited(rig, "warroom:crisis:twitter:c1"))
    [refused] = rig.slack.calls_to("chat.postMessage")
    assert waiting.attempts == 0  # a rate limit is not a failed attempt
    assert 6.5 <= (waiting.next_attempt_at - waiting.updated_at).total_seconds() <= 7.5
    # A publisher pass on a clock past Retry-After (and past the 60 s send lease the live
    # publisher holds, see bot/outbox.py) sends it again, once.
    later = waiting.next_attempt_at + timedelta(seconds=61)
    await Publisher(rig.store, rig.runtime.adapters, clock=lambda: later).run_once()
    state = await eventually(lambda: rig.posted("crisis:twitter:c1"))
    [_, retried] = rig.slack.calls_to("chat.postMessage")
    assert retried.args["channel"] == refused.args["channel"] and state.slack_ts


async def _rate_limited(rig: WarRoomRig, key: str) -> OutboxItem | None:
    item = await rig.store.get_outbox(key)
    return item if item is not None and item.last_error and "rate limit" in item.last_error else None


async def _pages(rig: WarRoomRig, count: int) -> list[str] | None:
    items = [
        i for i in await rig.store.list_outbox(limit=1000) if i.idempotency_key.startswith("escalation:")
    ]
    items.sort(key=lambda i: i.idempotency_key)
    return [i.text for i in items] if len(items) >= count else None


async def _acknowledged(rig: WarRoomRig, alert_id: str) -> bool:
    state = await rig.warroom.approvals.log.get(alert_id)
    return state is not None and state.status == "acknowledged"


async def _robot_item(rig: WarRoomRig, message_key: str) -> OutboxItem | None:
    items = await rig.store.list_outbox(limit=1000)
    return next((i for i in items if i.message_key == message_key and i.account == "robot"), None)


async def _published_robot(rig: WarRoomRig) -> bool:
    return any(i.account == "robot" for i in rig.published)


async def _responses(rig: WarRoomRig, count: int) -> list[dict[str, str]] | None:
    return list(rig.slack.responses) if len(rig.slack.responses) >= count else None


async def _not(check: object) -> bool:
    assert asyncio.iscoroutine(check)
    return not await check
