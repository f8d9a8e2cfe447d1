"""Translation details of the X and Meta adapters that the scenarios do not pin down."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from adapters.base import PermanentFailure, RateLimited, TemporaryFailure, WindowExpired
from adapters.http import HttpAnswer
from adapters.meta.graph import GraphClient
from adapters.meta.signature import sign, valid
from adapters.meta.translate import translate_body
from adapters.meta.whatsapp import message_text
from adapters.x.translate import snowflake_time, translate_mentions


def test_snowflake_time_is_the_tweets_creation_time() -> None:
    # 1578516295611748353 is tweepy's recorded mention, posted 2022-10-07 22:43:xx UTC.
    when = snowflake_time("1578516295611748353")
    assert when is not None and when.date() == datetime(2022, 10, 7, tzinfo=UTC).date()
    assert snowflake_time("12") is None and snowflake_time("abc") is None


def test_mentions_page_fields_and_own_accounts() -> None:
    page = {
        "data": [
            {
                "id": "1795012345678901250",
                "text": "@Brand hola",
                "author_id": "1",
                "lang": "es",
                "created_at": "2026-05-20T09:15:02.000Z",
                "referenced_tweets": [{"type": "quoted", "id": "9"}, {"type": "replied_to", "id": "8"}],
            },
            {"id": "1795012345678901251", "text": "@Brand ours", "author_id": "2", "lang": "und"},
            {"id": "1795012345678901252", "text": "@brand by handle", "author_id": "3"},
        ],
        "includes": {
            "users": [
                {
                    "id": "1",
                    "username": "ana",
                    "name": "Ana",
                    "verified": True,
                    "public_metrics": {"followers_count": 7},
                },
                {"id": "3", "username": "BRAND_es", "name": "Brand"},
            ]
        },
        "meta": {"result_count": 3},
    }
    result = translate_mentions(page, own_ids={"2"}, own_handles={"@brand_ES"})
    [message] = result.messages
    assert (message.author.handle, message.author.followers, message.author.verified) == ("@ana", 7, True)
    assert message.in_reply_to == "8" and message.language == "es"
    assert result.skipped == {"own_account": 2}


def test_a_mentions_page_whose_users_are_not_a_list_still_gives_its_tweets() -> None:
    # Found by the translation fuzzer (`tests/contract/test_adapter_translation_fuzz.py`):
    # `includes.users` as a number raised TypeError instead of reading the tweets without authors.
    page = {"data": [{"id": "1795012345678901250", "text": "@Brand hola", "author_id": "1"}]}
    for users in (1, "ana", {"id": "1"}, None):
        result = translate_mentions({**page, "includes": {"users": users}}, own_ids=set(), own_handles=set())
        [message] = result.messages
        assert message.author.handle == "1" and message.text == "@Brand hola"


@pytest.mark.parametrize(
    ("message", "text"),
    [
        ({"type": "text", "text": {"body": "hola"}}, "hola"),
        ({"type": "image", "image": {"caption": "mira"}}, "[image] mira"),
        ({"type": "audio", "audio": {"id": "1"}}, "[audio]"),
        ({"type": "location", "location": {"name": "Casa", "latitude": 1}}, "[location] Casa"),
        (
            {
                "type": "interactive",
                "interactive": {
                    "type": "list_reply",
                    "list_reply": {"title": "Fibra", "description": "600 Mb"},
                },
            },
            "Fibra — 600 Mb",
        ),
        ({"type": "button", "button": {"text": "Sí"}}, "Sí"),
        ({"type": "interactive"}, "[interactive reply]"),
        ({"type": "hologram"}, "[hologram]"),
    ],
)
def test_whatsapp_types_become_text_or_placeholders(message: dict[str, object], text: str) -> None:
    assert message_text(message, str(message["type"])) == text


def test_many_entries_in_one_body_are_all_read() -> None:
    entry = {
        "id": "264937493375603",
        "changes": [
            {
                "field": "messages",
                "value": {
                    "messages": [
                        {
                            "from": "34600",
                            "id": f"wamid.{n}",
                            "timestamp": "1779268500",
                            "type": "text",
                            "text": {"body": f"m{n}"},
                        }
                        for n in range(3)
                    ]
                },
            }
        ],
    }
    body = {"object": "whatsapp_business_account", "entry": [entry, entry | {"id": "2"}]}
    result = translate_body(body, platforms=("whatsapp",), own_ids=())
    assert [m.id for m in result.messages] == ["wamid.0", "wamid.1", "wamid.2"] * 2
    assert all(m.created_at == datetime(2026, 5, 20, 9, 15, tzinfo=UTC) for m in result.messages)


def test_messenger_timestamps_in_milliseconds() -> None:
    body = {
        "object": "page",
        "entry": [
            {
                "id": "P",
                "time": 1779268500000,
                "messaging": [
                    {
                        "sender": {"id": "U"},
                        "recipient": {"id": "P"},
                        "timestamp": 1779268500123,
                        "message": {"mid": "m1", "text": "hola"},
                    }
                ],
            }
        ],
    }
    [message] = translate_body(body, platforms=("facebook",), own_ids={"P"}).messages
    assert message.channel == "messenger" and message.created_at.year == 2026 and message.author.handle == "U"


def test_signature_vector_from_pywa(shared_dir: object) -> None:
    from pathlib import Path

    vectors = json.loads((Path(str(shared_dir)) / "data" / "webhooks" / "signature_vectors.json").read_text())
    vector = next(v for v in vectors if v["name"].startswith("whatsapp_cloud_api"))
    body = vector["raw_body"].encode()
    assert valid(vector["secret"], body, vector["headers"]["X-Hub-Signature-256"])
    assert not valid(vector["secret"], body + b" ", vector["headers"]["X-Hub-Signature-256"])
    assert sign("It's a Secret to Everybody", b"Hello, World!").endswith(
        "757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"
    )


@pytest.mark.parametrize(
    ("status", "error", "headers", "expected"),
    [
        (400, {"code": 4, "message": "Application request limit reached"}, {}, RateLimited),
        (400, {"code": 131056, "message": "pair rate limit"}, {}, RateLimited),
        (429, {}, {}, RateLimited),
        (400, {"code": 131047, "message": "Re-engagement message"}, {}, WindowExpired),
        (
            400,
            {"code": 10, "error_subcode": 2018278, "message": "outside of allowed window"},
            {},
            WindowExpired,
        ),
        (500, {"code": 1, "message": "unknown"}, {}, TemporaryFailure),
        (400, {"code": 2, "message": "service"}, {}, TemporaryFailure),
        (400, {"code": 100, "message": "Invalid parameter"}, {}, PermanentFailure),
        (400, {"code": 190, "message": "Invalid OAuth access token"}, {}, PermanentFailure),
    ],
)
def test_graph_errors_map_to_delivery_errors(
    status: int, error: dict[str, object], headers: dict[str, str], expected: type[Exception]
) -> None:
    graph = GraphClient("http://unused", "v21.0", 1.0, rate_limit_wait_s=60)
    found = graph._error(HttpAnswer(status, headers, {"error": error} if error else {}))
    assert type(found) is expected


def test_graph_rate_limit_waits_for_the_regain_time_meta_gives() -> None:
    graph = GraphClient("http://unused", "v21.0", 1.0, rate_limit_wait_s=60)
    usage = json.dumps({"101": [{"type": "messenger", "estimated_time_to_regain_access": 7}]})
    found = graph._error(HttpAnswer(400, {"X-Business-Use-Case-Usage": usage}, {"error": {"code": 80006}}))
    assert isinstance(found, RateLimited) and found.retry_after == 7 * 60
    plain = graph._error(HttpAnswer(400, {}, {"error": {"code": 613}}))
    assert isinstance(plain, RateLimited) and plain.retry_after == 60


async def test_meta_webhook_answers_503_when_the_intake_fails() -> None:
    from collections.abc import Sequence

    from aiohttp import web
    from aiohttp.test_utils import TestClient, TestServer

    from adapters.meta.adapter import MetaAdapter
    from adapters.meta.config import MetaConfig
    from bot.core.models import InboundMessage
    from tests.fakes.meta_graph import APP_SECRET, signed, whatsapp_text

    async def broken(messages: Sequence[InboundMessage]) -> list[bool]:
        raise ConnectionError("store down")

    adapter = MetaAdapter(MetaConfig.model_validate({"app_secret": APP_SECRET, "verify_token": "v"}))
    app = web.Application()
    for route in adapter.routes(broken):
        app.router.add_route(route.method, route.path, route.handler)
    async with TestClient(TestServer(app)) as client:
        raw, headers = signed(whatsapp_text("wamid.X", "hola"))
        async with client.post("/webhooks/meta", data=raw, headers=headers) as response:
            assert response.status == 503 and "again" in (await response.json())["error"]
