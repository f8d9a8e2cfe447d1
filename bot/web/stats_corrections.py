"""Answers later corrected by a person, for the Quality view.

Why by the message's own time: the automatic-answer rate beside it counts decisions by when the
message was written, so the corrected share must count the same messages. Corrections are read
through the indexed `created_at` from the span's start (a correction comes after its message)
and the `channel` column, and kept when the message's time falls in the span.
"""

from __future__ import annotations

from datetime import datetime

from bot.core.records import RecordKind
from bot.engine.corrections import Correction
from bot.store.records import RecordFilter, RecordStore
from bot.store.scan import iter_records
from bot.store.stats import StatFilter
from bot.web.stats_models import CorrectionsOut


def _matches(c: Correction, where: StatFilter) -> bool:
    wanted = {"language": where.language, "region": where.region, "topic": where.topic}
    return all(value is None or getattr(c, name) == value for name, value in wanted.items())


async def corrections(
    records: RecordStore, since: datetime, until: datetime, where: StatFilter, *, automatic: int
) -> CorrectionsOut:
    """Corrections of the decisions on messages written in [since, until); `automatic` is the
    span's automatic answers, the base of the corrected share."""
    total, answers = 0, 0
    corrected_to: dict[str, int] = {}
    after_start = RecordFilter(RecordKind.CORRECTION, channel=where.channel, since=since)
    async for record in iter_records(records, after_start):
        c = Correction.model_validate(record.data)
        if not since <= c.message_at < until or not _matches(c, where):
            continue
        total += 1
        if c.decided == "answer":
            answers += 1
            corrected_to[c.action] = corrected_to.get(c.action, 0) + 1
    return CorrectionsOut(
        corrections=total,
        answers_corrected=answers,
        answers_corrected_rate=round(answers / automatic, 3) if automatic else 0.0,
        answers_corrected_to=corrected_to,
    )
