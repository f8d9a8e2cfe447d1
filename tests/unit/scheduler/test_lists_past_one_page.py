"""Scheduler look-ups that filter on data, not columns, read every page, not the newest one.

Each of these used to take one page newest-first and filter after it: with more newer records
than the page (a storm of detected incidents, a day of crises) the one wanted fell off the page.
"""

from __future__ import annotations

from datetime import time

from bot.core.context import MessageContext
from bot.core.incidents import Incident
from bot.core.models import utc_now
from bot.core.records import RecordKind
from bot.store.base import Store
from bot.store.scan import PAGE
from scheduler.daily_incident import DailyIncidentDrafter
from scheduler.outage_match import DeclaredOutageAnalyser
from scheduler.outages import OutageDesk
from tests.conftest import make_message
from tests.unit.scheduler.campaign_rig import Clock

MORE_THAN_A_PAGE = PAGE + 20
MORE_THAN_THE_DAYS_OLD_PAGE = 1_020  # the day's alerts were read as one page of 1,000


async def test_a_declared_outage_is_found_behind_a_page_of_newer_detected_incidents(store: Store) -> None:
    desk = OutageDesk(store, channels=[], languages=["es"], update_every_s=1800, clock=Clock(utc_now()))
    started = await desk.start("Fibra Madrid", region="Madrid", actor="oncall")
    assert started.ok and started.record is not None
    for i in range(MORE_THAN_A_PAGE):  # newer, open, not declared
        detected = Incident(
            status="open", alert_id=f"spike:{i}", topic=f"topic:t{i}", opened_at=utc_now().isoformat()
        )
        await store.put_record(RecordKind.INCIDENT, f"spike:{i}", detected.data())
    assert [r.id for r in await desk.open_outages()] == [started.record.id]
    ctx = MessageContext(message=make_message(text="sin internet en Madrid desde esta mañana"), now=utc_now())
    ctx.topic_keys = ["region:madrid"]
    await DeclaredOutageAnalyser(store).analyse(ctx)
    assert ctx.incident_id == started.record.id


async def test_the_incident_of_the_day_is_the_top_spike_even_behind_a_page_of_crises(store: Store) -> None:
    await store.put_record(
        RecordKind.ALERT,
        "spike:big",
        {"kind": "spike", "topic": "topic:no-internet|region:madrid", "count": 89},
    )
    for i in range(MORE_THAN_THE_DAYS_OLD_PAGE):  # newer alerts of another kind
        await store.put_record(RecordKind.ALERT, f"crisis:{i}", {"kind": "crisis", "count": 1})
    drafter = DailyIncidentDrafter(
        store, zones={"Europe/Madrid": "es"}, at=time(0, 0), channel="twitter", clock=Clock(utc_now())
    )
    (made,) = await drafter.run()
    draft = await store.get_record(RecordKind.DRAFT, made)
    assert draft is not None and draft.data["source"] == "daily:spike:big"
