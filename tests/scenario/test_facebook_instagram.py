"""Facebook Page comments, Messenger, Instagram comments and DMs through the service."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.web.app import EDGE, STORE
from responders.templates import ROBOT_LABEL
from tests.conftest import eventually
from tests.fakes.meta_graph import (
    PAGE_ID,
    instagram_comment,
    instagram_dm,
    messenger_event,
    page_comment,
    signed,
)
from tests.scenario.meta_rig import ClientFactory, MetaRig, ServerFactory, meta_rig

QUESTION = "¿Cómo reinicio el router?"


@pytest.fixture
async def rig(
    aiohttp_client: ClientFactory, aiohttp_server: ServerFactory, tmp_path: Path, shared_kb: Path
) -> MetaRig:
    return await meta_rig(aiohttp_client, aiohttp_server, tmp_path, shared_kb)


@pytest.fixture
async def bare(aiohttp_client: ClientFactory, aiohttp_server: ServerFactory, tmp_path: Path) -> MetaRig:
    return await meta_rig(aiohttp_client, aiohttp_server, tmp_path, None)


async def test_each_kind_of_question_is_answered_once_in_its_own_thread(rig: MetaRig) -> None:
    """A Page comment, a Messenger DM, an IG comment and an IG DM (the comment delivered twice)."""
    # Meta batches many entries of one object per body; send each object's body, one of them twice.
    bodies = [page_comment("777_1001", QUESTION), messenger_event("m_DM1", QUESTION, sender="7100000000001")]
    bodies += [
        instagram_comment("17900000000000001", QUESTION),
        instagram_dm("aWdfDM1", QUESTION, sender="5500000000001"),
    ]
    for body in [*bodies, bodies[0]]:
        status, _ = await rig.deliver(*signed(body))
        assert status == 200
    store = rig.client.app[STORE]
    published = await eventually(lambda: _published(rig, 4), timeout=30)
    assert len(published) == 4
    calls = {(c.node, c.edge): c for c in rig.graph.sent()}
    assert len(rig.graph.sent()) == 4
    comment = calls[("777_1001", "comments")]
    assert comment.auth == "Bearer page-token" and any(
        lbl in comment.body["message"] for lbl in ROBOT_LABEL.values()
    )
    ig_reply = calls[("17900000000000001", "replies")]
    assert "@ana.ig" in ig_reply.body["message"]  # a public reply addresses its author
    dms = [c for c in rig.graph.sent("messages") if c.node == PAGE_ID]
    assert sorted(c.body["recipient"]["id"] for c in dms) == ["5500000000001", "7100000000001"]
    assert all(c.body["messaging_type"] == "RESPONSE" for c in dms)
    assert all("@" not in c.body["message"]["text"] for c in dms)  # private: nobody addressed in public
    channels = {i.channel for i in await store.list_outbox(status="published")}
    assert channels == {"facebook", "messenger", "instagram", "instagram_dm"}
    assert {i.account for i in await store.list_outbox(status="published")} == {"robot"}


async def test_echoes_and_our_own_comments_are_not_customer_messages(bare: MetaRig) -> None:
    own = page_comment("777_2001", "Gracias por escribirnos", sender=PAGE_ID, name="AuroraTel")
    for body in (
        own,
        messenger_event("m_ECHO", "Te respondemos", echo=True),
        instagram_dm("aWdfECHO", "Hola", echo=True),
    ):
        status, answer = await bare.deliver(*signed(body))
        assert status == 200 and answer["accepted"] == [] and answer["skipped"]
    assert await bare.client.app[STORE].queue_depth() == 0
    meta = next(a for a in bare.client.app[EDGE] if a.name == "meta")
    assert meta.stats.counts["skipped_own_page"] == 1 and meta.stats.counts["skipped_echo"] == 2


async def test_same_comment_four_times_is_one_decision(bare: MetaRig) -> None:
    raw, headers = signed(page_comment("777_3001", "Hola, una duda sobre la factura"))
    answers = [(await bare.deliver(raw, headers))[1] for _ in range(4)]
    assert [a["accepted"] for a in answers] == [["777_3001"], [], [], []]
    store = bare.client.app[STORE]
    await eventually(lambda: store.get_decision("facebook:777_3001"))
    assert len(await store.list_decisions()) == 1


async def test_bad_signature_is_refused_with_nothing_stored(bare: MetaRig) -> None:
    raw, _ = signed(instagram_comment("17900000000000077", QUESTION), secret="leaked-old-secret")
    status, answer = await bare.deliver(
        raw, {"X-Hub-Signature-256": signed({}, secret="x")[1]["X-Hub-Signature-256"]}
    )
    assert status == 401 and "error" in answer
    status, _ = await bare.deliver(raw, {})
    assert status == 401
    assert await bare.client.app[STORE].get_message("instagram:17900000000000077") is None


async def test_closed_messenger_window_reported_by_meta_is_window_expired(
    aiohttp_client: ClientFactory, aiohttp_server: ServerFactory, tmp_path: Path, shared_kb: Path
) -> None:
    """Meta's own verdict counts too: code 10 / 2018278 marks the item like our own check."""
    rig = await meta_rig(aiohttp_client, aiohttp_server, tmp_path, shared_kb)
    rig.graph.window_closed.add("7100000000009")
    await rig.deliver(*signed(messenger_event("m_LATE", QUESTION, sender="7100000000009")))
    store = rig.client.app[STORE]
    failed = await eventually(lambda: store.list_outbox(status="failed"), timeout=30)
    assert failed[0].last_error is not None and failed[0].last_error.startswith("window expired")
    assert "2018278" in failed[0].last_error
    assert len(rig.graph.sent()) == 1  # tried once, never again


async def _published(rig: MetaRig, n: int) -> list[object] | None:
    items = await rig.client.app[STORE].list_outbox(status="published")
    return list(items) if len(items) >= n else None
