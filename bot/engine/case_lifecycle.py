"""A case's life after it opens: open → pending → solved → closed, and staff notes.

Why one service for the API, the CLI (and later the war-room and the CRM): every status change
is a compare-and-set on the case, audited with who did it, and a change to `solved` queues the
customer's notice in the outbox under a key made of the case and its reopen count, so the
customer hears it once per solution however many times (or from wherever) it is marked solved.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from bot.core.cases import Case, CaseComment, CaseStatus
from bot.core.channels import window_payload
from bot.core.models import AuditEvent, OutboxItem, utc_now
from bot.engine.cases import ATTEMPTS, load_case, save_case
from bot.engine.crm_queue import mark_for_sync
from bot.store.records import RecordStore
from responders.case import case_solved_text

ChangeOutcome = Literal["changed", "unchanged", "not_found", "refused"]


@dataclass(frozen=True, slots=True)
class CaseChange:
    outcome: ChangeOutcome
    message: str
    case: Case | None = None

    @property
    def ok(self) -> bool:
        return self.outcome in ("changed", "unchanged")


def actor_is_crm(actor: str) -> bool:
    """Changes reported by a CRM carry `crm:<name>` as their actor."""
    return actor.startswith("crm:")


def solved_notice_key(case: Case) -> str:
    """One notice per solution: a reopened and solved-again case tells the customer again."""
    return f"case_solved:{case.id}:{case.reopened}"


class CaseLifecycle:
    """Status changes and notes on cases, for every caller alike."""

    def __init__(self, store: RecordStore) -> None:
        self._store = store

    async def set_status(
        self,
        case_id: str,
        status: CaseStatus,
        *,
        actor: str,
        note: str | None = None,
        now: datetime | None = None,
    ) -> CaseChange:
        at = now or utc_now()

        async def step(case: Case) -> CaseChange | None:
            if case.status == status:
                return CaseChange("unchanged", f"case {case_id} is already {status}", case)
            if not case.may_become(status):
                refused = f"case {case_id} is {case.status}; it cannot become {status}"
                return CaseChange("refused", refused, case)
            saved = await save_case(self._store, self._changed(case, status, actor, note, at))
            if saved is None:
                return None
            detail = {"from": case.status, "to": status}
            await self._audit("case_status", case_id, actor, at, detail)
            if not actor_is_crm(actor):  # the CRM told us: no need to tell it back
                await mark_for_sync(self._store, saved, only_if_tracked=True)
            if status == "solved" and saved.reply_target is not None:  # erased: no one to tell
                await self._store.add_outbox([self._solved_notice(saved, at)])
            return CaseChange("changed", f"case {case_id} is now {status}", saved)

        return await self._retry(case_id, step)

    async def add_note(
        self, case_id: str, text: str, *, actor: str, now: datetime | None = None
    ) -> CaseChange:
        at = now or utc_now()

        async def step(case: Case) -> CaseChange | None:
            key = f"note:{len(case.comments) + 1}"
            note = CaseComment(key=key, at=at, author=actor, text=text, kind="note")
            update = {"comments": [*case.comments, note], "updated_at": at}
            if case.first_response_at is None:
                update["first_response_at"] = at
            saved = await save_case(self._store, case.model_copy(update=update))
            if saved is None:
                return None
            await self._audit("case_note", case_id, actor, at, {})
            await mark_for_sync(self._store, saved, only_if_tracked=True)
            return CaseChange("changed", f"note added to case {case_id}", saved)

        return await self._retry(case_id, step)

    async def _retry(self, case_id: str, step: Callable[[Case], Awaitable[CaseChange | None]]) -> CaseChange:
        """`step` on the freshest case until its compare-and-set holds (None: someone wrote first)."""
        for _ in range(ATTEMPTS):
            case = await load_case(self._store, case_id)
            if case is None:
                return CaseChange("not_found", f"no case {case_id}")
            result = await step(case)
            if result is not None:
                return result
        return CaseChange("refused", f"case {case_id} is changing too often; try again")

    async def _audit(self, kind: str, case_id: str, actor: str, at: datetime, detail: dict[str, Any]) -> None:
        event = AuditEvent(at=at, kind=kind, subject=case_id, actor=actor, detail=detail)
        await self._store.append_audit([event])

    def _changed(self, case: Case, status: CaseStatus, actor: str, note: str | None, at: datetime) -> Case:
        entry = CaseComment(
            key=f"status:{len(case.comments) + 1}",
            at=at,
            author=actor,
            text=f"{case.status} → {status}" + (f": {note}" if note else ""),
            kind="status",
        )
        update: dict[str, Any] = {"status": status, "updated_at": at, "comments": [*case.comments, entry]}
        update |= case.pause_update(status, at)
        if case.first_response_at is None:
            update["first_response_at"] = at
        if status == "solved":
            update["solved_at"] = at
        elif status == "closed":
            update["closed_at"] = at
        elif status == "open":
            update |= {"solved_at": None, "reopened": case.reopened + (case.status == "solved")}
        return case.model_copy(update=update)

    def _solved_notice(self, case: Case, at: datetime) -> OutboxItem:
        """On the customer's own thread, in their language, as the robot (an automatic notice)."""
        last_heard = max((c.at for c in case.comments if c.kind == "message"), default=case.opened_at)
        return OutboxItem(
            idempotency_key=solved_notice_key(case),
            account="robot",
            channel=case.channel,
            target=case.reply_target,
            recipient=case.author or None,
            text=case_solved_text(case, language=case.language),
            payload=window_payload(case.channel, last_heard),
            message_key=case.message_key,
            created_at=at,
            next_attempt_at=at,
        )
