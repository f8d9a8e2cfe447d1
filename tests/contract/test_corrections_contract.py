"""Corrected answers on the Quality view: counted by the message's time on every records backend."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from bot.core.records import RecordKind
from bot.engine.corrections import Correction
from bot.store.records import RecordStore
from bot.store.stats import StatFilter
from bot.web.stats_corrections import corrections

T0 = datetime(2026, 5, 20, 9, 0, tzinfo=UTC)
DAY = T0 + timedelta(days=1)


async def _correction(records: RecordStore, key: str, written: datetime, **fields: Any) -> None:
    body: dict[str, Any] = {
        "decided": "answer",
        "action": "case",
        "actor": "api:ana",
        "at": DAY + timedelta(days=3),
    }
    c = Correction(message_key=key, channel=key.split(":")[0], message_at=written, **{**body, **fields})
    await records.put_record(RecordKind.CORRECTION, key, c.model_dump(mode="json"))


async def test_counts_the_span_messages_corrections_with_the_filters(records: RecordStore) -> None:
    await _correction(records, "twitter:1", T0, topic="billing")
    await _correction(records, "twitter:2", DAY - timedelta(seconds=1), action="agent", region="madrid")
    await _correction(records, "email:3", T0, decided="monitor", action="crisis", language="en")
    await _correction(records, "twitter:4", T0 - timedelta(seconds=1))  # the message is older
    await _correction(records, "twitter:5", DAY)  # the end is exclusive

    every = await corrections(records, T0, DAY, StatFilter(), automatic=8)
    assert (every.corrections, every.answers_corrected, every.answers_corrected_rate) == (3, 2, 0.25)
    assert every.answers_corrected_to == {"case": 1, "agent": 1}
    madrid = await corrections(records, T0, DAY, StatFilter(region="madrid"), automatic=1)
    assert (madrid.corrections, madrid.answers_corrected_to) == (1, {"agent": 1})
    email = await corrections(records, T0, DAY, StatFilter(channel="email"), automatic=0)
    assert (email.corrections, email.answers_corrected, email.answers_corrected_rate) == (1, 0, 0.0)
    assert (await corrections(records, T0, DAY, StatFilter(topic="billing"), automatic=1)).corrections == 1
    assert (await corrections(records, DAY + timedelta(days=1), DAY + timedelta(days=2), StatFilter(),
                              automatic=0)).corrections == 0  # fmt: skip
