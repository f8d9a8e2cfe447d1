"""Every adapter in the registry honours the same contract at the edge.

- recorded payloads translate into canonical messages (or counted skips), never an exception;
- an unknown event shape never crashes the translation of the ones around it;
- routes verify the request before anything is stored: a bad signature is refused with a JSON
  error and leaves the intake untouched;
- every adapter reports a status line and delivers or refuses with typed errors only.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from adapters.base import Adapter, DeliveryError
from adapters.registry import ADAPTERS
from bot.core.models import InboundMessage, OutboxItem
from tests.contract.adapter_cases import CASES, AdapterCase
from tests.contract.test_social_adapter_contract import WITH_PAYLOADS

ClientFactory = Callable[[web.Application], Awaitable[TestClient[Any, Any]]]
# Only deliver: nothing comes in through the recording; Slack's inbound side is staff clicks on
# the war-room's bolt app (tests/scenario/test_warroom*.py), its delivery tests/unit/adapters/test_slack.py.
NOT_INBOUND = {"recording", "slack"}


def test_every_inbound_adapter_is_under_the_contract() -> None:
    """A case here, or recorded payloads for the recorded-payload half of the contract."""
    covered = set(CASES) | set(WITH_PAYLOADS)
    assert sorted(set(ADAPTERS) - NOT_INBOUND - covered) == []


@pytest.fixture(params=sorted(CASES))
def case(request: pytest.FixtureRequest) -> AdapterCase:
    return CASES[str(request.param)]


def build(case: AdapterCase) -> Adapter:
    return ADAPTERS[case.name].from_config(case.config)


def test_recorded_payloads_become_canonical_messages(case: AdapterCase) -> None:
    adapter = build(case)
    for payload, headers in case.messages:
        translation = adapter.translate(payload, headers)
        assert translation.messages, f"{case.name}: a recorded message payload gave no message"
        for message in translation.messages:
            assert isinstance(message, InboundMessage)
            assert message.id and message.created_at.tzinfo is not None
            # What goes further is canonical: a round trip through JSON gives the same model.
            assert InboundMessage.model_validate_json(message.model_dump_json()) == message


def test_non_messages_are_skipped_and_counted(case: AdapterCase) -> None:
    adapter = build(case)
    for payload, headers in case.skipped:
        translation = adapter.translate(payload, headers)
        assert translation.messages == [] and sum(translation.skipped.values()) >= 1


@pytest.mark.parametrize("name", sorted(n for n, c in CASES.items() if c.route is not None))
async def test_a_bad_signature_is_refused_and_nothing_is_stored(
    name: str, aiohttp_client: ClientFactory
) -> None:
    case = CASES[name]
    assert case.route is not None and case.sign is not None
    adapter = build(case)
    received: list[InboundMessage] = []

    async def sink(messages: Sequence[InboundMessage]) -> list[bool]:
        received.extend(messages)
        return [True] * len(messages)

    app = web.Application()
    for route in adapter.routes(sink):
        app.router.add_route(route.method, route.path, route.handler)
    client = await aiohttp_client(app)
    payload, recorded_headers = case.messages[0]
    body = case.body_of(payload)
    good = {**case.sign(body), **recorded_headers}
    forged = {**good, **{k: "sha256=" + "0" * 64 for k in good if "signature" in k.lower()}}
    async with client.post(case.route, data=body, headers=forged) as response:
        assert response.status in (401, 403)
        assert "error" in await response.json()
    assert received == []
    async with client.post(case.route, data=body, headers=good) as response:
        assert response.status < 300
    assert received, "the correctly signed request reached the intake"


async def test_status_and_typed_delivery_errors(case: AdapterCase) -> None:
    adapter = build(case)
    assert adapter.status()
    item = OutboxItem(idempotency_key="k", account="robot", channel="twitter", text="hola")
    if not adapter.channels:
        with pytest.raises(DeliveryError):
            await adapter.send(item)
    await adapter.close()
