"""WhatsApp Cloud API through the service: signed webhook in, one reply in context out, once."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from pathlib import Path
from typing import TypeVar

import pytest
import time_machine

from bot.web.app import STORE
from responders.templates import ROBOT_LABEL
from tests.conftest import API_TOKEN, eventually
from tests.fakes.meta_graph import APP_SECRET, PHONE_ID, signed, whatsapp_status, whatsapp_text
from tests.scenario.meta_rig import ClientFactory, MetaRig, ServerFactory, meta_rig

T = TypeVar("T")
QUESTION = "¿cómo reinicio el router?"
SENDER = "34600111222"


@pytest.fixture
async def rig(
    aiohttp_client: ClientFactory, aiohttp_server: ServerFactory, tmp_path: Path, shared_kb: Path
) -> MetaRig:
    return await meta_rig(aiohttp_client, aiohttp_server, tmp_path, shared_kb)


@pytest.fixture
async def bare(aiohttp_client: ClientFactory, aiohttp_server: ServerFactory, tmp_path: Path) -> MetaRig:
    """No KB: for what the webhook itself does (signatures, skips, dedupe)."""
    return await meta_rig(aiohttp_client, aiohttp_server, tmp_path, None)


async def test_question_gets_one_robot_reply_in_context(rig: MetaRig) -> None:
    status, answer = await rig.deliver(*signed(whatsapp_text("wamid.Q1", QUESTION, sender=SENDER)))
    assert (status, answer["accepted"]) == (200, ["wamid.Q1"])
    store = rig.client.app[STORE]
    decision = await eventually(lambda: store.get_decision("whatsapp:wamid.Q1"))
    assert decision.action == "answer"
    sent = await eventually(lambda: _async(rig.graph.sent("messages")))
    assert len(sent) == 1
    call = sent[0]
    assert call.node == PHONE_ID and call.auth == "Bearer wa-token"
    assert call.body["to"] == SENDER and call.body["context"] == {"message_id": "wamid.Q1"}
    assert call.body["messaging_product"] == "whatsapp" and call.body["type"] == "text"
    assert any(label in call.body["text"]["body"] for label in ROBOT_LABEL.values())
    assert not call.body["text"]["body"].startswith("@")  # a private reply addresses nobody publicly
    items = await eventually(lambda: store.list_outbox(status="published"))
    assert [i.account for i in items] == ["robot"] and items[0].receipt["id"].startswith("wamid.OUT")


async def test_same_event_four_times_is_one_decision_and_one_reply(rig: MetaRig) -> None:
    raw, headers = signed(whatsapp_text("wamid.Q2", QUESTION))
    answers = [await rig.deliver(raw, headers) for _ in range(4)]
    assert [a[1]["accepted"] for a in answers] == [["wamid.Q2"], [], [], []]
    assert [a[1]["duplicates"] for a in answers[1:]] == [["wamid.Q2"]] * 3
    store = rig.client.app[STORE]
    await eventually(lambda: _async(rig.graph.sent("messages")))
    await eventually(lambda: _queue_empty(rig))
    assert len(await store.list_decisions()) == 1
    assert len(rig.graph.sent("messages")) == 1


@pytest.mark.parametrize("fault", ["surrogate", "nested"])
async def test_signed_json_that_cannot_be_stored_is_a_400_not_a_503_for_ever(
    bare: MetaRig, fault: str
) -> None:
    """A lone surrogate (legal JSON, not Unicode) used to pass translation and fail in the
    intake: 503, so Meta redelivered a body that could never be stored. A body nested beyond
    the bound is refused the same way. The good delivery after it is taken as usual."""
    body = whatsapp_text("wamid.Q9", QUESTION)
    change = body["entry"][0]["changes"][0]["value"]
    if fault == "surrogate":
        change["messages"][0]["id"] = "wamid.\ud800"
    else:
        nested: dict[str, object] = {}
        for _ in range(80):
            nested = {"n": nested}
        change["contacts"] = [{"profile": nested}]
    raw = json.dumps(body).encode()
    digest = hmac.new(APP_SECRET.encode(), raw, hashlib.sha256).hexdigest()
    headers = {"X-Hub-Signature-256": f"sha256={digest}", "Content-Type": "application/json"}
    status, answer = await bare.deliver(raw, headers)
    assert status == 400 and fault in answer["error"]
    assert await bare.client.app[STORE].queue_depth() == 0
    status, answer = await bare.deliver(*signed(whatsapp_text("wamid.Q10", QUESTION)))
    assert (status, answer["accepted"]) == (200, ["wamid.Q10"])


async def test_bad_signature_is_401_and_nothing_stored(bare: MetaRig) -> None:
    raw, _ = signed(whatsapp_text("wamid.Q3", QUESTION), secret="not-the-app-secret")
    _, good = signed(whatsapp_text("wamid.OTHER", QUESTION))
    for headers in (
        {"X-Hub-Signature-256": "sha256=00"},
        {},
        good,
        {"X-Hub-Signature-256": good["X-Hub-Signature-256"].upper()},
    ):
        status, answer = await bare.deliver(raw, {**headers, "Content-Type": "application/json"})
        assert status == 401 and "X-Hub-Signature-256" in answer["error"]
    store = bare.client.app[STORE]
    assert await store.get_message("whatsapp:wamid.Q3") is None and await store.queue_depth() == 0


async def test_verification_challenge(bare: MetaRig) -> None:
    query = {"hub.mode": "subscribe", "hub.verify_token": "meta-verify-token", "hub.challenge": "1158201444"}
    async with bare.client.get("/webhooks/meta", params=query) as response:
        assert response.status == 200 and await response.text() == "1158201444"
    async with bare.client.get("/webhooks/meta", params={**query, "hub.verify_token": "guess"}) as response:
        assert response.status == 403 and "verify_token" in (await response.json())["error"]
    async with bare.client.get("/webhooks/meta", params={"hub.mode": "subscribe"}) as response:
        assert response.status == 400


async def test_malformed_json_is_400(bare: MetaRig) -> None:
    raw = b'{"object": "whatsapp_business_account", "entry": ['
    _, headers = signed({})
    from adapters.meta.signature import sign

    status, answer = await bare.deliver(raw, {**headers, "X-Hub-Signature-256": sign("meta-app-secret", raw)})
    assert status == 400 and "JSON" in answer["error"]


async def test_statuses_are_counted_and_not_decided(bare: MetaRig) -> None:
    status, answer = await bare.deliver(*signed(whatsapp_status("wamid.OUT000001")))
    assert (status, answer["accepted"], answer["skipped"]) == (200, [], {"status": 1})
    assert await bare.client.app[STORE].queue_depth() == 0
    async with bare.client.get("/metrics") as response:
        assert 'centinela_adapter_events{adapter="meta",event="skipped_status"} 1.0' in await response.text()


async def test_retry_seven_days_later_of_a_known_wamid_is_a_duplicate(bare: MetaRig) -> None:
    """Meta retries for up to 7 days from its first attempt, which precedes our acceptance."""
    raw, headers = signed(whatsapp_text("wamid.OLD", "Hola, ¿tenéis fibra en Soria?"))
    assert (await bare.deliver(raw, headers))[1]["accepted"] == ["wamid.OLD"]
    await eventually(lambda: bare.client.app[STORE].get_decision("whatsapp:wamid.OLD"))
    with time_machine.travel(time.time() + 7 * 24 * 3600 - 60, tick=True):
        status, answer = await bare.deliver(raw, headers)
        assert (status, answer["accepted"], answer["duplicates"]) == (200, [], ["wamid.OLD"])
        fresh = await bare.deliver(*signed(whatsapp_text("wamid.NEW", "Hola otra vez")))
        assert fresh[1]["accepted"] == ["wamid.NEW"]  # the intake still takes new messages then


async def test_reply_outside_the_24_hour_window_is_not_sent_and_says_why(
    aiohttp_client: ClientFactory, aiohttp_server: ServerFactory, tmp_path: Path, shared_kb: Path
) -> None:
    # Automatic replies to old messages are normally held by the age guard; lift it so the
    # reply reaches the outbox and the adapter's window check is what stops it.
    rig = await meta_rig(
        aiohttp_client, aiohttp_server, tmp_path, shared_kb, guards={"max_message_age_s": 3 * 86400}
    )
    old = time.time() - 25 * 3600
    await rig.deliver(*signed(whatsapp_text("wamid.LATE", QUESTION, at=old)))
    store = rig.client.app[STORE]
    failed = await eventually(lambda: store.list_outbox(status="failed"))
    assert len(failed) == 1 and failed[0].last_error is not None
    assert failed[0].last_error.startswith("window expired") and "24-hour" in failed[0].last_error
    assert rig.graph.sent() == []
    headers = {"Authorization": f"Bearer {API_TOKEN}"}
    async with rig.client.get("/api/v1/outbox", params={"status": "failed"}, headers=headers) as response:
        listed = (await response.json())["items"]
    assert listed[0]["last_error"].startswith("window expired")
    audit = await store.list_audit(kind="outbox_window_expired")
    assert [e.subject for e in audit] == [failed[0].idempotency_key]
    async with rig.client.get("/metrics") as response:
        assert 'centinela_adapter_events{adapter="meta",event="window_expired"} 1.0' in await response.text()


async def test_readyz_names_the_adapter(bare: MetaRig) -> None:
    async with bare.client.get("/readyz") as response:
        body = await response.json()
    assert body["adapters"]["meta"] == "Meta: ok"


async def _queue_empty(rig: MetaRig) -> bool:
    depth: int = await rig.client.app[STORE].queue_depth()
    return depth == 0


async def _async(value: T) -> T:
    return value
