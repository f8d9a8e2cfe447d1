"""The adapter contract, over every registry entry with recorded payloads in tests/data/webhooks/.

(The social adapters' half; `test_adapter_contract.py` of the Discourse/e-mail branch is the
same contract over its own recordings: the two can become one file when both are merged.)

- every recorded payload translates into canonical messages or counted skips, never an error;
- payloads of unknown shape or type are skipped (counted), never raised;
- where the adapter mounts routes, an unsigned or wrongly signed delivery is refused with a 4xx
  JSON body and nothing reaches the intake;
- delivery failures are typed: 429 → RateLimited, 5xx → TemporaryFailure, a connection dropped
  after the request → OutcomeUnknown (the publisher's three different answers).
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from adapters.base import Adapter, OutcomeUnknown, RateLimited, TemporaryFailure
from adapters.meta.adapter import MetaAdapter
from adapters.meta.config import MetaConfig
from adapters.registry import ADAPTERS
from adapters.x.adapter import XAdapter
from adapters.x.config import XConfig
from bot.cli.replay_adapter import adapter_for_replay
from bot.config import load_settings
from bot.core.channels import window_payload
from bot.core.models import InboundMessage, OutboxItem
from tests.fakes import meta_graph as meta
from tests.fakes import x_api
from tests.paths import TEST_DATA

RECORDED = TEST_DATA / "webhooks"
FOLDERS = {"meta": ("facebook", "instagram", "whatsapp")}
# The Discourse and e-mail recordings are wrapped with their headers: their half of the contract
# is `test_adapter_contract.py` with `community_cases.py`.
SOCIAL = {"x", "meta", "facebook", "instagram", "whatsapp"}
WITH_PAYLOADS = [
    n for n in ADAPTERS if n in SOCIAL and any((RECORDED / f).is_dir() for f in FOLDERS.get(n, (n,)))
]
ServerFactory = Callable[[web.Application], Awaitable[TestServer]]
UNKNOWN: list[Any] = [
    None,
    "text",
    [],
    42,
    {},
    {"object": "nonsense", "entry": [{"id": "1", "changes": [{"field": "x", "value": {}}]}]},
    {"data": "not a list"},
    {"data": [{"no_id": True}, "string"]},
    {"entry": "not a list", "object": "page"},
]


def replay_adapter(name: str) -> Adapter:
    """Built as `replay --adapter` builds it: no credentials needed to translate."""
    return adapter_for_replay(load_settings(), name)


def payload_lines(name: str) -> list[Any]:
    lines = []
    for folder in FOLDERS.get(name, (name,)):
        for path in sorted((RECORDED / folder).glob("*.jsonl")):
            lines += [
                json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()
            ]
    return lines


def test_every_platform_adapter_has_recorded_payloads() -> None:
    assert {"x", "facebook", "instagram", "whatsapp", "meta"} <= set(WITH_PAYLOADS)


@pytest.mark.parametrize("name", WITH_PAYLOADS)
def test_recorded_payloads_give_messages_or_counted_skips(name: str) -> None:
    adapter = replay_adapter(name)
    messages: list[InboundMessage] = []
    for payload in payload_lines(name):
        translation = adapter.translate(payload, {})
        assert translation.messages or translation.skipped, f"{name}: {str(payload)[:80]} vanished"
        assert all(isinstance(count, int) and count > 0 for count in translation.skipped.values())
        messages += translation.messages
    assert messages
    for message in messages:
        assert message.channel in adapter.channels  # it can answer what it brings in
        assert message.created_at.tzinfo is not None and message.raw is not None


@pytest.mark.parametrize("name", WITH_PAYLOADS)
@pytest.mark.parametrize("payload", UNKNOWN, ids=lambda p: type(p).__name__ + str(p)[:20])
def test_unknown_payloads_are_skipped_not_raised(name: str, payload: Any) -> None:
    translation = replay_adapter(name).translate(payload, {})
    assert translation.messages == [] and sum(translation.skipped.values()) >= 1


POLLING = {"x"}  # polls its platform: nothing is pushed to it, so nothing to sign


@pytest.mark.parametrize("name", [n for n in WITH_PAYLOADS if n not in POLLING])
async def test_unsigned_deliveries_are_refused_and_nothing_ingested(name: str) -> None:
    adapter = replay_adapter(name)
    ingested: list[Sequence[InboundMessage]] = []

    async def sink(messages: Sequence[InboundMessage]) -> list[bool]:
        ingested.append(messages)
        return [True] * len(messages)

    routes = [r for r in adapter.routes(sink) if r.method == "POST"]
    assert routes, f"{name} receives webhooks, so it mounts a POST route"
    app = web.Application()
    for route in routes:
        app.router.add_route(route.method, route.path, route.handler)
    async with TestClient(TestServer(app)) as client:
        for payload in payload_lines(name)[:3]:
            body = json.dumps(payload).encode()
            for headers in (
                {},
                {"X-Hub-Signature-256": "sha256=" + "0" * 64},
                {"X-Hub-Signature-256": "md5=1"},
            ):
                async with client.post(routes[0].path, data=body, headers=headers) as response:
                    assert 400 <= response.status < 500
                    assert "error" in await response.json()
    assert ingested == []


# --- typed delivery errors against each platform's fake ------------------------------------------


def _item(channel: str, **fields: Any) -> OutboxItem:
    return OutboxItem(
        idempotency_key=f"answer:{channel}:t1:robot",
        account="robot",
        channel=channel,
        target=fields.pop("target", "777_1001"),
        recipient=fields.pop("recipient", "34600111222"),
        text="[Respuesta automática] Reinicia el router.",
        payload=window_payload(channel, datetime.now(UTC)),
        **fields,
    )


async def _x(server: TestServer, fake: x_api.FakeX) -> tuple[Adapter, OutboxItem, Callable[[str], None]]:
    config = XConfig.model_validate(
        {
            "bearer_token": x_api.APP_BEARER,
            "robot": {"user_id": x_api.ROBOT_ID, "handle": "@AuroraTel_Ayuda", "token": x_api.ROBOT_TOKEN},
            "base_url": str(server.make_url("")),
            "timeout_s": 2,
        }
    )

    def fail(kind: str) -> None:
        faults = {
            "429": x_api.Fault(429, reset_in_s=30),
            "5xx": x_api.Fault(503),
            "drop": x_api.Fault(drop=True),
        }
        fake.fail_next("tweets", faults[kind])

    return XAdapter(config), _item("twitter", target="1800000000000000001"), fail


def _meta(channel: str) -> Any:
    async def build(
        server: TestServer, fake: meta.FakeGraph
    ) -> tuple[Adapter, OutboxItem, Callable[[str], None]]:
        config = MetaConfig.model_validate(
            {
                "app_secret": meta.APP_SECRET,
                "verify_token": meta.VERIFY_TOKEN,
                "page_id": meta.PAGE_ID,
                "page_token": meta.PAGE_TOKEN,
                "whatsapp_phone_number_id": meta.PHONE_ID,
                "whatsapp_token": meta.WA_TOKEN,
                "base_url": str(server.make_url("")),
                "timeout_s": 2,
            }
        )

        def fail(kind: str) -> None:
            faults = {
                "429": meta.GraphFault(code=130429 if channel == "whatsapp" else 4, regain_minutes=2),
                "5xx": meta.GraphFault(status=503, code=2, message="Service temporarily unavailable"),
                "drop": meta.GraphFault(drop=True),
            }
            fake.fail_next(faults[kind])

        return MetaAdapter(config), _item(channel), fail

    return build


PLATFORMS: dict[str, tuple[Callable[[], Any], Any]] = {
    "x": (x_api.FakeX, _x),
    "facebook": (meta.FakeGraph, _meta("facebook")),
    "messenger": (meta.FakeGraph, _meta("messenger")),
    "instagram": (meta.FakeGraph, _meta("instagram")),
    "whatsapp": (meta.FakeGraph, _meta("whatsapp")),
}


@pytest.mark.parametrize("platform", sorted(PLATFORMS))
async def test_delivery_errors_are_typed(platform: str, aiohttp_server: ServerFactory) -> None:
    make_fake, build = PLATFORMS[platform]
    fake = make_fake()
    server = await aiohttp_server(fake.app())
    adapter, item, fail = await build(server, fake)
    try:
        receipt = await adapter.send(item)
        assert receipt["id"]
        fail("429")
        with pytest.raises(RateLimited) as limited:
            await adapter.send(item)
        assert limited.value.retry_after >= 1
        assert " rate limited until " in adapter.status()  # /readyz says so
        fail("5xx")
        with pytest.raises(TemporaryFailure):
            await adapter.send(item)
        fail("drop")
        with pytest.raises(OutcomeUnknown):
            await adapter.send(item)
        assert adapter.stats.counts["sent"] == 1 and adapter.stats.counts["rate_limited"] == 1
    finally:
        await adapter.close()


async def test_connection_refused_is_temporary(tmp_path: Path) -> None:
    adapter = XAdapter(
        XConfig.model_validate(
            {
                "bearer_token": "b",
                "robot": {"user_id": "1", "handle": "@r", "token": "t"},
                "base_url": "http://127.0.0.1:9",
            }
        )
    )
    try:
        with pytest.raises(TemporaryFailure):
            await adapter.send(_item("twitter", target="1"))
    finally:
        await adapter.close()
