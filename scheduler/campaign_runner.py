"""Hands a campaign's due posts to the outbox, once, and reports the ones too late to post.

Why it only enqueues: APScheduler may run a job before its next run time is saved, and its job
stores must not be shared by replicas, so exactly-once cannot rest on it. Each post has a
deterministic outbox key (`PlannedPost.key`); the outbox inserts a key at most once, so a second
leader, a restart or a repeated sweep enqueues nothing new. What is due is recomputed from the
campaign records on every sweep, never remembered, so a new leader picks up where the last one
stopped.

Misfire policy for campaign steps: a post found due within `grace` of its time (the service was
down, the kill switch was on, the campaign was paused) is posted now; one found later is
skipped and reported: an outbox entry in status `cancelled` under the same key (so it is shown
with the campaign's other posts and can never be posted afterwards), an audit event and a
warning, once.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Final

from bot.core.models import AuditEvent, Record, utc_now
from bot.pipeline.guards import kill_switch_on
from bot.store.base import Store
from scheduler.campaign_book import CampaignBook
from scheduler.campaign_items import campaign_item, segment_items
from scheduler.campaign_plan import PlannedPost
from scheduler.segments import SegmentSource

log = logging.getLogger(__name__)

DEFAULT_GRACE: Final = timedelta(hours=1)
ENQUEUED: Final = "enqueued"
SKIPPED: Final = "skipped"


@dataclass(slots=True)
class SweepReport:
    """What one sweep did (the keys it handed over or skipped itself, not others' work)."""

    held: bool = False
    enqueued: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


class CampaignRunner:
    """One sweep over the active campaigns; the leader calls it on a schedule."""

    def __init__(
        self,
        store: Store,
        book: CampaignBook,
        *,
        clock: Callable[[], datetime] = utc_now,
        grace: timedelta = DEFAULT_GRACE,
        on_enqueued: Callable[[], None] | None = None,
        segments: SegmentSource | None = None,
    ) -> None:
        self._segments = segments
        self._store = store
        self._book = book
        self._clock = clock
        self._grace = grace
        self._on_enqueued = on_enqueued

    async def sweep(self) -> SweepReport:
        """Enqueue what is due; the kill switch holds everything (nothing is marked handled)."""
        report = SweepReport()
        if await kill_switch_on(self._store):
            report.held = True
            return report
        now = self._clock()
        for record in await self._book.active():
            if record.data["definition"].get("segment") is not None and self._segments is None:
                continue  # refused at definition without a source; kept due until one is configured
            await self._sweep_campaign(record, now, report)
        if report.enqueued and self._on_enqueued is not None:
            self._on_enqueued()
        return report

    async def _sweep_campaign(self, record: Record, now: datetime, report: SweepReport) -> None:
        plan = await self._book.plan(record)
        handled: dict[str, str] = record.data.get("handled", {})
        account = record.data["definition"]["account"]
        due = [p for p in plan.posts if p.key(record.id) not in handled and p.at.utc <= now]
        if not due:
            return
        on_time = [p for p in due if now - p.at.utc <= self._grace]
        late = [p for p in due if now - p.at.utc > self._grace]
        fresh: dict[str, str] = {}
        segment = plan.definition.segment if plan.definition is not None else None
        if on_time and segment is not None and self._segments is not None:
            items = []
            for post in on_time:
                items += await segment_items(
                    self._store, self._segments, segment, plan, post, record.id, account, now
                )
            added = await self._store.add_outbox(items)
            report.enqueued += [item.idempotency_key for item, new in zip(items, added, strict=True) if new]
            fresh.update({post.key(record.id): ENQUEUED for post in on_time})
        elif on_time:
            items = [campaign_item(record.id, account, post, now) for post in on_time]
            added = await self._store.add_outbox(items)
            report.enqueued += [item.idempotency_key for item, new in zip(items, added, strict=True) if new]
            fresh.update({item.idempotency_key: ENQUEUED for item in items})
        if late:
            await self._skip(record.id, account, late, now, report)
            fresh.update({post.key(record.id): SKIPPED for post in late})
        finished = all(post.key(record.id) in {**handled, **fresh} for post in plan.posts)
        await self._book.settle(record.id, fresh, finished=finished)

    async def _skip(
        self, campaign_id: str, account: str, late: list[PlannedPost], now: datetime, report: SweepReport
    ) -> None:
        items = [
            campaign_item(campaign_id, account, post, now).model_copy(
                update={
                    "status": "cancelled",
                    "last_error": f"skipped: due at {post.at.utc_text}, found at {now:%Y-%m-%dT%H:%M:%SZ}, "
                    f"past the grace of {self._grace}",
                }
            )
            for post in late
        ]
        added = await self._store.add_outbox(items)
        mine = [item for item, new in zip(items, added, strict=True) if new]
        if not mine:
            return
        await self._store.append_audit(
            [
                AuditEvent(
                    at=now,
                    kind="campaign_step_skipped",
                    subject=item.idempotency_key,
                    actor="scheduler",
                    detail={"campaign": campaign_id, "reason": item.last_error, "channel": item.channel},
                )
                for item in mine
            ]
        )
        for item in mine:
            log.warning("campaign post %s not posted: %s", item.idempotency_key, item.last_error)
        report.skipped += [item.idempotency_key for item in mine]
