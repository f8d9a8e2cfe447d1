"""The Discourse adapter: webhook bodies to messages, and what each API answer means to the publisher."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from pydantic import SecretStr

from adapters.base import OutcomeUnknown, PermanentFailure, RateLimited, TemporaryFailure
from adapters.discourse.adapter import DiscourseAdapter, signature, signature_ok
from adapters.discourse.config import DiscourseConfig
from bot.core.models import OutboxItem
from tests.fakes.discourse_api import (
    API_KEY,
    OFFICIAL,
    ROBOT,
    WEBHOOK_SECRET,
    Failure,
    FakeDiscourse,
    post_payload,
)
from tests.paths import TEST_DATA

ServerFactory = Callable[[web.Application], Awaitable[TestServer]]
ANSWER = "Respuesta automática: para reiniciar el router, desenchúfalo 30 segundos."


def config(base_url: str = "http://discourse.invalid", **extra: Any) -> DiscourseConfig:
    return DiscourseConfig(
        base_url=base_url,
        webhook_secret=SecretStr(WEBHOOK_SECRET),
        api_key=SecretStr(API_KEY),
        robot_username=ROBOT,
        official_username=OFFICIAL,
        **extra,
    )


def headers(event: str) -> dict[str, str]:
    return {"X-Discourse-Event": event, "X-Discourse-Event-Type": event.split("_")[0]}


def test_signature_matches_the_known_answer_vector_and_rejects_tampering() -> None:
    # discourse_ping_event_signature in ../shared/data/webhooks/signature_vectors.json, retyped.
    body = b'{"ping":"OK"}'
    expected = "sha256=162f107f6b5022353274eb1a7197885cfd35744d8d08e5bcea025d309386b7d6"
    assert signature("my_lovely_secret_for_web_hook", body) == expected
    assert signature_ok("my_lovely_secret_for_web_hook", body, expected)
    assert not signature_ok("my_lovely_secret_for_web_hook", b'{"ping":"OK!"}', expected)
    assert not signature_ok("my_lovely_secret_for_web_hook", body, None)


def test_first_post_becomes_a_forum_message_with_title_and_body() -> None:
    adapter = DiscourseAdapter(config())
    out = adapter.translate(
        post_payload(41, 1, "Se me corta la wifi", title="¿Cómo reinicio el router?"), headers("post_created")
    )
    (message,) = out.messages
    assert (message.id, message.channel, message.in_reply_to) == ("t41-p1", "forum", None)
    assert message.text == "¿Cómo reinicio el router?\n\nSe me corta la wifi"
    assert message.author.handle == "ana" and message.raw is not None and message.raw["post_id"] == 4101
    assert not out.skipped


def test_reply_points_at_the_post_it_answers() -> None:
    adapter = DiscourseAdapter(config())
    reply = adapter.translate(post_payload(41, 3, "sigue igual", reply_to=2), headers("post_created"))
    assert [(m.id, m.in_reply_to, m.text) for m in reply.messages] == [("t41-p3", "t41-p2", "sigue igual")]


def test_topic_event_awaits_its_first_post_unless_the_site_sends_only_topic_events() -> None:
    creator = {"username": "ana", "id": 7}
    topic = {"topic": {"id": 41, "title": "Router", "archetype": "regular", "created_by": creator}}
    skipped = DiscourseAdapter(config()).translate(topic, headers("topic_created"))
    assert (skipped.messages, dict(skipped.skipped)) == ([], {"topic_created_awaits_post": 1})
    titles_only = DiscourseAdapter(config(topics_from_topic_events=True))
    decided = titles_only.translate(topic, headers("topic_created"))
    assert [(m.id, m.text, m.author.customer_id) for m in decided.messages] == [("t41-p1", "Router", "7")]
    assert titles_only.translate(topic, {}).messages[0].id == "t41-p1"  # recorded without headers


@pytest.mark.parametrize(
    ("event", "payload", "reason"),
    [
        ("post_edited", post_payload(41, 1, "x", updated_at="2026-05-20T10:00:00.000Z"), "post_edited"),
        ("ping", {"ping": "OK"}, "ping"),
        ("user_created", {"user": {"id": 1}}, "unsupported_event:user_created"),
        ("post_created", post_payload(41, 2, "answer", username="marta", staff=True), "staff_post"),
        ("post_created", post_payload(41, 2, "Respuesta automática", username=ROBOT), "own_post"),
        ("post_created", post_payload(41, 2, "approved", username=OFFICIAL), "own_post"),
        ("post_created", {"post": {"username": "ana"}}, "malformed"),
    ],
)
def test_what_is_not_a_question_is_counted_not_raised(
    event: str, payload: dict[str, Any], reason: str
) -> None:
    out = DiscourseAdapter(config()).translate(payload, headers(event))
    assert out.messages == [] and out.skipped == {reason: 1}


def test_category_allow_list_and_private_messages() -> None:
    adapter = DiscourseAdapter(config(categories=[7]))
    assert adapter.translate(post_payload(41, 1, "x", category_id=5), headers("post_created")).skipped == {
        "category_not_allowed": 1
    }
    assert (
        len(adapter.translate(post_payload(41, 1, "x", category_id=7), headers("post_created")).messages) == 1
    )
    pm = post_payload(41, 1, "x", category_id=7)
    pm["post"]["topic_archetype"] = "private_message"
    assert adapter.translate(pm, headers("post_created")).skipped == {"private_message": 1}


def test_recorded_lines_without_headers_are_read_by_shape() -> None:
    adapter = DiscourseAdapter(config())
    assert [m.id for m in adapter.translate(post_payload(9, 2, "hola"), {}).messages] == ["t9-p2"]
    edited = post_payload(9, 2, "hola", updated_at="2026-05-21T00:00:00.000Z")
    assert adapter.translate(edited, {}).skipped == {"post_edited": 1}
    assert adapter.translate([1, 2], {}).skipped == {"not_an_object": 1}


def test_our_fixture_deliveries_translate_to_one_question_per_post() -> None:
    adapter = DiscourseAdapter(config())
    ids: list[str] = []
    skipped: dict[str, int] = {}
    for line in (TEST_DATA / "webhooks" / "discourse" / "deliveries.jsonl").read_text().splitlines():
        value = json.loads(line)
        out = adapter.translate(value["body"], value["headers"])
        ids += [m.id for m in out.messages]
        for reason, n in out.skipped.items():
            skipped[reason] = skipped.get(reason, 0) + n
    assert sorted(set(ids)) == ["t41-p1", "t42-p1"]  # post + retry of t41-p1 are one id
    assert skipped == {
        "topic_created_awaits_post": 1, "post_edited": 1, "staff_post": 1, "own_post": 1, "ping": 1,
        "unsupported_event:user_created": 1, "private_message": 1,
    }  # fmt: skip


def reply(account: str = "robot", target: str = "t41-p1", text: str = ANSWER) -> OutboxItem:
    return OutboxItem.model_validate(
        {
            "idempotency_key": f"k-{account}",
            "account": account,
            "channel": "forum",
            "target": target,
            "text": text,
        }
    )


@pytest.fixture
async def fake(aiohttp_server: ServerFactory) -> tuple[FakeDiscourse, DiscourseAdapter]:
    discourse = FakeDiscourse()
    discourse.add_topic(
        41, "¿Cómo reinicio el router?", ("ana", "Se me corta la wifi, ¿cómo reinicio el router?")
    )
    server = await aiohttp_server(discourse.app())
    return discourse, DiscourseAdapter(config(str(server.make_url(""))))


async def test_robot_answer_goes_into_the_topic_as_the_robot_user(
    fake: tuple[FakeDiscourse, DiscourseAdapter],
) -> None:
    discourse, adapter = fake
    receipt = await adapter.send(reply())
    (call,) = discourse.posts_created()
    assert call.body == {"topic_id": 41, "raw": ANSWER, "reply_to_post_number": 1}
    assert (call.headers["Api-Key"], call.headers["Api-Username"]) == (API_KEY, ROBOT)
    assert receipt["topic_id"] == 41 and receipt["post_number"] == 2
    assert discourse.topics[41]["posts"][1]["username"] == ROBOT
    await adapter.close()


async def test_approved_reply_goes_out_as_the_official_user_without_topic_check(
    fake: tuple[FakeDiscourse, DiscourseAdapter],
) -> None:
    discourse, adapter = fake
    discourse.accept(41, 1)
    await adapter.send(reply("official"))
    assert [c.method for c in discourse.calls] == ["POST"]
    assert discourse.posts_created()[0].headers["Api-Username"] == OFFICIAL
    await adapter.close()


@pytest.mark.parametrize("how", ["accepted", "staff"])
async def test_community_already_answered_suppresses_the_robot(
    fake: tuple[FakeDiscourse, DiscourseAdapter], how: str
) -> None:
    discourse, adapter = fake
    if how == "accepted":
        discourse.accept(41, 1)
    else:
        discourse._append(41, "marta", "Desenchúfalo treinta segundos y vuelve a enchufarlo.", 1)
    with pytest.raises(PermanentFailure, match="already answered"):
        await adapter.send(reply())
    assert discourse.posts_created() == []
    await adapter.close()


async def test_429_honours_retry_after_then_wait_seconds(
    fake: tuple[FakeDiscourse, DiscourseAdapter],
) -> None:
    discourse, adapter = fake
    discourse.fail_next(Failure(status=429, retry_after=42))
    with pytest.raises(RateLimited) as first:
        await adapter.send(reply())
    assert first.value.retry_after == 42
    discourse.fail_next(Failure(status=429, wait_seconds=7))  # no header: the body's extras say 7 s
    with pytest.raises(RateLimited) as second:
        await adapter.send(reply())
    assert second.value.retry_after == 7
    assert "rate limited" in adapter.status()
    await adapter.close()


async def test_server_errors_drops_and_refusals_are_typed(
    fake: tuple[FakeDiscourse, DiscourseAdapter], aiohttp_server: ServerFactory
) -> None:
    discourse, adapter = fake
    discourse.fail_next(Failure(status=502))
    with pytest.raises(TemporaryFailure, match="502"):
        await adapter.send(reply())
    topic_ok = Failure(status=0)
    discourse.fail_next(topic_ok, Failure(drop=True))  # topic read fine, the POST is dropped
    with pytest.raises(OutcomeUnknown):
        await adapter.send(reply())
    with pytest.raises(PermanentFailure, match="too short"):
        await adapter.send(reply(text="ok"))
    with pytest.raises(PermanentFailure, match="not a Discourse post address"):
        await adapter.send(reply(target="12345"))
    wrong_key = DiscourseAdapter(
        config(str(adapter._config.base_url)).model_copy(update={"api_key": SecretStr("x")})
    )
    with pytest.raises(PermanentFailure, match="invalid_access"):
        await wrong_key.send(reply())
    await wrong_key.close()
    await adapter.close()


async def test_unreachable_site_is_a_temporary_failure() -> None:
    adapter = DiscourseAdapter(config("http://127.0.0.1:9"))
    with pytest.raises(TemporaryFailure, match="cannot reach"):
        await adapter.send(reply())
    await adapter.close()


async def test_slow_answer_past_the_timeout_after_a_post_is_outcome_unknown(
    fake: tuple[FakeDiscourse, DiscourseAdapter],
) -> None:
    discourse, adapter = fake
    slow = DiscourseAdapter(config(adapter._config.base_url, timeout_s=0.2))
    discourse.fail_next(Failure(status=0), Failure(status=0, delay_s=1.0))
    with pytest.raises(OutcomeUnknown):
        await slow.send(reply())
    await slow.close()
    await adapter.close()
