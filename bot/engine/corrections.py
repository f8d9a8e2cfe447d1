"""A person says a decision was wrong: the right action, kept as a record and audited.

Why a record of its own and not an edit of the decision: the decision is what the robot did
(the audit trail and the aggregates count it); the correction is what a person says it should
have done. Keeping both lets the Quality view count the automatic answers people later
corrected, by the message's own time like every other figure, and lets a person change their
mind (a new correction replaces the earlier one; each is audited). One correction per message
(the record id is the message key), so reposting the same one changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from pydantic import BaseModel

from bot.core.models import Action, AuditEvent, utc_now
from bot.core.records import RecordKind
from bot.store.base import Store
from bot.store.sql.rows import channel_of_key
from bot.store.sql.stats import when

CorrectionOutcome = Literal["corrected", "unchanged", "not_found", "refused"]
STATUS = "corrected"


class Correction(BaseModel):
    """The stored body: what was decided, what a person says was right, who and when."""

    message_key: str
    channel: str
    decided: Action
    action: Action
    reason: str = ""
    actor: str
    at: datetime
    message_at: datetime
    # The decision's cuts, so the Quality view's filters apply to corrections as to decisions.
    language: str = ""
    topic: str = ""
    region: str = ""
    status: str = STATUS


@dataclass(frozen=True, slots=True)
class CorrectionResult:
    outcome: CorrectionOutcome
    message: str
    correction: Correction | None = None


async def load_correction(store: Store, message_key: str) -> Correction | None:
    found = await store.records.get_record(RecordKind.CORRECTION, message_key)
    return Correction.model_validate(found.data) if found else None


async def correct_decision(
    store: Store,
    message_key: str,
    action: Action,
    *,
    actor: str,
    reason: str = "",
    now: datetime | None = None,
) -> CorrectionResult:
    """Record that `action` was the right one for the message's decision."""
    decision = await store.get_decision(message_key)
    if decision is None:
        return CorrectionResult("not_found", f"no decision for {message_key}")
    if action == decision.action:
        return CorrectionResult("refused", f"{message_key} was already decided {action}; nothing to correct")
    earlier = await load_correction(store, message_key)
    if earlier is not None and earlier.action == action:
        return CorrectionResult("unchanged", f"{message_key} is already corrected to {action}", earlier)
    at = now or utc_now()
    correction = Correction(
        message_key=message_key, channel=channel_of_key(message_key) or "", decided=decision.action,
        action=action, reason=reason, actor=actor, at=at, message_at=when(decision),
        language=decision.language, topic=decision.topic, region=decision.region,
    )  # fmt: skip
    await store.records.put_record(RecordKind.CORRECTION, message_key, correction.model_dump(mode="json"))
    detail = {"from": decision.action, "to": action, "reason": reason}
    event = AuditEvent(at=at, kind="decision_correction", subject=message_key, actor=actor, detail=detail)
    await store.append_audit([event])
    done = f"{message_key}: {decision.action} corrected to {action}"
    return CorrectionResult("corrected", done, correction)
