"""SLA timers on a controllable clock: warnings and breaches at the right business time, once;
nights and weekends do not count; a person's first answer stops the first-response clock."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from bot.core.business_hours import BusinessHours
from bot.core.cases import Case
from bot.core.sla import SlaSettings, SlaTarget
from bot.engine.case_lifecycle import CaseLifecycle
from bot.engine.cases import CaseBook
from bot.engine.sla import SlaWatch
from bot.store.records import RecordFilter, RecordStore
from tests.unit.bot.engine.case_drafts import draft

FRIDAY_5PM = datetime(2026, 5, 22, 15, 0, tzinfo=UTC)  # 17:00 in Madrid
SETTINGS = SlaSettings(
    targets={"urgent": SlaTarget(first_response_min=30, resolution_min=240)},
    teams={
        "default": BusinessHours(always=True),
        "madrid": BusinessHours(timezone="Europe/Madrid", start=time(9), end=time(18)),
    },
    channel_teams={"twitter": "madrid"},
)


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


async def _alerts(records: RecordStore) -> list[str]:
    page = await records.query_records(RecordFilter("alert"), limit=100)
    return sorted(r.id for r in page.items)


async def test_breach_and_near_breach_at_the_right_business_time_once(records: RecordStore) -> None:
    opened = await CaseBook(records).open_or_join(draft("m1", at=FRIDAY_5PM, priority="urgent"))
    case_id = opened.case.id
    clock, raised = Clock(FRIDAY_5PM + timedelta(minutes=20)), []
    watch = SlaWatch(
        records, SETTINGS, clock=clock, on_alert=lambda kind, level: raised.append((kind, level))
    )
    assert await watch.run_once() == 0  # 20 of 30 minutes
    clock.now = FRIDAY_5PM + timedelta(minutes=25)
    assert await watch.run_once() == 1 and raised == [("first_response", "near_breach")]
    clock.now = FRIDAY_5PM + timedelta(minutes=31)
    assert await watch.run_once() == 1 and await watch.run_once() == 0  # once, however often checked
    clock.now = datetime(2026, 5, 23, 10, 0, tzinfo=UTC)  # Saturday: 1 business hour of 4 used
    await watch.run_once()
    assert await _alerts(records) == [
        f"sla:{case_id}:first_response:breach",
        f"sla:{case_id}:first_response:near_breach",
    ]
    clock.now = datetime(2026, 5, 25, 9, 30, tzinfo=UTC)  # Monday 11:30 Madrid: 3.5 of 4 hours
    await watch.run_once()
    clock.now = datetime(2026, 5, 25, 10, 1, tzinfo=UTC)  # Monday 12:01 Madrid: missed
    await watch.run_once()
    assert raised[-2:] == [("resolution", "near_breach"), ("resolution", "breach")]


async def test_a_first_answer_stops_the_first_response_clock_and_the_report_has_percentiles(
    records: RecordStore,
) -> None:
    book, lifecycle = CaseBook(records), CaseLifecycle(records)
    for i, minutes in enumerate((10, 20, 40)):
        opened = await book.open_or_join(
            draft(f"m{i}", f"@c{i}", channel="email", at=FRIDAY_5PM, priority="urgent")
        )
        await lifecycle.add_note(
            opened.case.id, "on it", actor="api:eva", now=FRIDAY_5PM + timedelta(minutes=minutes)
        )
    await lifecycle.set_status("C-1001", "solved", actor="api:eva", now=FRIDAY_5PM + timedelta(hours=1))
    watch = SlaWatch(records, SETTINGS, clock=Clock(FRIDAY_5PM + timedelta(hours=2)))
    await watch.run_once()
    assert all(":resolution:" in a or "C-1001" in a for a in await _alerts(records))
    assert not [a for a in await _alerts(records) if ":first_response:" in a]
    report = await watch.report()
    assert report.cases == 3 and report.first_response_s == {"p50": 1200.0, "p90": 2400.0}
    assert report.resolution_s == {"p50": 3600.0, "p90": 3600.0} and report.breached == 0


async def test_the_clock_stands_still_while_the_case_is_pending_and_runs_again_after(
    records: RecordStore,
) -> None:
    book, lifecycle = CaseBook(records), CaseLifecycle(records)
    t0 = FRIDAY_5PM
    opened = await book.open_or_join(draft("m1", "@ana", channel="email", at=t0, priority="urgent"))
    case_id = opened.case.id
    await lifecycle.add_note(case_id, "send us your contract number", actor="api:eva", now=t0)
    await lifecycle.set_status(case_id, "pending", actor="api:eva", now=t0 + timedelta(hours=1))
    clock, raised = Clock(t0 + timedelta(hours=5)), []
    watch = SlaWatch(
        records, SETTINGS, clock=clock, on_alert=lambda kind, level: raised.append((kind, level))
    )
    assert await watch.run_once() == 0  # 5 h after opening, past the 4 h target: but 4 h pending
    # The customer answers: the case is open again and its clock runs from where it stopped.
    joined = await book.open_or_join(draft("m2", "@ana", channel="email", at=t0 + timedelta(hours=5)))
    assert joined.outcome == "joined" and joined.case.status == "open"
    assert [(s.start, s.end) for s in joined.case.pending_spans] == [
        (t0 + timedelta(hours=1), t0 + timedelta(hours=5))
    ]
    clock.now = t0 + timedelta(hours=7)  # 1 h before the pause + 2 h after: 180 of 240 minutes
    assert await watch.run_once() == 0
    clock.now = t0 + timedelta(hours=7, minutes=13)  # 193 minutes: past 80 %
    assert await watch.run_once() == 1 and raised == [("resolution", "near_breach")]
    clock.now = t0 + timedelta(hours=8)  # 240 minutes: the target, 4 h later than without the pause
    assert await watch.run_once() == 1 and raised[-1] == ("resolution", "breach")
    breach = await records.get_record("alert", f"sla:{case_id}:resolution:breach")
    assert breach is not None and breach.data["due"] == (t0 + timedelta(hours=8)).isoformat()
    # Pending once more, then solved straight from pending: that pause counts too.
    await lifecycle.set_status(case_id, "pending", actor="api:eva", now=t0 + timedelta(hours=9))
    await lifecycle.set_status(case_id, "solved", actor="api:eva", now=t0 + timedelta(hours=10))
    report = await watch.report()
    assert report.resolution_s == {"p50": 5 * 3600.0, "p90": 5 * 3600.0}  # 10 h less 5 h pending


async def test_a_pause_over_business_hours_counts_only_the_business_time_it_took(
    records: RecordStore,
) -> None:
    book, lifecycle = CaseBook(records), CaseLifecycle(records)
    opened = await book.open_or_join(draft("m1", "@ana", at=FRIDAY_5PM, priority="urgent"))
    case_id = opened.case.id
    # Pending from Friday 17:00 to Monday 10:00 Madrid: two business hours paused (Friday 17-18,
    # Monday 9-10); the weekend between was never on the clock.
    monday_10 = datetime(2026, 5, 25, 8, 0, tzinfo=UTC)
    await lifecycle.set_status(case_id, "pending", actor="api:eva", now=FRIDAY_5PM)
    await lifecycle.set_status(case_id, "open", actor="api:eva", now=monday_10)
    case = await records.get_record("case", case_id)
    assert case is not None
    loaded = Case.from_record(case.id, case.version, case.data)
    assert SETTINGS.paused(loaded, monday_10) == 7200.0
    assert SETTINGS.used(loaded, monday_10) == 0.0
    assert SETTINGS.used(loaded, monday_10 + timedelta(minutes=30)) == 1800.0
