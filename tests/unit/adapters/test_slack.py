"""The Slack adapter against the fake Slack: what each Slack answer means to the publisher."""

from __future__ import annotations

import socket
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from pydantic import SecretStr

from adapters.base import OutcomeUnknown, PermanentFailure, RateLimited, TemporaryFailure
from adapters.slack.adapter import SlackAdapter, SlackConfig, SlackView
from bot.core.models import OutboxItem
from tests.fakes.slack_api import BOT_TOKEN, Failure, FakeSlack

ServerFactory = Callable[[web.Application], Awaitable[TestServer]]


def item(op: str = "post", **payload: Any) -> OutboxItem:
    return OutboxItem(
        idempotency_key=f"k-{op}",
        account="employee",
        channel="slack",
        text="hello",
        payload={"op": op, **payload},
    )


def config(base_url: str) -> SlackConfig:
    return SlackConfig(token=SecretStr(BOT_TOKEN), channel="C0WARROOM", base_url=base_url)


@pytest.fixture
async def fake(aiohttp_server: ServerFactory) -> tuple[FakeSlack, str]:
    slack = FakeSlack()
    server = await aiohttp_server(slack.app())
    return slack, str(server.make_url("/api/"))


async def test_post_returns_channel_and_ts(fake: tuple[FakeSlack, str]) -> None:
    slack, url = fake
    receipt = await SlackAdapter(config(url)).send(item())
    assert receipt["channel"] == "C0WARROOM" and receipt["ts"]
    [call] = slack.calls_to("chat.postMessage")
    assert call.args["text"] == "hello"


@pytest.mark.parametrize(
    ("failure", "expected"),
    [
        (Failure("ratelimited", 429, retry_after=7), RateLimited),
        (Failure("service_unavailable", 503), TemporaryFailure),
        (Failure("internal_error", 200), TemporaryFailure),
        (Failure("channel_not_found", 200), PermanentFailure),
        (Failure("invalid_auth", 200), PermanentFailure),
        (Failure(drop=True), OutcomeUnknown),
    ],
)
async def test_slack_answers_map_to_delivery_errors(
    fake: tuple[FakeSlack, str], failure: Failure, expected: type[Exception]
) -> None:
    slack, url = fake
    slack.fail_next("chat.postMessage", failure)
    with pytest.raises(expected) as raised:
        await SlackAdapter(config(url)).send(item())
    if isinstance(raised.value, RateLimited):
        assert raised.value.retry_after == 7
    assert len(slack.calls_to("chat.postMessage")) == 1  # the SDK itself never retries


async def test_a_dropped_update_is_safe_to_retry(fake: tuple[FakeSlack, str]) -> None:
    slack, url = fake
    posted = await SlackAdapter(config(url)).send(item())
    view = SlackView(text="v2", channel=str(posted["channel"]), ts=str(posted["ts"]))

    async def render(_payload: dict[str, Any]) -> SlackView:
        return view

    adapter = SlackAdapter(config(url), render=render)
    slack.fail_next("chat.update", Failure(drop=True))
    with pytest.raises(TemporaryFailure):
        await adapter.send(item("update", alert_id="a1"))
    assert (await adapter.send(item("update", alert_id="a1")))["updated"] is True
    assert slack.messages[(view.channel, view.ts)]["text"] == "v2"  # type: ignore[index]


async def test_update_before_the_post_is_skipped(fake: tuple[FakeSlack, str]) -> None:
    slack, url = fake

    async def render(_payload: dict[str, Any]) -> SlackView:
        return SlackView(text="not yet")

    receipt = await SlackAdapter(config(url), render=render).send(item("update", alert_id="a1"))
    assert "skipped" in receipt and slack.calls == []


async def test_connection_refused_is_temporary() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(TemporaryFailure):
        await SlackAdapter(config(f"http://127.0.0.1:{port}/api/")).send(item())


async def test_rendered_post_reports_where_it_went(fake: tuple[FakeSlack, str]) -> None:
    slack, url = fake
    seen: list[tuple[dict[str, Any], SlackView, dict[str, Any]]] = []

    async def render(payload: dict[str, Any]) -> SlackView:
        return SlackView(
            text="alert", blocks=[{"type": "section", "text": {"type": "mrkdwn", "text": "x"}}], version=3
        )

    async def posted(payload: dict[str, Any], view: SlackView, receipt: dict[str, Any]) -> None:
        seen.append((payload, view, receipt))

    receipt = await SlackAdapter(config(url), render=render, on_posted=posted).send(item(alert_id="a1"))
    [(payload, view, got)] = seen
    assert payload["alert_id"] == "a1" and view.version == 3 and got == receipt
    [call] = slack.calls_to("chat.postMessage")
    assert call.args["text"] == "alert" and call.args["blocks"][0]["type"] == "section"
