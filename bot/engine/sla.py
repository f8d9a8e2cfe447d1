"""SLA timers: warn before a case's target is missed, alert when it is, and report the times.

Why a periodic check over the records and not a timer per case: timers die with the process and
multiply with replicas; a check every minute over the open cases (indexed by status; pending
ones wait on the customer and their clock stands still), with alert ids made of the case, the
target and the level, raises each warning and breach once, whichever replica checks and however
often. Alerts are alert records (listed in `/api/v1/alerts`), posted to the Slack war-room when
it is on. The report gives p50 and p90 of time to first response and to resolution, in business
time.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime

from bot.core.alerts import Alert
from bot.core.cases import Case
from bot.core.models import utc_now
from bot.core.records import RecordKind
from bot.core.sla import SlaKind, SlaLevel, SlaSettings
from bot.store.records import RecordFilter, RecordStore
from bot.store.scan import iter_records

KINDS: tuple[SlaKind, ...] = ("first_response", "resolution")
AlertHook = Callable[[SlaKind, SlaLevel], None]
# Posts an alert (id, text, when) to the war-room; given by the service when Slack is on.
Announce = Callable[[str, str, datetime], Awaitable[None]]


@dataclass(slots=True)
class SlaReport:
    """Business seconds, per measure: p50 and p90 over the cases that have one."""

    first_response_s: dict[str, float | None] = field(default_factory=dict)
    resolution_s: dict[str, float | None] = field(default_factory=dict)
    cases: int = 0
    breached: int = 0


def percentile(values: list[float], share: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def alert_id(case: Case, kind: SlaKind, level: SlaLevel) -> str:
    return f"sla:{case.id}:{kind}:{level}"


class SlaWatch:
    def __init__(
        self,
        store: RecordStore,
        settings: SlaSettings,
        *,
        clock: Callable[[], datetime] = utc_now,
        announce: Announce | None = None,
        on_alert: AlertHook | None = None,
    ) -> None:
        self._store = store
        self._settings = settings
        self._clock = clock
        self._announce = announce
        self._on_alert = on_alert or (lambda _kind, _level: None)

    async def run_once(self) -> int:
        """Check every open case; returns how many alerts were raised now. A pending case is
        not checked: its clock stands still until it leaves pending."""
        now, raised = self._clock(), 0
        async for record in iter_records(self._store, RecordFilter(RecordKind.CASE, status="open")):
            case = Case.from_record(record.id, record.version, record.data)
            for kind in KINDS:
                raised += await self._check(case, kind, now)
        return raised

    async def _check(self, case: Case, kind: SlaKind, now: datetime) -> int:
        if kind == "first_response" and case.first_response_at is not None:
            return 0
        used = self._settings.used(case, now) / self._settings.target(case).seconds(kind)
        levels: list[SlaLevel] = []
        if used >= self._settings.near_breach:
            levels.append("near_breach")
        if used >= 1:
            levels.append("breach")
        return sum([await self._raise(case, kind, level, now) for level in levels])

    async def _raise(self, case: Case, kind: SlaKind, level: SlaLevel, now: datetime) -> int:
        identifier = alert_id(case, kind, level)
        deadline = self._settings.deadline(case, kind, now)
        words = kind.replace("_", " ")
        topic = (
            f"{case.id} {words} {'missed' if level == 'breach' else 'due soon'} (due {deadline.isoformat()})"
        )
        alert = Alert(
            kind="sla",
            status="open",
            topic=topic,
            at=now.isoformat(),
            case_id=case.id,
            sla=kind,
            level=level,
            due=deadline.isoformat(),
            priority=case.priority,
            channel=case.channel,
        )
        if not await self._store.put_record(RecordKind.ALERT, identifier, alert.data(), only_if_absent=True):
            return 0
        self._on_alert(kind, level)
        if self._announce is not None:
            await self._announce(identifier, f"SLA: {topic}", now)
        return 1

    async def report(self, *, since: datetime | None = None) -> SlaReport:
        first, resolved, cases, breached = [], [], 0, 0
        async for record in iter_records(self._store, RecordFilter(RecordKind.CASE, since=since)):
            case = Case.from_record(record.id, record.version, record.data)
            if case.reason.startswith("duplicate"):
                continue
            cases += 1
            if case.first_response_at is not None:
                first.append(self._settings.used(case, case.first_response_at))
            if case.solved_at is not None:
                took = self._settings.used(case, case.solved_at)
                resolved.append(took)
                breached += took > self._settings.target(case).seconds("resolution")
        return SlaReport(
            first_response_s={"p50": percentile(first, 0.5), "p90": percentile(first, 0.9)},
            resolution_s={"p50": percentile(resolved, 0.5), "p90": percentile(resolved, 0.9)},
            cases=cases,
            breached=breached,
        )
