"""Campaign records and their lifecycle: draft → approved → running → paused / cancelled → done.

Why records and not the scheduler's memory: a campaign must post once across restarts, deploys
and replicas, so its state (status, who approved which content, which posts were already handed
to the outbox or skipped) lives in the records store under `RecordKind.CAMPAIGN`, and every
change is a compare-and-set on the record's version. Two approvers, or a leader and an operator
pausing at the same moment, each see one consistent outcome.

Approval is of one content: editing an approved campaign's file (a different digest) sends it
back to draft, so nothing a person did not approve is ever posted.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final, Literal

from bot.core.models import AuditEvent, Record, utc_now
from bot.core.records import RecordKind
from bot.store.base import Store
from bot.store.records import Page, RecordFilter
from scheduler.campaign_file import CampaignDefinition
from scheduler.campaign_plan import DEFAULT_LANGUAGES, CampaignPlan, plan_definition, plan_text

log = logging.getLogger(__name__)

CampaignStatus = Literal["draft", "approved", "running", "paused", "cancelled", "done"]
CAMPAIGN_STATUSES: Final = ("draft", "approved", "running", "paused", "cancelled", "done")
ACTIVE: Final = ("approved", "running")
"""Statuses whose due posts the scheduler hands to the outbox."""
CampaignAction = Literal["approve", "pause", "resume", "cancel"]
_FROM: Final[dict[str, tuple[str, ...]]] = {
    "approve": ("draft",),
    "pause": ("approved", "running"),
    "resume": ("paused",),
    "cancel": ("draft", "approved", "running", "paused"),
}
_CAS_ATTEMPTS: Final = 5
AUDIT_KIND: Final = "campaign"


@dataclass(frozen=True, slots=True)
class BookResult:
    """What happened, in words fit for the person who asked; `record` is the state afterwards."""

    ok: bool
    message: str
    record: Record | None = None
    plan: CampaignPlan | None = None
    status_code: int = 200
    changed: bool = False


class CampaignBook:
    """Define, list, show and move campaigns through their lifecycle (API, CLI, folder, leader)."""

    def __init__(
        self,
        store: Store,
        *,
        clock: Callable[[], datetime] = utc_now,
        languages: Sequence[str] = DEFAULT_LANGUAGES,
        segments: bool = False,
    ) -> None:
        self._store = store
        self._clock = clock
        self._languages = tuple(languages)
        self._segments = segments

    @property
    def languages(self) -> tuple[str, ...]:
        return self._languages

    async def plan(self, record: Record) -> CampaignPlan:
        """The stored definition expanded (it was valid when stored, so it has no errors).

        In a thread: the first use of a time zone reads its file from the system's tz database.
        """
        definition = CampaignDefinition.model_validate(record.data["definition"])
        return await asyncio.to_thread(plan_definition, definition, self._languages)

    async def get(self, campaign_id: str) -> Record | None:
        return await self._store.records.get_record(RecordKind.CAMPAIGN, campaign_id)

    async def query(self, *, status: str | None, cursor: str | None, limit: int) -> Page[Record]:
        where = RecordFilter(kind=RecordKind.CAMPAIGN, status=status)
        return await self._store.records.query_records(where, cursor=cursor, limit=limit)

    async def every(self, status: str | None) -> list[Record]:
        """Every campaign (in `status`), all pages, newest first."""
        found: list[Record] = []
        cursor: str | None = None
        while True:
            page = await self.query(status=status, cursor=cursor, limit=500)
            found.extend(page.items)
            if page.next is None:
                return found
            cursor = page.next

    async def active(self) -> list[Record]:
        """Every approved or running campaign."""
        return [record for status in ACTIVE for record in await self.every(status)]

    async def define(self, text: str, *, actor: str, source: str) -> BookResult:
        """Store a campaign file's content as a draft; refused, with every problem, if invalid."""
        plan = await asyncio.to_thread(plan_text, text, self._languages)  # tz files, see `plan`
        if not plan.ok or plan.definition is None:
            return BookResult(
                False, f"{len(plan.errors)} problem(s) in the campaign", plan=plan, status_code=400
            )
        definition = plan.definition
        if definition.segment is not None and not self._segments:
            message = "segment campaigns need a source of customers and followers, and none is configured"
            return BookResult(False, message, plan=plan, status_code=400)
        for _ in range(_CAS_ATTEMPTS):
            current = await self.get(definition.id)
            outcome = self._defined(current, definition, actor=actor, source=source)
            if isinstance(outcome, BookResult):
                return outcome
            version = current.version if current is not None else 0
            if await self._store.records.cas_record(
                RecordKind.CAMPAIGN, definition.id, expected_version=version, data=outcome
            ):
                await self._audit(
                    definition.id, "defined", actor, {"digest": definition.digest(), "source": source}
                )
                stored = await self.get(definition.id)
                return BookResult(True, f"campaign {definition.id} is a draft", stored, plan, changed=True)
        return BookResult(False, "the campaign changed while being defined; try again", status_code=409)

    def _defined(
        self, current: Record | None, definition: CampaignDefinition, *, actor: str, source: str
    ) -> dict[str, Any] | BookResult:
        """The new record data, or the answer when nothing is to be written."""
        digest = definition.digest()
        if current is None:
            data: dict[str, Any] = {"id": definition.id, "status": "draft", "handled": {}, "history": []}
        else:
            data = dict(current.data)
            if data.get("digest") == digest:
                return BookResult(True, f"campaign {definition.id} is unchanged ({data['status']})", current)
            if data["status"] in ("cancelled", "done"):
                message = f"campaign {definition.id} is {data['status']}: define a new one with another id"
                return BookResult(False, message, current, status_code=409)
        previous = data["status"]
        data.update(
            name=definition.name,
            status="draft",
            definition=definition.model_dump(mode="json"),
            digest=digest,
            source=source,
            defined_by=actor,
            approved_by=None,
        )
        data["history"] = [*data["history"], self._event("define", actor, previous, "draft")]
        return data

    async def act(
        self, campaign_id: str, action: CampaignAction, *, actor: str, digest: str | None = None
    ) -> BookResult:
        """Approve, pause, resume or cancel, if the campaign's status allows it.

        With `digest`, only the content of that digest (the one the person saw) is acted on.
        """
        for _ in range(_CAS_ATTEMPTS):
            current = await self.get(campaign_id)
            if current is None:
                return BookResult(False, f"no campaign {campaign_id}", status_code=404)
            if digest is not None and current.data.get("digest") != digest:
                message = f"campaign {campaign_id} changed since that preview: act on its newer one"
                return BookResult(False, message, current, status_code=409)
            status = current.data["status"]
            if status not in _FROM[action]:
                return BookResult(
                    False, f"campaign {campaign_id} is {status}: cannot {action} it", current, status_code=409
                )
            target = self._target(action, current)
            data = {**current.data, "status": target}
            if action == "approve":
                data.update(approved_by=actor, approved_at=self._clock().isoformat())
            if action == "pause":
                data["paused_from"] = status
            data["history"] = [*current.data["history"], self._event(action, actor, status, target)]
            if await self._store.records.cas_record(
                RecordKind.CAMPAIGN, campaign_id, expected_version=current.version, data=data
            ):
                await self._audit(campaign_id, action, actor, {"from": status, "to": target})
                log.info("campaign %s: %s by %s (%s -> %s)", campaign_id, action, actor, status, target)
                return BookResult(True, f"campaign {campaign_id} is {target}", await self.get(campaign_id))
        return BookResult(False, "the campaign changed meanwhile; try again", status_code=409)

    @staticmethod
    def _target(action: CampaignAction, current: Record) -> str:
        if action == "resume":
            return str(current.data.get("paused_from") or "approved")
        return {"approve": "approved", "pause": "paused", "cancel": "cancelled"}[action]

    async def settle(self, campaign_id: str, handled: dict[str, str], *, finished: bool) -> bool:
        """Record posts handed to the outbox or skipped; running once any is, done when all are.

        Only an active campaign moves: one paused or cancelled meanwhile keeps its status (its
        posts already in the outbox are the ones the outbox keys made exactly once).
        """
        for _ in range(_CAS_ATTEMPTS):
            current = await self.get(campaign_id)
            if current is None or current.data["status"] not in ACTIVE:
                return False
            merged = {**current.data.get("handled", {}), **handled}
            status = "done" if finished else "running"
            data = {**current.data, "handled": merged, "status": status}
            if status != current.data["status"]:
                event = self._event(status, "scheduler", current.data["status"], status)
                data["history"] = [*current.data["history"], event]
            if await self._store.records.cas_record(
                RecordKind.CAMPAIGN, campaign_id, expected_version=current.version, data=data
            ):
                return True
        return False

    def _event(self, action: str, actor: str, before: str | None, after: str) -> dict[str, Any]:
        return {
            "at": self._clock().isoformat(),
            "action": action,
            "actor": actor,
            "from": before,
            "to": after,
        }

    async def _audit(self, campaign_id: str, action: str, actor: str, detail: dict[str, Any]) -> None:
        event = AuditEvent(
            at=self._clock(),
            kind=AUDIT_KIND,
            subject=campaign_id,
            actor=actor,
            detail={"action": action, **detail},
        )
        await self._store.append_audit([event])
