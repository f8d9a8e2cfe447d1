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
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from adapters.base import Adapter, OutcomeUnknown, RateLimited, TemporaryFailure
from adapters.registry import ADAPTERS
from bot.core.models import InboundMessage, OutboxItem
from tests.contract.community_cases import COMMUNITY_CASES
from tests.fakes.discourse_api import Failure, FakeDiscourse

ClientFactory = Callable[[web.Application], Awaitable[TestClient[Any, Any]]]
ServerFactory = Callable[[web.Application], Awaitable[TestServer]]


NAMES = [name for name in ADAPTERS if name in COMMUNITY_CASES]


def build(name: str, **overrides: Any) -> Adapter:
    return ADAPTERS[name].from_config({**COMMUNITY_CASES[name]["config"], **overrides})


@pytest.mark.parametrize("name", NAMES)
def test_recorded_messages_become_canonical_messages(name: str) -> None:
    adapter = build(name)
    for payload, headers in COMMUNITY_CASES[name]["messages"]:
        out = adapter.translate(payload, headers)
        assert out.messages, f"{payload!r:.80} gave no message"
        for message in out.messages:
            assert isinstance(message, InboundMessage) and message.channel in adapter.channels
            assert InboundMessage.model_validate_json(message.model_dump_json()) == message


@pytest.mark.parametrize("name", NAMES)
def test_non_messages_and_unknown_events_are_counted_skips(name: str) -> None:
    adapter = build(name)
    for payload, headers in COMMUNITY_CASES[name]["skipped"]:
        out = adapter.translate(payload, headers)
        assert out.messages == [] and sum(out.skipped.values()) == 1, f"{payload!r:.80}"


@pytest.mark.parametrize("name", [n for n in NAMES if COMMUNITY_CASES[n].get("route")])
async def test_routes_refuse_a_bad_signature_before_the_intake(
    name: str, aiohttp_client: ClientFactory
) -> None:
    case = COMMUNITY_CASES[name]
    adapter = build(name)
    reached: list[InboundMessage] = []

    async def sink(messages: Sequence[InboundMessage]) -> list[bool]:
        reached.extend(messages)
        return [True] * len(messages)

    app = web.Application()
    for route in adapter.routes(sink):
        app.router.add_route(route.method, route.path, route.handler)
    client = await aiohttp_client(app)
    payload, _ = case["messages"][1]
    body = json.dumps(payload).encode()
    good: dict[str, str] = case["sign"](body)
    forged = {**good, **{k: "sha256=" + "0" * 64 for k in good if "signature" in k.lower()}}
    async with client.post(case["route"], data=body, headers=forged) as response:
        assert response.status in (401, 403) and "error" in await response.json()
    assert reached == []
    async with client.post(case["route"], data=body, headers=good) as response:
        assert response.status < 300
    assert reached, "the correctly signed request reached the intake"


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
