"""A Discourse forum in front of the real service: signed webhooks in, answers in the topic out.

The service runs with the `discourse:` section set and its base URL on the fake Discourse; the
bundled sample KB answers "¿cómo reinicio el router?".
"""

from __future__ import annotations

import io
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from bot.store.base import Store
from bot.web.app import STORE, create_app
from responders.templates import ROBOT_LABEL
from retrieval.kb_decision import KbAnalyser
from tests.conftest import eventually, settings_for
from tests.fakes.discourse_api import (
    API_KEY,
    OFFICIAL,
    ROBOT,
    WEBHOOK_SECRET,
    FakeDiscourse,
    delivery,
    post_payload,
)
from tests.scenario.sample_kb import extensions_with, sample_kb_analyser

ClientFactory = Callable[[web.Application], Awaitable[TestClient[Any, Any]]]
ServerFactory = Callable[[web.Application], Awaitable[TestServer]]
QUESTION = "Hola, desde ayer la wifi se corta. ¿Cómo reinicio el router?"
TITLE = "¿Cómo reinicio el router?"


def now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def question(**extra: Any) -> dict[str, Any]:
    return post_payload(41, 1, QUESTION, title=TITLE, created_at=now(), updated_at=now(), **extra)


@pytest.fixture(scope="module")
def kb(tmp_path_factory: pytest.TempPathFactory) -> KbAnalyser:
    """One sample-KB analyser for the module: embedded and trained once, not once per test."""
    return sample_kb_analyser(settings_for(tmp_path_factory.mktemp("kb")))


@pytest.fixture
async def forum(
    aiohttp_client: ClientFactory, aiohttp_server: ServerFactory, tmp_path: Path, kb: KbAnalyser
) -> tuple[TestClient[Any, Any], FakeDiscourse]:
    discourse = FakeDiscourse()
    discourse.add_topic(41, TITLE, ("ana", QUESTION))
    server = await aiohttp_server(discourse.app())
    section = {
        "base_url": str(server.make_url("")),
        "webhook_secret": WEBHOOK_SECRET,
        "api_key": API_KEY,
        "robot_username": ROBOT,
        "official_username": OFFICIAL,
    }
    settings = settings_for(tmp_path, discourse=section)
    app = create_app(settings, extensions=extensions_with(settings, kb))
    return await aiohttp_client(app), discourse


async def deliver(client: TestClient[Any, Any], event: str, payload: dict[str, Any]) -> tuple[int, Any]:
    body, headers = delivery(event, payload)
    async with client.post("/webhooks/discourse", data=body, headers=headers) as response:
        return response.status, await response.json()


async def settled(store: Store) -> bool:
    """Nothing queued, nothing waiting in the outbox."""
    counts = await store.outbox_counts()
    return await store.queue_depth() == 0 and counts.get("pending", 0) == 0


async def test_forum_question_gets_one_robot_answer_in_the_topic(
    forum: tuple[TestClient[Any, Any], FakeDiscourse],
) -> None:
    client, discourse = forum
    store = client.app[STORE]
    topic = {"topic": {"id": 41, "title": TITLE, "created_at": now(), "archetype": "regular",
                       "category_id": 5, "created_by": {"username": "ana", "name": "Ana"}}}  # fmt: skip
    # A new topic's two webhooks, the topic event first: it is skipped, so the post (title and
    # body) is the one message and the decision reads the body, not the title alone.
    status, early = await deliver(client, "topic_created", topic)
    assert (status, early["accepted"], early["skipped"]) == (200, [], {"topic_created_awaits_post": 1})
    assert (await deliver(client, "post_created", question()))[1]["accepted"] == ["t41-p1"]
    stored = await store.get_message("forum:t41-p1")
    assert stored is not None and stored.text == f"{TITLE}\n\n{QUESTION}"
    assert (await deliver(client, "topic_created", topic))[1]["skipped"] == {"topic_created_awaits_post": 1}
    await eventually(lambda: _posted(discourse), timeout=20)
    await eventually(lambda: settled(store), timeout=10)
    (call,) = discourse.posts_created()
    assert call.headers["Api-Username"] == ROBOT and call.headers["Api-Key"] == API_KEY
    assert call.body is not None and (call.body["topic_id"], call.body["reply_to_post_number"]) == (41, 1)
    assert call.body["raw"].startswith(f"[{ROBOT_LABEL['es']}]")
    decision = await store.get_decision("forum:t41-p1")
    assert decision is not None and decision.action == "answer"
    # Our own answer comes back as a webhook: it is recognised and never decided on.
    own = post_payload(
        41, 2, call.body["raw"], username=ROBOT, reply_to=1, created_at=now(), updated_at=now()
    )
    status, answer = await deliver(client, "post_created", own)
    assert (status, answer) == (200, {"accepted": [], "duplicates": [], "skipped": {"own_post": 1}})
    assert len(await store.list_decisions()) == 1
    async with client.get("/readyz") as ready:
        assert (await ready.json())["adapters"]["discourse"] == "ok"
    async with client.get("/metrics") as scraped:
        text = await scraped.text()
    assert 'centinela_adapter_events{adapter="discourse",event="sent"} 1.0' in text
    assert 'centinela_adapter_events{adapter="discourse",event="skipped_own_post"} 1.0' in text
    awaits = 'centinela_adapter_events{adapter="discourse",event="skipped_topic_created_awaits_post"} 2.0'
    assert awaits in text


async def _posted(discourse: FakeDiscourse) -> bool:
    return bool(discourse.posts_created())


async def test_same_webhook_four_times_with_new_event_ids_gives_one_decision(
    forum: tuple[TestClient[Any, Any], FakeDiscourse],
) -> None:
    client, discourse = forum
    payload = question()
    answers = [await deliver(client, "post_created", payload) for _ in range(4)]
    assert [a[1]["accepted"] for a in answers] == [["t41-p1"], [], [], []]
    assert all(a[1]["duplicates"] == ["t41-p1"] for a in answers[1:])
    store = client.app[STORE]
    await eventually(lambda: store.get_decision("forum:t41-p1"), timeout=20)
    await eventually(lambda: settled(store), timeout=10)
    assert len(await store.list_decisions()) == 1
    assert len(discourse.posts_created()) == 1


async def test_an_edit_is_not_a_new_message(forum: tuple[TestClient[Any, Any], FakeDiscourse]) -> None:
    client, _ = forum
    await deliver(client, "post_created", question())
    edited = post_payload(41, 1, QUESTION + " (editado)", title=TITLE, created_at=now())
    edited["post"]["updated_at"], edited["post"]["version"] = "2099-01-01T00:00:00.000Z", 2
    status, answer = await deliver(client, "post_edited", edited)
    assert (status, answer["skipped"]) == (200, {"post_edited": 1})
    store = client.app[STORE]
    await eventually(lambda: settled(store), timeout=20)
    stored = await store.get_message("forum:t41-p1")
    assert stored is not None and "(editado)" not in stored.text
    assert len(await store.list_decisions()) == 1


@pytest.mark.parametrize("signature", [None, "sha256=" + "0" * 64, "wrong-secret"])
async def test_bad_signature_is_refused_and_nothing_stored(
    forum: tuple[TestClient[Any, Any], FakeDiscourse], signature: str | None
) -> None:
    client, _ = forum
    body, headers = delivery("post_created", question(), secret="wrong-secret")
    if signature is None:
        del headers["X-Discourse-Event-Signature"]
    elif signature != "wrong-secret":
        headers["X-Discourse-Event-Signature"] = signature
    async with client.post("/webhooks/discourse", data=body, headers=headers) as response:
        assert response.status == 401
        assert "X-Discourse-Event-Signature" in (await response.json())["error"]
    store = client.app[STORE]
    assert await store.queue_depth() == 0 and await store.get_message("forum:t41-p1") is None


async def test_signed_garbage_is_a_400_not_a_500(forum: tuple[TestClient[Any, Any], FakeDiscourse]) -> None:
    client, _ = forum
    body = b'{"post": '
    _, headers = delivery("post_created", {})
    from tests.fakes.discourse_api import sign

    headers["X-Discourse-Event-Signature"] = sign(body)
    async with client.post("/webhooks/discourse", data=body, headers=headers) as response:
        assert response.status == 400 and "JSON" in (await response.json())["error"]


async def test_staff_reply_in_the_topic_holds_the_robot_back(
    forum: tuple[TestClient[Any, Any], FakeDiscourse],
) -> None:
    client, discourse = forum
    discourse._append(41, "marta", "Desenchúfalo treinta segundos y vuelve a enchufarlo.", 1)
    await deliver(client, "post_created", question())
    store = client.app[STORE]
    failed = await eventually(lambda: store.list_outbox(status="failed"), timeout=20)
    assert "already answered" in (failed[0].last_error or "")
    assert discourse.posts_created() == []


async def test_a_chunked_body_is_read_whole_and_an_oversized_one_is_413(
    forum: tuple[TestClient[Any, Any], FakeDiscourse],
) -> None:
    client, _ = forum
    body, headers = delivery("post_created", question())

    async def chunks() -> Any:
        for start in range(0, len(body), 100):
            yield body[start : start + 100]

    async with client.post("/webhooks/discourse", data=chunks(), headers=headers) as response:
        assert response.status == 200 and (await response.json())["accepted"] == ["t41-p1"]
    huge = question()
    huge["post"]["raw"] = "x" * 1_100_000
    body, headers = delivery("post_created", huge)
    async with client.post("/webhooks/discourse", data=io.BytesIO(body), headers=headers) as response:
        assert response.status == 413 and "larger" in (await response.json())["error"]


@pytest.mark.parametrize(
    ("body", "error"),
    [
        (b'{"post": {"id": 1, "raw": "\\ud800"}}', "surrogate"),  # legal JSON, not Unicode
        (b'{"post": ' + b"[" * 200 + b"]" * 200 + b"}", "nested"),
    ],
)
async def test_signed_json_that_cannot_be_stored_is_a_400_not_a_500(
    forum: tuple[TestClient[Any, Any], FakeDiscourse], body: bytes, error: str
) -> None:
    """Before, a lone surrogate reached the intake and failed there (500), a deep body failed
    in the JSON decoder: Discourse would have redelivered it for ever."""
    client, _ = forum
    _, headers = delivery("post_created", {})
    from tests.fakes.discourse_api import sign

    headers["X-Discourse-Event-Signature"] = sign(body)
    async with client.post("/webhooks/discourse", data=body, headers=headers) as response:
        assert response.status == 400 and error in (await response.json())["error"]
    assert await client.app[STORE].queue_depth() == 0
