"""The war-room without Slack: drafts listed, approved (edited) and rejected through REST and CLI."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from bot.cli.main import main
from bot.config import load_settings
from bot.core.drafts import Draft
from bot.core.models import OutboxItem
from bot.core.records import RecordKind
from bot.store.sqlite import SqliteStore
from bot.web.app import RUNTIME, STORE, WARROOM, create_app
from responders.crisis import CrisisResponder
from tests.conftest import API_TOKEN, eventually, make_message, settings_for
from tests.scenario.warroom_rig import CRISIS_TEXT, ClientFactory

AUTH = {"Authorization": f"Bearer {API_TOKEN}"}


@pytest.fixture
async def client(aiohttp_client: ClientFactory, tmp_path: Path) -> TestClient[Any, Any]:
    return await aiohttp_client(create_app(settings_for(tmp_path)))


async def _crisis(client: TestClient[Any, Any], msg_id: str) -> str:
    await client.app[RUNTIME].ingest([make_message(msg_id, CRISIS_TEXT)])
    await eventually(lambda: client.app[STORE].get_record(RecordKind.DRAFT, f"twitter:{msg_id}"))
    return f"twitter:{msg_id}"


async def _official(client: TestClient[Any, Any]) -> list[OutboxItem]:
    items = await client.app[STORE].list_outbox(limit=1000)
    return [i for i in items if i.account == "official"]


async def test_service_runs_without_slack(client: TestClient[Any, Any]) -> None:
    assert not client.app[WARROOM].slack_enabled
    assert (await client.post("/slack/events", data=b"")).status == 404


async def test_drafts_listed_and_approved_with_edits_over_rest(client: TestClient[Any, Any]) -> None:
    draft_id = await _crisis(client, "c1")
    listed = await (await client.get("/api/v1/drafts?status=pending", headers=AUTH)).json()
    assert [d["id"] for d in listed["items"]] == [draft_id]
    edited = "@ana Lo sentimos mucho. Te escribimos por DM."
    response = await client.post(f"/api/v1/drafts/{draft_id}/approve", json={"text": edited}, headers=AUTH)
    assert response.status == 200 and (await response.json())["draft"]["status"] == "approved"
    again = await client.post(f"/api/v1/drafts/{draft_id}/approve", headers=AUTH)
    assert again.status == 409
    published = await eventually(lambda: _published_draft(client, draft_id))
    assert published.final_text == edited and published.decided_by == "api:api"
    [reply] = await _official(client)
    assert (reply.text, reply.target, reply.idempotency_key) == (
        edited,
        "c1",
        f"approved:{draft_id}:official",
    )
    assert (await client.post("/api/v1/drafts/twitter:nope/approve", headers=AUTH)).status == 404


async def test_reject_needs_a_reason_and_publishes_nothing(client: TestClient[Any, Any]) -> None:
    draft_id = await _crisis(client, "c2")
    assert (await client.post(f"/api/v1/drafts/{draft_id}/reject", json={}, headers=AUTH)).status == 400
    response = await client.post(f"/api/v1/drafts/{draft_id}/reject", json={"reason": "legal"}, headers=AUTH)
    assert response.status == 200
    body = await (await client.get(f"/api/v1/drafts/{draft_id}", headers=AUTH)).json()
    assert body["draft"]["status"] == "rejected" and body["draft"]["reason"] == "legal"
    assert await _official(client) == []
    ack = await client.post(f"/api/v1/alerts/crisis:{draft_id}/ack", headers=AUTH)
    assert ack.status == 409  # rejecting already acknowledged the alert


async def _published_draft(client: TestClient[Any, Any], draft_id: str) -> Draft | None:
    draft = await client.app[WARROOM].approvals.get(draft_id)
    return draft if draft is not None and draft.status == "published" else None


def test_cli_lists_approves_and_rejects(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("CENTINELA_DATA_DIR", str(tmp_path / "var"))
    asyncio.run(_seed_drafts(load_settings().sqlite_path, ["c1", "c2"]))
    assert main(["drafts", "list", "--status", "pending"]) == 0
    assert "twitter:c1\tpending\tes" in capsys.readouterr().out
    assert main(["drafts", "approve", "twitter:c1", "--actor", "marta"]) == 0
    assert main(["drafts", "approve", "twitter:c1"]) == 1
    assert main(["drafts", "reject", "twitter:c2", "--reason", "handled by phone"]) == 0
    capsys.readouterr()
    assert main(["drafts", "list", "--json"]) == 0
    statuses = {d["id"]: d["status"] for d in json.loads(capsys.readouterr().out)}
    assert statuses == {"twitter:c1": "approved", "twitter:c2": "rejected"}
    outbox = asyncio.run(_outbox_keys(load_settings().sqlite_path))
    assert outbox == ["approved:twitter:c1:official"]


async def _seed_drafts(path: Path, ids: list[str]) -> None:
    """Run the crisis responder as the pipeline would, and keep what it saves."""
    from bot.core.context import MessageContext
    from bot.core.effects import SaveRecord
    from bot.core.models import Decision

    store = SqliteStore(path)
    await store.open()
    try:
        for msg_id in ids:
            msg = make_message(msg_id, CRISIS_TEXT)
            ctx = MessageContext(message=msg, now=msg.created_at, language="es", risks=frozenset({"legal"}))
            decision = Decision(
                message_key=msg.key, action="crisis", reason="legal threat", rule="risk-topic"
            )
            for effect in await CrisisResponder().respond(ctx, decision):
                assert isinstance(effect, SaveRecord)
                await store.put_record(effect.kind, effect.record_id, effect.data, only_if_absent=True)
    finally:
        await store.close()


async def _outbox_keys(path: Path) -> list[str]:
    store = SqliteStore(path)
    await store.open()
    try:
        return [i.idempotency_key for i in await store.list_outbox(limit=100)]
    finally:
        await store.close()
