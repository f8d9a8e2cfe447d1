"""The approval service on both stores: compare-and-set, one publication, an audit per attempt."""

from __future__ import annotations

import asyncio

from bot.core.context import MessageContext
from bot.core.models import ArticleCandidate, Decision
from bot.core.records import RecordKind
from bot.store.base import Store
from bot.warroom.approval import ApprovalService
from bot.warroom.results import ResultWatcher
from responders.crisis import crisis_alert_id
from responders.drafts import draft_for
from tests.conftest import make_message


async def seed(store: Store, msg_id: str = "c1") -> str:
    msg = make_message(msg_id, "Voy a demandar a AuroraTel")
    ctx = MessageContext(message=msg, now=msg.created_at, language="es", risks=frozenset({"legal"}))
    alert_id = crisis_alert_id(msg.key)
    await store.put_record(
        RecordKind.ALERT, alert_id, {"kind": "crisis", "status": "open", "draft_id": msg.key}
    )
    draft = draft_for(ctx, alert_id)
    await store.put_record(RecordKind.DRAFT, draft.id, draft.data())
    return draft.id


async def test_ten_concurrent_approvals_queue_one_reply(store: Store) -> None:
    draft_id = await seed(store)
    service = ApprovalService(store)
    results = await asyncio.gather(
        *(service.approve(draft_id, actor=f"slack:U{i}", via="slack") for i in range(10))
    )
    assert sorted(r.outcome for r in results) == ["already"] * 9 + ["approved"]
    official = [i for i in await store.list_outbox() if i.account == "official"]
    assert [i.idempotency_key for i in official] == ["approved:twitter:c1:official"]
    assert official[0].target == "c1" and official[0].recipient == "@ana"
    audit = await store.list_audit(kind="warroom")
    assert len([e for e in audit if e.detail["action"] == "approve"]) == 10


async def test_reject_then_approve_is_refused(store: Store) -> None:
    draft_id = await seed(store)
    service = ApprovalService(store)
    assert (await service.reject(draft_id, actor="cli:ana", via="cli", reason="  ")).outcome == "invalid"
    rejected = await service.reject(draft_id, actor="cli:ana", via="cli", reason="handled by phone")
    assert rejected.ok and rejected.draft is not None and rejected.draft.status == "rejected"
    later = await service.approve(draft_id, actor="cli:bo", via="cli")
    assert later.outcome == "already" and "rejected by ana (cli)" in later.message
    assert await store.list_outbox() == []
    state = await service.log.get(crisis_alert_id("twitter:c1"))
    assert state is not None and state.status == "acknowledged" and state.events[-1].action == "rejected"


async def test_empty_edit_is_invalid_and_unknown_draft_not_found(store: Store) -> None:
    draft_id = await seed(store)
    service = ApprovalService(store)
    assert (await service.approve(draft_id, actor="a", via="api", text=" ")).outcome == "invalid"
    assert (await service.approve("twitter:nope", actor="a", via="api")).outcome == "not_found"
    assert (await service.acknowledge("crisis:nope", actor="a", via="api")).outcome == "not_found"


async def test_result_watcher_follows_the_reply_and_repairs_a_lost_queueing(store: Store) -> None:
    draft_id = await seed(store)
    service = ApprovalService(store)
    approved = await service.approve(
        draft_id, actor="api:a", via="api", text="Hola @ana, te escribimos por DM."
    )
    assert approved.draft is not None and approved.draft.outbox_key is not None
    watcher = ResultWatcher(store, service.log)
    assert await watcher.tick() == 0  # still pending
    item = await store.get_outbox(approved.draft.outbox_key)
    assert item is not None
    await store.update_outbox(item.model_copy(update={"status": "failed", "last_error": "Slack refused: x"}))
    assert await watcher.tick() == 1
    draft = await service.get(draft_id)
    assert draft is not None and draft.status == "failed" and draft.result == "Slack refused: x"

    other = await seed(store, "c2")
    lost = (await service.get(other)).model_copy(  # type: ignore[union-attr]
        update={"status": "approved", "final_text": "x", "outbox_key": "approved:twitter:c2:official"}
    )
    record = await store.get_record(RecordKind.DRAFT, other)
    assert record is not None
    await store.cas_record(RecordKind.DRAFT, other, expected_version=record.version, data=lost.data())
    await watcher.tick()
    assert await store.get_outbox("approved:twitter:c2:official") is not None


def test_drafts_in_the_authors_language_without_robot_label() -> None:
    for lang, words in (("es", "lamentamos"), ("en", "sorry"), ("pt", "lamentamos")):
        msg = make_message("m", "x", handle="@vale")
        ctx = MessageContext(message=msg, now=msg.created_at, language=lang, risks=frozenset({"press"}))
        draft = draft_for(ctx, "crisis:twitter:m")
        assert draft.text.startswith("@vale ") and words in draft.text and "[" not in draft.text
    safety = MessageContext(message=msg, now=msg.created_at, language="en", risks=frozenset({"safety"}))
    assert "safety" in draft_for(safety, "a").text
    article = ArticleCandidate(article_id="kb-outage", title="Outages", url="https://help.example/outage")
    confident = MessageContext(message=msg, now=msg.created_at, language="en", kb_answer=article)
    assert draft_for(confident, "a").source == "kb:kb-outage"
    unsure = MessageContext(message=msg, now=msg.created_at, language="en", kb_candidates=[article])
    assert draft_for(unsure, "a").source == "template:crisis_holding"


def test_decision_model_is_unchanged_by_drafts() -> None:
    assert "draft" not in Decision.model_fields
