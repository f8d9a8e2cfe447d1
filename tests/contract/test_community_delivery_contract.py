"""Platforms' failures become the typed delivery errors the publisher acts on (Discourse half).

429 -> RateLimited (wait), 5xx -> TemporaryFailure (back off), a connection dropped after the
request -> OutcomeUnknown (a person checks). The X and Meta half is in
`test_social_adapter_contract.py`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from adapters.base import Adapter, OutcomeUnknown, RateLimited, TemporaryFailure
from adapters.registry import ADAPTERS
from bot.core.models import OutboxItem
from tests.contract.community_cases import COMMUNITY_CASES
from tests.fakes.discourse_api import Failure, FakeDiscourse

ServerFactory = Callable[[web.Application], Awaitable[TestServer]]
NAMES = [name for name in ADAPTERS if name in COMMUNITY_CASES]


def build(name: str, **overrides: Any) -> Adapter:
    return ADAPTERS[name].from_config({**COMMUNITY_CASES[name]["config"], **overrides})


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
