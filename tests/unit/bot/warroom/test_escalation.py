"""Escalation policy: who is paged when, from the rotation; approvers from a user group."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

from aiohttp import web
from aiohttp.test_utils import TestServer
from slack_sdk.web.async_client import AsyncWebClient

from bot.config import SlackSettings
from bot.warroom.approvers import Approvers
from bot.warroom.escalation import escalation_steps
from tests.fakes.slack_api import BOT_TOKEN, Failure, FakeSlack

START = datetime(2026, 1, 5, 9, tzinfo=UTC)


def settings(rotation: list[str], minutes: list[float] | None = None) -> SlackSettings:
    return SlackSettings(
        oncall_rotation=rotation,
        oncall_rotation_start=START,
        oncall_shift_days=7,
        escalation_minutes=minutes or [5, 15, 30],
    )


def test_rotation_moves_weekly_and_secondary_is_next() -> None:
    rota = settings(["U1", "U2", "U3"])
    week0 = escalation_steps(rota, START + timedelta(days=1))
    assert [(s.after_min, s.role, s.mention) for s in week0] == [
        (5, "on-call", "<@U1>"),
        (15, "secondary", "<@U2>"),
        (30, "channel", "<!channel>"),
    ]
    week2 = escalation_steps(rota, START + timedelta(days=15))
    assert [s.mention for s in week2] == ["<@U3>", "<@U1>", "<!channel>"]


def test_without_a_rotation_the_channel_is_paged_first() -> None:
    assert [(s.after_min, s.mention) for s in escalation_steps(settings([]), START)] == [(5, "<!channel>")]
    assert [s.role for s in escalation_steps(settings(["U1"]), START)] == ["on-call", "channel"]


async def test_group_members_are_cached_and_failure_refuses(
    aiohttp_server: Callable[[web.Application], Awaitable[TestServer]],
) -> None:
    slack = FakeSlack(usergroups={"S1": ["U9"]})
    server = await aiohttp_server(slack.app())
    client = AsyncWebClient(token=BOT_TOKEN, base_url=str(server.make_url("/api/")), retry_handlers=[])
    now = [0.0]
    approvers = Approvers(["U1"], usergroup="S1", client=client, cache_s=60, clock=lambda: now[0])
    assert await approvers.allowed("U1") and slack.calls == []
    assert await approvers.allowed("U9") and not await approvers.allowed("U8")
    assert len(slack.calls_to("usergroups.users.list")) == 1
    now[0] = 61
    slack.fail_next("usergroups.users.list", Failure("ratelimited", 429, retry_after=1))
    assert not await approvers.allowed("U9")  # cannot tell: refuse
    assert await approvers.allowed("U9")  # asked again, and cached
    assert len(slack.calls_to("usergroups.users.list")) == 3
