"""The typed alert record stores exactly what the dict-built alerts did, and reads old ones.

Old stores keep working only if every writer (crisis, spike, SLA) stores the same fields through
the model, and a record written before the model (with fields this release does not know) reads
back and writes back unchanged.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

from bot.core.alerts import Alert
from bot.core.models import Record
from bot.core.records import RecordKind

NOW = datetime(2026, 5, 21, 10, tzinfo=UTC)

# As the crisis responder wrote it before the model (bot/responders/crisis.py, dict literal),
# after the thread watcher appended a reply and the war-room acknowledged it.
OLD_CRISIS = {
    "kind": "crisis",
    "status": "acknowledged",
    "message_key": "twitter:m1",
    "message_id": "m1",
    "channel": "twitter",
    "author": "@ana",
    "followers": 12000,
    "verified": True,
    "text": "esto es una estafa",
    "language": "es",
    "why": "legal threat",
    "risks": ["legal"],
    "at": NOW.isoformat(),
    "first_message_at": NOW.isoformat(),
    "draft_id": "twitter:m1",
    "incident_id": None,
    "related_articles": [{"id": "a1", "title": "Facturas", "url": "https://kb/a1"}],
    "related_messages": [{"key": "twitter:m2", "author": "@bo", "text": "yo también", "action": "case"}],
    "acknowledged_by": "U1",
    "acknowledged_at": NOW.isoformat(),
}
# As the spike watcher wrote it: JSON turned the curve's pairs into lists.
OLD_SPIKE = {
    "kind": "spike",
    "status": "open",
    "topic": "topic:no-internet|region:madrid",
    "at": NOW.isoformat(),
    "updated_at": NOW.isoformat(),
    "first_message_at": NOW.isoformat(),
    "count": 40,
    "baseline_per_window": 2.5,
    "negative_share": 0.9,
    "keys": ["topic:no-internet|region:madrid"],
    "message_keys": ["twitter:m1"],
    "curve": [[NOW.isoformat(), 40]],
    "outage_id": "O-1",
    "severity": "high",  # a field this release does not know
}
OLD_SLA = {
    "kind": "sla",
    "status": "open",
    "topic": "C-1 resolution missed",
    "at": NOW.isoformat(),
    "case_id": "C-1",
    "sla": "resolution",
    "level": "breach",
    "due": NOW.isoformat(),
    "priority": "urgent",
    "channel": "whatsapp",
}


def test_records_written_before_the_model_read_and_write_back_unchanged() -> None:
    for old in (OLD_CRISIS, OLD_SPIKE, OLD_SLA):
        stored = json.loads(json.dumps(old))  # as the store hands it back
        alert = Alert.from_record(Record(kind=RecordKind.ALERT, id="a", version=3, data=stored))
        assert alert.data() == old
        assert json.dumps(alert.data(), sort_keys=True) == json.dumps(old, sort_keys=True)
    spike = Alert.model_validate(OLD_SPIKE)
    assert (spike.kind, spike.count, spike.outage_id, spike.case_id) == ("spike", 40, "O-1", None)


def test_a_model_built_alert_stores_only_the_fields_its_writer_set_and_round_trips() -> None:
    sla = Alert(kind="sla", status="open", topic="C-1 resolution missed", case_id="C-1", level="breach")
    assert sla.data() == {
        "kind": "sla",
        "status": "open",
        "topic": "C-1 resolution missed",
        "case_id": "C-1",
        "level": "breach",
    }
    read = Alert.from_record(Record(kind=RecordKind.ALERT, id="sla:C-1", version=1, data=sla.data()))
    assert read == sla and read.data() == sla.data()
    read.acknowledged_by, read.status = "U1", "acknowledged"  # the war-room's change is stored
    assert read.data() == {**sla.data(), "acknowledged_by": "U1", "status": "acknowledged"}
