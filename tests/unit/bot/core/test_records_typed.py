"""Typed agent-queue and draft records store exactly the fields the dict-built ones did.

Old stores keep working only if the models write the same data and read what is already there.
"""

from __future__ import annotations

from datetime import UTC, datetime

from bot.core.agent_queue import AgentQueueEntry
from bot.core.context import MessageContext
from bot.core.drafts import Draft
from bot.core.effects import SaveRecord
from bot.core.incidents import Incident
from bot.core.models import ArticleCandidate, Decision, Record
from bot.core.records import RecordKind
from responders.agent import AgentResponder
from tests.conftest import make_message

NOW = datetime(2026, 5, 21, 10, tzinfo=UTC)


async def test_the_agent_queue_entry_keeps_the_stored_shape_and_reads_back() -> None:
    msg = make_message("m1", "quiero hablar con una persona", created_at=NOW)
    ctx = MessageContext(message=msg, now=NOW, language="es")
    article = ArticleCandidate(article_id="a1", topic="billing", score=0.4)
    decision = Decision(
        message_key=msg.key, action="agent", reason="asks for a person", rule="human", candidates=[article]
    )
    (effect,) = await AgentResponder().respond(ctx, decision)
    assert isinstance(effect, SaveRecord) and effect.kind == RecordKind.AGENT_QUEUE
    data = effect.data
    assert data == {
        "status": "open",
        "message_key": "twitter:m1",
        "channel": "twitter",
        "author": "@ana",
        "text": "quiero hablar con una persona",
        "language": "es",
        "reason": "asks for a person",
        "candidates": [article.model_dump()],
        "created_at": NOW.isoformat(),
    }
    record = Record(kind=RecordKind.AGENT_QUEUE, id="twitter:m1", version=1, data=data)
    entry = AgentQueueEntry.from_record(record)
    assert entry.candidates == [article] and entry.data() == data


def test_a_stored_draft_reads_as_the_core_model() -> None:
    data = {
        "status": "pending",
        "alert_id": "crisis:1",
        "message_key": "twitter:m1",
        "message_id": "m1",
        "channel": "twitter",
        "text": "Lo sentimos",
        "created_at": NOW.isoformat(),
    }
    draft = Draft.from_record(Record(kind=RecordKind.DRAFT, id="twitter:m1", version=3, data=data))
    assert (draft.id, draft.version, draft.status) == ("twitter:m1", 3, "pending")
    assert {k: v for k, v in draft.data().items() if k in data} == data


def test_an_incident_stores_only_the_fields_its_writer_set_and_keeps_unknown_ones() -> None:
    detected = Incident(
        status="open", alert_id="spike:1", topic="topic:no-internet", opened_at=NOW.isoformat()
    )
    assert detected.data() == {
        "status": "open",
        "opened_at": NOW.isoformat(),
        "topic": "topic:no-internet",
        "alert_id": "spike:1",
    }
    later = {**detected.data(), "severity": "high"}  # a field this release does not know
    record = Record(kind=RecordKind.INCIDENT, id="spike:1", version=2, data=later)
    read = Incident.from_record(record)
    assert read.data() == later and not read.declared and read.match_keys == []
