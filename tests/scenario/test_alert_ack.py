"""`POST /api/v1/alerts/{id}/ack` shows in `GET /api/v1/alerts`: status and version change."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from bot.core.alerts import SpikeAlert
from bot.core.models import Decision
from bot.core.records import RecordKind
from bot.engine.effects import EffectApplier
from bot.pipeline.guards import ReplyGuard
from bot.pipeline.pipeline import Outcome
from bot.pipeline.spike_watch import SpikeWatcher
from bot.web.app import RUNTIME, STORE, create_app
from tests.conftest import API_TOKEN, eventually, make_message, settings_for
from tests.scenario.warroom_rig import CRISIS_TEXT, ClientFactory

AUTH = {"Authorization": f"Bearer {API_TOKEN}"}


@pytest.fixture
async def client(aiohttp_client: ClientFactory, tmp_path: Path) -> TestClient[Any, Any]:
    return await aiohttp_client(create_app(settings_for(tmp_path)))


async def _alerts(client: TestClient[Any, Any]) -> dict[str, dict[str, Any]]:
    async with client.get("/api/v1/alerts", headers=AUTH) as response:
        assert response.status == 200
        return {item["id"]: item for item in (await response.json())["items"]}


async def test_an_acknowledged_crisis_alert_says_so(client: TestClient[Any, Any]) -> None:
    await client.app[RUNTIME].ingest([make_message("c9", CRISIS_TEXT)])
    await eventually(lambda: client.app[STORE].get_record(RecordKind.DRAFT, "twitter:c9"))
    [(alert_id, before)] = (await _alerts(client)).items()
    assert before["data"]["status"] == "open"
    async with client.post(f"/api/v1/alerts/{alert_id}/ack", json={"actor": "ana"}, headers=AUTH) as r:
        assert r.status == 200
    after = (await _alerts(client))[alert_id]
    assert after["data"]["status"] == "acknowledged"
    assert after["data"]["acknowledged_by"] == "api:ana"
    assert after["version"] > before["version"]
    async with client.post(f"/api/v1/alerts/{alert_id}/ack", headers=AUTH) as again:
        assert again.status == 409
    assert (await _alerts(client))[alert_id]["version"] == after["version"]
    async with client.get("/api/v1/alerts?status=acknowledged", headers=AUTH) as response:
        assert [i["id"] for i in (await response.json())["items"]] == [alert_id]


def _spike(at: datetime, *, count: int, is_update: bool, ended: bool = False) -> SpikeAlert:
    return SpikeAlert.model_validate(
        {
            "alert_id": "spike:no-internet:madrid",
            "kind": "spike",
            "topic": "no-internet",
            "keys": ["topic:no-internet"],
            "at": at,
            "first_message_at": at,
            "count": count,
            "baseline_per_window": 0.5,
            "negative_share": 0.9,
            "message_keys": [],
            "curve": [],
            "is_update": is_update,
            "ended_at": at if ended else None,
        }
    )


async def test_a_growing_spike_keeps_its_acknowledgement(client: TestClient[Any, Any]) -> None:
    """The detector rewrites a spike as it grows; that must not reopen an acknowledged alert."""
    store = client.app[STORE]
    applier = EffectApplier(store, ReplyGuard(store, client.app[RUNTIME].settings.guards))
    watcher = SpikeWatcher()
    decision = Decision(message_key="twitter:s1", action="monitor", reason="test", rule="test")
    ctx = await client.app[RUNTIME].pipeline.analyse(make_message("s1", "sin internet"))
    t0 = datetime(2026, 5, 20, 10, 1, tzinfo=UTC)

    async def emit(alert: SpikeAlert) -> None:
        ctx.spike_alerts = [alert]
        await applier.apply(Outcome(ctx, decision, await watcher.watch(ctx, decision)))

    await emit(_spike(t0, count=12, is_update=False))
    assert await store.get_record(RecordKind.ALERT, "spike:no-internet:madrid") is not None
    async with client.post("/api/v1/alerts/spike:no-internet:madrid/ack", headers=AUTH) as r:
        assert r.status == 200
    await emit(_spike(t0, count=30, is_update=True))
    grown = (await _alerts(client))["spike:no-internet:madrid"]["data"]
    assert (grown["count"], grown["status"], grown["acknowledged_by"]) == (30, "acknowledged", "api:api")
    await emit(_spike(t0, count=31, is_update=True, ended=True))
    ended = (await _alerts(client))["spike:no-internet:madrid"]["data"]
    assert (ended["status"], ended["acknowledged_by"]) == ("closed", "api:api")
