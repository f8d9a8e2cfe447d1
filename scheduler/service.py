"""The scheduler as the service runs it: built from the settings, alive with the application.

Every replica runs a `SchedulerLeader`; only the lease holder runs the jobs: the campaign sweep,
the outage updates, the incident of the day, with Slack the war-room escalation ticks and the
draft campaign announcements, and, with `CENTINELA_CAMPAIGNS_DIR`, the folder scan. Segment
campaigns reach the customers in the customer records (`customer_segments.py`).
The composition root (`bot/compose.py`) builds `scheduler_ctx` with the SLA and CRM jobs;
`bot/web/app.py` adds it to its `cleanup_ctx` with one line.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable, Sequence
from datetime import datetime, timedelta

from aiohttp import web

from bot.config import Settings
from bot.core.models import utc_now
from bot.store.base import Store
from bot.warroom.escalation import Escalator
from bot.warroom.state import WarRoomLog
from scheduler.campaign_announce import CampaignAnnouncer
from scheduler.campaign_book import CampaignBook
from scheduler.campaign_runner import CampaignRunner
from scheduler.customer_segments import CustomerSegmentSource
from scheduler.daily_incident import DailyIncidentDrafter
from scheduler.folder_watch import CampaignFolder
from scheduler.leader import SchedulerLeader
from scheduler.outages import OutageDesk
from scheduler.timed_jobs import TimedJob


def build_leader(
    settings: Settings,
    store: Store,
    *,
    clock: Callable[[], datetime] = utc_now,
    wake: Callable[[], None] | None = None,
    extra_jobs: Sequence[TimedJob] = (),
) -> SchedulerLeader:
    """The leader loop with the jobs the settings ask for; `wake` nudges the outbox publisher;
    `extra_jobs` is the rest of the service's once-per-deployment work (the SLA check, the CRM
    sync), so every timed job runs the same way: on the leader, once, whatever the replicas."""
    book = campaign_book(settings, store, clock=clock)
    config = settings.scheduler
    runner = CampaignRunner(
        store,
        book,
        clock=clock,
        grace=timedelta(seconds=config.grace_s),
        on_enqueued=wake,
        segments=CustomerSegmentSource(store, default_lang=settings.languages[0]),
    )
    jobs = [
        TimedJob("campaign-sweep", config.sweep_s, runner.sweep),
        TimedJob(
            "outage-updates",
            min(60.0, config.sweep_s),
            outage_desk(settings, store, clock=clock).post_updates,
        ),
        TimedJob("incident-of-the-day", 60.0, daily_drafter(settings, store, clock=clock).run),
    ]
    if settings.slack.bot_token is not None and settings.slack.signing_secret is not None:
        announcer = CampaignAnnouncer(store, book, wake=wake)  # draft campaigns to the war-room
        escalator = Escalator(store, settings.slack, WarRoomLog(store, clock=clock))
        jobs += [
            TimedJob("campaign-announce", config.sweep_s, announcer.run),
            TimedJob("warroom-escalation", settings.slack.escalation_tick_s, lambda: escalator.tick(clock())),
        ]
    if settings.campaigns_dir is not None:
        folder = CampaignFolder(book, settings.campaigns_dir)
        jobs.insert(0, TimedJob("campaign-folder", config.folder_poll_s, folder.scan))
    jobs += extra_jobs
    return SchedulerLeader(store, f"{settings.instance}-scheduler", jobs, lease_s=config.lease_s)


def campaign_book(
    settings: Settings, store: Store, *, clock: Callable[[], datetime] = utc_now
) -> CampaignBook:
    """The campaign records as every front end uses them (segments from the customer records)."""
    return CampaignBook(store, clock=clock, languages=settings.languages, segments=True)


def outage_desk(settings: Settings, store: Store, *, clock: Callable[[], datetime] = utc_now) -> OutageDesk:
    """Declared outages as the settings configure them (channels, languages, update interval)."""
    config = settings.scheduler
    return OutageDesk(
        store,
        channels=config.outage_channels,
        languages=settings.languages,
        update_every_s=config.outage_update_minutes * 60,
        clock=clock,
    )


def daily_drafter(
    settings: Settings, store: Store, *, clock: Callable[[], datetime] = utc_now
) -> DailyIncidentDrafter:
    config = settings.scheduler
    return DailyIncidentDrafter(
        store, zones=config.daily_zones, at=config.daily_at, channel=config.daily_channel, clock=clock
    )


def scheduler_ctx(
    settings: Settings, store: Store, wake: Callable[[], None], extra_jobs: Sequence[TimedJob] = ()
) -> Callable[[web.Application], AsyncIterator[None]]:
    """A `cleanup_ctx` entry: the leader loop for the application's lifetime (after the store opens)."""

    async def context(_app: web.Application) -> AsyncIterator[None]:
        stop = asyncio.Event()
        leader = build_leader(settings, store, wake=wake, extra_jobs=extra_jobs)
        task = asyncio.create_task(leader.run(stop), name="scheduler-leader")
        yield
        stop.set()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    return context
