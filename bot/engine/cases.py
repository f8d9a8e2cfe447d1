"""Open a case, or join the customer's open one: one case per problem, not per message.

Why in the engine and not in the responder: whether a follow-up joins a case depends on the
stored cases, and must hold across replicas and redeliveries. Three small records make it so:
- `counter/case` hands out the numbers of the references (`C-1001`, ...) by compare-and-set,
  a block of ten at a time per process;
- `case_identity/<identity>` points at the identity's latest case; only the writer whose
  compare-and-set moves it opens a case, every other writer joins that case. A new case, its
  pointer and the message's record are written by one `cas_records` (all or nothing, one
  round trip), so the loser of a race leaves no case behind;
- `case_message/<message key>` remembers what a message did, so a redelivery acknowledges the
  same case the same way instead of opening another one.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from bot.core.cases import (
    ACTIVE,
    DUPLICATE_REASON,
    FIRST_NUMBER,
    PRIORITIES,
    Case,
    CaseComment,
    CaseOutcome,
    case_reference,
    customer_identity,
)
from bot.core.models import InboundMessage, Record
from bot.core.records import RecordKind
from bot.engine.case_lookups import CaseAnswers, CaseLookups, Pointer
from bot.engine.crm_queue import mark_for_sync
from bot.engine.customers import customer_linked, customer_of, load_customer
from bot.engine.versioned import load_versioned, save_versioned
from bot.store.records import RecordFilter, RecordStore, RecordSwap
from responders.case_priority import raise_priority

log = logging.getLogger(__name__)

ATTEMPTS = 16
NUMBER_BLOCK = 10
MAX_COMMENTS = 200


@dataclass(frozen=True, slots=True)
class CaseResult:
    case: Case
    outcome: CaseOutcome
    # The language to answer in: the customer's preferred one when known, else the message's.
    language: str


async def load_case(store: RecordStore, case_id: str) -> Case | None:
    return await load_versioned(store, RecordKind.CASE, case_id, Case)


async def save_case(store: RecordStore, case: Case) -> Case | None:
    """Compare-and-set on the version `case` was read at; None when someone wrote in between."""
    return await save_versioned(store, RecordKind.CASE, case)


class CaseBook:
    """Opens, joins and reopens cases from the pipeline's `OpenCase` effects."""

    def __init__(
        self, store: RecordStore, *, reopen_window: timedelta = timedelta(days=7), crm: bool = True
    ) -> None:
        self._store = store
        self._crm = crm  # a CRM is configured: new and joined cases are marked for its sync
        self._reopen_window = reopen_window
        self._numbers: list[int] = []
        self._numbers_lock = asyncio.Lock()
        self._lookups = CaseLookups(store)

    def prefetch(self, messages: Sequence[InboundMessage]) -> None:
        """A batch was claimed: what its complaints will ask the store is asked now, at once."""
        self._lookups.prefetch(messages)

    async def open_or_join(self, draft: Case) -> CaseResult:
        ahead = await self._lookups.take(draft.message_key, draft.channel, draft.author)
        draft = await self._with_customer(draft, ahead)
        if ahead is not None:
            handled = ahead.handled
        else:
            handled = await self._store.get_record(RecordKind.CASE_MESSAGE, draft.message_key)
        if handled is not None:
            case = await load_case(self._store, str(handled.data["case_id"]))
            if case is not None:
                return CaseResult(case, handled.data["outcome"], draft.language)
        for attempt in range(ATTEMPTS):
            if attempt:  # lost a race: maybe to a redelivery of this very message elsewhere
                handled = await self._store.get_record(RecordKind.CASE_MESSAGE, draft.message_key)
                case = await load_case(self._store, str(handled.data["case_id"])) if handled else None
                if handled is not None and case is not None:
                    return CaseResult(case, handled.data["outcome"], draft.language)
            # The batch's answer holds for the first attempt; a retry (another writer moved the
            # identity's pointer meanwhile) asks again.
            result = await self._attempt(draft, None if attempt else ahead)
            if result is not None:
                if self._crm:
                    await mark_for_sync(self._store, result.case)
                return result
        raise RuntimeError(f"case for {draft.message_key}: too many concurrent writers")

    async def _attempt(self, draft: Case, ahead: CaseAnswers | None) -> CaseResult | None:
        """One try: the case written together with the identity's pointer and what the message
        did (`cas_records`: all or nothing, one round trip); None when another writer moved
        any of them first (nothing of this try is left behind: the caller reads again).
        `ahead`: the batch's answers, for the first try only."""
        known = self._lookups.pointer(ahead, draft.identity)
        with self._lookups.writing(draft.identity):  # entered with no await since `pointer`
            return await self._try(draft, ahead.opened if ahead else None, known)

    async def _try(
        self, draft: Case, opened: list[Record] | None, known: Pointer | None
    ) -> CaseResult | None:
        if known is not None:
            pointer = known.record
            found = known.case
            current = Case.from_record(found.id, found.version, found.data) if found is not None else None
        else:
            pointer = await self._store.get_record(RecordKind.CASE_IDENTITY, draft.identity)
            current = await load_case(self._store, str(pointer.data["case_id"])) if pointer else None
        if (
            current is not None
            and current.message_key != draft.message_key
            and self._joinable(current, draft)
        ):
            outcome: CaseOutcome = "joined" if current.status in ACTIVE else "reopened"
            joined = self._joined(current, draft)
            swaps = [RecordSwap(RecordKind.CASE, joined.id, current.version, joined.record_data())]
            if not await self._store.cas_records([*swaps, self._handled(draft, joined, outcome)]):
                return None
            return CaseResult(
                joined.model_copy(update={"version": current.version + 1}), outcome, draft.language
            )
        case = current if current is not None and current.message_key == draft.message_key else None
        case = case or await self._opened_by(draft.message_key, opened)
        swaps = []
        if case is None:
            case = await self._drafted(draft)
            swaps.append(RecordSwap(RecordKind.CASE, case.id, 0, case.record_data()))
        if pointer is None or pointer.data.get("case_id") != case.id:
            version = pointer.version if pointer else 0
            swaps.append(RecordSwap(RecordKind.CASE_IDENTITY, draft.identity, version, {"case_id": case.id}))
        if not await self._store.cas_records([*swaps, self._handled(draft, case, "opened")]):
            return None
        if swaps and swaps[0].kind == RecordKind.CASE:
            case = case.model_copy(update={"version": 1})
        return CaseResult(case, "opened", draft.language)

    @staticmethod
    def _handled(draft: Case, case: Case, outcome: CaseOutcome) -> RecordSwap:
        """What the message did, written with its case: a redelivery acknowledges the same."""
        data = {"case_id": case.id, "outcome": outcome}
        return RecordSwap(RecordKind.CASE_MESSAGE, draft.message_key, 0, data)

    async def _with_customer(self, draft: Case, ahead: CaseAnswers | None) -> Case:
        """A known customer's case carries their id (so any of their channels joins it), and
        their preferred language wins."""
        if draft.customer_id:
            customer = await load_customer(self._store, draft.customer_id)
        elif ahead is not None and ahead.identity is not None:
            customer = await customer_linked(self._store, ahead.identity[0])
        else:
            customer = await customer_of(self._store, draft.channel, draft.author)
        if customer is None or customer.erased:
            return draft
        update = {"customer_id": customer.id, "identity": customer_identity(customer.id)}
        if customer.preferred_language:
            update["language"] = customer.preferred_language
        return draft.model_copy(update=update)

    def _joinable(self, current: Case, draft: Case) -> bool:
        return current.status in ACTIVE or current.reopenable(draft.opened_at, self._reopen_window)

    async def _opened_by(self, message_key: str, opened: list[Record] | None) -> Case | None:
        """The case this message opened in an earlier, interrupted attempt (a redelivery);
        `opened`: the cases keyed by this message, when the batch's look-up found them."""
        if opened is None:
            page = await self._store.query_records(RecordFilter(RecordKind.CASE, key=message_key), limit=5)
            opened = page.items
        for record in opened:
            case = Case.from_record(record.id, record.version, record.data)
            if case.reason != DUPLICATE_REASON:
                return case
        return None

    async def _drafted(self, draft: Case) -> Case:
        """The new case, numbered; written by the caller together with its pointer."""
        number = await self._next_number()
        return draft.model_copy(update={"id": case_reference(number), "updated_at": draft.opened_at})

    async def _next_number(self) -> int:
        """The next reference number. Numbers are taken from the shared counter a block at a
        time (one compare-and-set per `NUMBER_BLOCK` cases, not per case, so replicas and
        workers do not queue on one row); a process that stops leaves the rest of its block
        unused: references are unique and grow, with gaps."""
        async with self._numbers_lock:
            if not self._numbers:
                start = await self._reserve_block()
                self._numbers = list(range(start, start + NUMBER_BLOCK))
            return self._numbers.pop(0)

    async def _reserve_block(self) -> int:
        for _ in range(ATTEMPTS * 4):
            record = await self._store.get_record(RecordKind.COUNTER, "case")
            start = int(record.data["next"]) if record else FIRST_NUMBER
            data: dict[str, Any] = {"next": start + NUMBER_BLOCK}
            if await self._store.cas_record(
                RecordKind.COUNTER, "case", expected_version=record.version if record else 0, data=data
            ):
                return start
        raise RuntimeError("case counter: too many concurrent writers")

    def _joined(self, current: Case, draft: Case) -> Case:
        """`current` with `draft`'s message added as a comment (once), reopened if it was over."""
        if any(c.key == draft.message_key for c in current.comments):
            return current
        comment = CaseComment(key=draft.message_key, at=draft.opened_at, author=draft.author, text=draft.text)
        contacts = current.contacts + 1
        priority = max(current.priority, draft.priority, key=PRIORITIES.index)
        if contacts == 2:  # repeat contact: the customer had to write again
            priority = raise_priority(priority)
        update: dict[str, Any] = {
            "comments": [*current.comments, comment][-MAX_COMMENTS:],
            "contacts": contacts,
            "priority": priority,
            "updated_at": draft.opened_at,
            "incident_id": current.incident_id or draft.incident_id,
        }
        if current.status not in ACTIVE:
            update |= {
                "status": "open",
                "reopened": current.reopened + 1,
                "solved_at": None,
                "closed_at": None,
            }
        elif current.status == "pending":  # the customer answered: the wait, and the pause, end
            update |= {"status": "open", **current.pause_update("open", draft.opened_at)}
        return current.model_copy(update=update)
