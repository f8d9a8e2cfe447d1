"""KB answers through the service: signed webhook in, robot reply (or a human) out; KB reloads."""

from __future__ import annotations

import asyncio
import json
import logging
import shutil
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from adapters.webhook.signing import signed_headers
from bot.core.models import Decision, OutboxItem
from bot.engine.extensions import build_extensions
from bot.engine.kb_reload import kb_reload_handler, poll_kb_changes
from bot.web.app import STORE, create_app
from responders.templates import ROBOT_LABEL
from retrieval.kb_decision import KbAnalyser
from tests.conftest import WEBHOOK_SECRET, eventually, settings_for
from tests.kb_copies import copy_small_kb

ClientFactory = Callable[[web.Application], Awaitable[TestClient[Any, Any]]]


@pytest.fixture
def kb_dir(tmp_path: Path) -> Path:
    return copy_small_kb(tmp_path / "kb", settings_for(tmp_path))


@pytest.fixture
async def service(
    aiohttp_client: ClientFactory, tmp_path: Path, kb_dir: Path
) -> tuple[TestClient[Any, Any], KbAnalyser]:
    settings = settings_for(tmp_path)
    extensions = build_extensions(settings, kb_dir)
    found = extensions.kb
    assert isinstance(found, KbAnalyser)
    await found.knowledge_base()
    app = create_app(settings, extensions=extensions)
    app.router.add_post("/test/kb/reload", kb_reload_handler(found))
    return await aiohttp_client(app), found


def message(message_id: str, text: str, *, handle: str = "@ana") -> dict[str, Any]:
    return {
        "id": message_id,
        "channel": "twitter",
        "created_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "author": {"handle": handle, "name": "Ana", "followers": 120, "verified": False},
        "text": text,
    }


async def send(client: TestClient[Any, Any], data: dict[str, Any]) -> None:
    body = json.dumps(data, ensure_ascii=False).encode()
    headers = signed_headers(WEBHOOK_SECRET, body)
    async with client.post("/webhooks/generic", data=body, headers=headers) as response:
        assert response.status == 202, await response.text()


async def reload(client: TestClient[Any, Any]) -> tuple[int, dict[str, Any]]:
    async with client.post("/test/kb/reload") as response:
        return response.status, await response.json()


async def decided(client: TestClient[Any, Any], message_id: str) -> Decision:
    store = client.app[STORE]
    return await eventually(lambda: store.get_decision(f"twitter:{message_id}"), timeout=20)


async def reply_to(client: TestClient[Any, Any], message_id: str) -> OutboxItem:
    store = client.app[STORE]

    async def find() -> OutboxItem | None:
        items = await store.list_outbox(limit=1000)
        return next(
            (i for i in items if i.message_key == f"twitter:{message_id}" and i.account == "robot"), None
        )

    return await eventually(find, timeout=20)


async def test_question_gets_a_labelled_threaded_reply_with_the_article(
    service: tuple[TestClient[Any, Any], KbAnalyser],
) -> None:
    client, _ = service
    await send(client, message("q1", "¿cómo reinicio el router?"))
    decision = await decided(client, "q1")
    assert (decision.action, decision.article) == ("answer", "kb-router-reset-es")
    reply = await reply_to(client, "q1")
    assert reply.text.startswith(f"[{ROBOT_LABEL['es']}] @ana ")
    assert reply.text.endswith("/es/router-reset")
    assert len(reply.text) <= 280


async def test_portuguese_question_gets_a_portuguese_reply_linking_the_spanish_article(
    service: tuple[TestClient[Any, Any], KbAnalyser],
) -> None:
    client, _ = service
    await send(client, message("q2", "Olá, como eu conecto o decodificador na televisão?", handle="@joao"))
    decision = await decided(client, "q2")
    assert (decision.action, decision.article, decision.language) == ("answer", "kb-tv-decoder-es", "pt")
    reply = await reply_to(client, "q2")
    assert reply.text.startswith(f"[{ROBOT_LABEL['pt']}] @joao ")
    assert "espanhol" in reply.text and "/es/" in reply.text


async def test_complaint_dressed_as_a_question_opens_a_case_not_an_answer(
    service: tuple[TestClient[Any, Any], KbAnalyser],
) -> None:
    client, _ = service
    await send(client, message("c1", "ya reinicié el router 5 veces como dice su web y sigue sin funcionar"))
    decision = await decided(client, "c1")
    assert decision.action == "case"
    assert decision.article is None
    assert decision.candidates and decision.candidates[0].topic == "kb-router-reset"


async def test_low_confidence_goes_to_a_person_with_candidates(
    service: tuple[TestClient[Any, Any], KbAnalyser],
) -> None:
    client, _ = service
    await send(client, message("a1", "¿ofrecen IP fija para el internet de casa? tengo cámaras"))
    decision = await decided(client, "a1")
    assert decision.action == "agent"
    assert decision.candidates


async def test_reload_picks_up_a_changed_article_without_dropping_messages(
    service: tuple[TestClient[Any, Any], KbAnalyser], kb_dir: Path
) -> None:
    client, analyser = service
    article = kb_dir / "es" / "router-reset-es.md"
    article.write_text(
        article.read_text(encoding="utf-8").replace("/es/router-reset", "/es/router-reset-v2"),
        encoding="utf-8",
    )
    in_flight = [
        send(client, message(f"r{i}", "¿cómo reinicio el router?", handle=f"@u{i}")) for i in range(10)
    ]
    (status, report), *_ = await asyncio.gather(reload(client), *in_flight)
    assert status == 200
    assert report["status"] == "reloaded" and report["articles"] == 8 and report["errors"] == []
    for i in range(10):
        assert (await decided(client, f"r{i}")).action == "answer"
        assert (await reply_to(client, f"r{i}")).text.split()[-1].split("/")[-1].startswith("router-reset")
    await send(client, message("after", "¿cómo reinicio el router?", handle="@later"))
    assert (await reply_to(client, "after")).text.endswith("/es/router-reset-v2")
    assert analyser.policy.min_confidence > 0


async def test_a_corrupt_article_is_reported_and_the_rest_still_load(
    service: tuple[TestClient[Any, Any], KbAnalyser], kb_dir: Path
) -> None:
    client, _ = service
    (kb_dir / "broken.md").write_text("---\nid: [unclosed\n---\nbody\n", encoding="utf-8")
    status, report = await reload(client)
    assert status == 200
    assert report["articles"] == 8 and report["rejected"] == 1
    assert "broken.md" in report["errors"][0]


async def test_deleted_folder_is_logged_and_the_old_kb_keeps_serving(
    service: tuple[TestClient[Any, Any], KbAnalyser], kb_dir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    client, analyser = service
    shutil.rmtree(kb_dir)
    stop = asyncio.Event()
    with caplog.at_level(logging.ERROR, logger="bot.engine.kb_reload"):
        poll = asyncio.create_task(poll_kb_changes(analyser, interval_s=0.05, stop=stop))
        await eventually(lambda: _logged(caplog), timeout=10)
        stop.set()
        await poll
    await send(client, message("d1", "¿cómo reinicio el router?"))
    assert (await decided(client, "d1")).article == "kb-router-reset-es"


async def _logged(caplog: pytest.LogCaptureFixture) -> bool | None:
    return (
        True
        if any("previous knowledge base keeps serving" in r.getMessage() for r in caplog.records)
        else None
    )
