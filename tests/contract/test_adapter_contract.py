"""What every platform adapter in the registry promises, checked on its recorded payloads.

Parametrised over the registry entries that have recorded payloads in `tests/data/`: each
payload translates to canonical messages on the adapter's channels or to counted skips, never
an exception; an unknown event is a skip; an adapter with routes refuses a bad signature with a
4xx JSON body before anything reaches the intake; a platform answering 429, 5xx or dropping the
connection becomes the typed delivery error the publisher acts on.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from adapters.base import Adapter, OutcomeUnknown, RateLimited, TemporaryFailure
from adapters.registry import ADAPTERS
from bot.core.models import InboundMessage, OutboxItem
from tests.fakes.discourse_api import API_KEY, OFFICIAL, ROBOT, WEBHOOK_SECRET, Failure, FakeDiscourse
from tests.paths import TEST_DATA

ClientFactory = Callable[[web.Application], Awaitable[TestClient[Any, Any]]]
ServerFactory = Callable[[web.Application], Awaitable[TestServer]]


@dataclass(frozen=True)
class Recorded:
    """An adapter's config for tests and what the platform delivered, as (payload, headers)."""

    config: dict[str, Any]
    payloads: list[tuple[Any, dict[str, str]]]
    unknown: tuple[Any, dict[str, str]]


def _discourse() -> Recorded:
    lines = [
        json.loads(line)
        for line in (TEST_DATA / "webhooks/discourse/deliveries.jsonl").read_text().splitlines()
    ]
    return Recorded(
        config={
            "base_url": "http://discourse.invalid",
            "webhook_secret": WEBHOOK_SECRET,
            "api_key": API_KEY,
            "robot_username": ROBOT,
            "official_username": OFFICIAL,
        },
        payloads=[(line["body"], line["headers"]) for line in lines],
        unknown=({"badge": {"id": 1}}, {"X-Discourse-Event": "user_badge_granted"}),
    )


def _email() -> Recorded:
    return Recorded(
        config={
            "address": "soporte@aurora.example",
            "imap_host": "127.0.0.1",
            "imap_user": "u",
            "imap_password": "p",
            "smtp_host": "127.0.0.1",
        },
        # The replay form: the raw mail as a string (undecodable bytes as surrogate escapes).
        payloads=[
            ({"raw": p.read_bytes().decode("utf-8", "surrogateescape")}, {})
            for p in sorted((TEST_DATA / "email").glob("*.eml"))
        ],
        unknown=({"something": "else"}, {}),
    )


RECORDED: dict[str, Callable[[], Recorded]] = {"discourse": _discourse, "email": _email}
NAMES = [name for name in ADAPTERS if name in RECORDED]


def build(name: str, **overrides: Any) -> Adapter:
    return ADAPTERS[name].from_config({**RECORDED[name]().config, **overrides})


@pytest.mark.parametrize("name", NAMES)
def test_recorded_payloads_become_messages_or_counted_skips(name: str) -> None:
    adapter = build(name)
    recorded = RECORDED[name]()
    messages = skipped = 0
    for payload, headers in recorded.payloads:
        out = adapter.translate(payload, headers)
        assert all(isinstance(m, InboundMessage) and m.channel in adapter.channels for m in out.messages)
        assert out.messages or out.skipped, f"{payload!r:.80} was neither a message nor a skip"
        messages += len(out.messages)
        skipped += sum(out.skipped.values())
    assert messages > 0 and skipped > 0  # the recordings hold both kinds


@pytest.mark.parametrize("name", NAMES)
def test_unknown_events_are_skipped(name: str) -> None:
    payload, headers = RECORDED[name]().unknown
    out = build(name).translate(payload, headers)
    assert out.messages == [] and sum(out.skipped.values()) == 1


@pytest.mark.parametrize("name", NAMES)
async def test_routes_refuse_a_bad_signature_before_the_intake(
    name: str, aiohttp_client: ClientFactory
) -> None:
    adapter = build(name)
    reached: list[Sequence[InboundMessage]] = []

    async def sink(messages: Sequence[InboundMessage]) -> list[bool]:
        reached.append(messages)
        return [True] * len(messages)

    routes = adapter.routes(sink)
    if not routes:
        return  # a polling adapter: nothing is mounted, nothing to forge
    app = web.Application()
    for route in routes:
        app.router.add_route(route.method, route.path, route.handler)
    client = await aiohttp_client(app)
    payload, headers = RECORDED[name]().payloads[0]
    forged = {
        **headers,
        "X-Discourse-Event-Signature": "sha256=" + "0" * 64,
        "X-Hub-Signature-256": "sha256=00",
    }
    for route in routes:
        if route.method != "POST":
            continue
        async with client.post(route.path, data=json.dumps(payload).encode(), headers=forged) as response:
            assert 400 <= response.status < 500 and "error" in await response.json()
    assert reached == []


HTTP_FAKES = {"discourse"}  # adapters whose platform speaks HTTP with a fake in tests/fakes


@pytest.mark.parametrize("name", sorted(HTTP_FAKES & set(NAMES)))
@pytest.mark.parametrize(
    ("failure", "error"),
    [
        (Failure(status=429, retry_after=5), RateLimited),
        (Failure(status=503), TemporaryFailure),
        (Failure(status=0, drop=True), OutcomeUnknown),
    ],
)
async def test_platform_failures_are_typed_delivery_errors(
    name: str, failure: Failure, error: type[Exception], aiohttp_server: ServerFactory
) -> None:
    fake = FakeDiscourse()
    fake.add_topic(41, "Router", ("ana", "¿Cómo reinicio el router?"))
    server = await aiohttp_server(fake.app())
    adapter = build(name, base_url=str(server.make_url("")), skip_if_answered=False)
    fake.fail_next(failure)
    item = OutboxItem(
        idempotency_key="k", account="robot", channel="forum", target="t41-p1",
        text="Respuesta automática: desenchúfalo 30 segundos.",
    )  # fmt: skip
    with pytest.raises(error):
        await adapter.send(item)
    await adapter.close()
