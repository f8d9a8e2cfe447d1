"""The war-room's "Open case" and "Solve" buttons: cases without leaving Slack.

Why here and not in the approval service: these change cases, not drafts, and go through the
same services as the API and the CLI (`CaseBook` to open, `CaseLifecycle` to solve), so a case
opened from a crisis alert is the one case of that message (a second click, or the pipeline
later, finds it), and a case solved here tells its customer once. Which case an alert is about
is kept on the war-room state (`case_id`), written by compare-and-set: of two approvers
clicking "Open case" together, one opens it and the other is told it is already open. SLA
alerts name their case themselves (`case_id` in the alert).

What is not done on purpose: opening a case from a crisis sends the customer no automatic
acknowledgement; the crisis' drafted reply, approved by a person, is the company's answer.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal, Protocol

from bot.config import Settings
from bot.core.alerts import Alert
from bot.core.cases import Case, identity_key
from bot.core.models import AuditEvent, utc_now
from bot.core.records import RecordKind
from bot.engine.case_lifecycle import CaseLifecycle
from bot.engine.cases import CaseBook
from bot.store.base import Store
from bot.warroom.state import WarRoomLog, WarRoomState

AUDIT_KIND = "warroom"
# The alert kinds a case may be opened from: a person's own message (not a spike or a trend).
OPENS_CASES = frozenset({"crisis"})
ButtonOutcome = Literal["opened", "already", "solved", "not_found", "refused"]


@dataclass(frozen=True, slots=True)
class CaseButtonResult:
    outcome: ButtonOutcome
    message: str
    case_id: str | None = None

    @property
    def ok(self) -> bool:
        return self.outcome in ("opened", "solved")


def alert_case_id(alert: Alert, state: WarRoomState | None) -> str | None:
    """The case an alert is about: named by the alert (SLA), or opened from it (crisis)."""
    return alert.case_id or (state.case_id if state else None) or None


def case_from_alert(alert: Alert, *, actor: str, at: datetime) -> Case:
    """The case a crisis alert's message becomes: urgent (a person judged it a crisis), in the
    message's language, answered on its thread."""
    channel, author = str(alert.channel), alert.author or ""
    return Case.model_validate(
        {
            "id": "",
            "priority": "urgent",
            "message_key": str(alert.message_key),
            "channel": channel,
            "author": author,
            "identity": identity_key(channel, author),
            "text": alert.text or "",
            "language": alert.language or "en",
            "incident_id": alert.incident_id,
            "reason": f"opened from the war-room by {actor}",
            "opened_at": at,
            "reply_target": alert.message_id,
        }
    )


class CaseButton(Protocol):
    """What a button press does: `open_case` or `solve_case` on the alert, as the actor."""

    async def __call__(self, alert_id: str, *, actor: str) -> CaseButtonResult: ...


class WarRoomCases:
    """What the two buttons do, for the Slack handlers (approvers only: they check first)."""

    def __init__(self, store: Store, log: WarRoomLog, book: CaseBook, lifecycle: CaseLifecycle) -> None:
        self._store = store
        self._log = log
        self._book = book
        self._lifecycle = lifecycle

    async def open_case(self, alert_id: str, *, actor: str, now: datetime | None = None) -> CaseButtonResult:
        at = now or utc_now()
        record = await self._store.get_record(RecordKind.ALERT, alert_id)
        alert = Alert.from_record(record) if record is not None else None
        if alert is None or alert.kind not in OPENS_CASES or not alert.message_key:
            return await self._audited(
                "open_case", alert_id, actor, "not_found", "No crisis alert to open a case from."
            )
        known = alert_case_id(alert, await self._log.get(alert_id))
        if known is not None:
            return await self._audited(
                "open_case", alert_id, actor, "already", f"Case {known} is already open.", known
            )
        opened = await self._book.open_or_join(case_from_alert(alert, actor=actor, at=at))
        case_id, won = opened.case.id, False

        def claim(state: WarRoomState) -> bool:
            nonlocal won
            if state.case_id is not None:
                return False
            state.case_id, won = case_id, True
            return True

        state = await self._log.update(alert_id, claim)
        if not won:
            other = state.case_id if state else case_id
            return await self._audited(
                "open_case", alert_id, actor, "already", f"Case {other} is already open.", other
            )
        await self._log.record(alert_id, actor, f"opened case {case_id}")
        return await self._audited("open_case", alert_id, actor, "opened", f"Opened case {case_id}.", case_id)

    async def solve_case(self, alert_id: str, *, actor: str, now: datetime | None = None) -> CaseButtonResult:
        record = await self._store.get_record(RecordKind.ALERT, alert_id)
        case_id = alert_case_id(Alert.from_record(record), await self._log.get(alert_id)) if record else None
        if case_id is None:
            return await self._audited("solve_case", alert_id, actor, "not_found", "This alert has no case.")
        change = await self._lifecycle.set_status(case_id, "solved", actor=actor, now=now)
        if change.outcome == "changed":
            await self._log.record(alert_id, actor, f"solved case {case_id}")
            return await self._audited(
                "solve_case", alert_id, actor, "solved", f"Case {case_id} is solved.", case_id
            )
        outcome: ButtonOutcome = "refused"
        if change.outcome in ("unchanged", "not_found"):
            outcome = "already" if change.outcome == "unchanged" else "not_found"
        return await self._audited("solve_case", alert_id, actor, outcome, _sentence(change.message), case_id)

    async def _audited(
        self,
        action: str,
        alert_id: str,
        actor: str,
        outcome: ButtonOutcome,
        message: str,
        case_id: str | None = None,
    ) -> CaseButtonResult:
        detail = {"action": action, "via": "slack", "outcome": outcome, "message": message, "case": case_id}
        await self._store.append_audit(
            [AuditEvent(kind=AUDIT_KIND, subject=alert_id, actor=actor, detail=detail)]
        )
        return CaseButtonResult(outcome, message, case_id)


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:] + ("" if text.endswith(".") else ".")


def war_room_cases(settings: Settings, store: Store, log: WarRoomLog) -> WarRoomCases:
    """Built like the runtime's case book: the same reopen window, CRM sync when one is set."""
    crm = settings.cases.zendesk is not None or settings.cases.http is not None
    book = CaseBook(store.records, reopen_window=timedelta(days=settings.cases.reopen_days), crm=crm)
    return WarRoomCases(store, log, book, CaseLifecycle(store.records))
