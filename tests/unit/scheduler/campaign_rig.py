"""A campaign on a controllable clock over a real store, published through the real outbox."""

from __future__ import annotations

import textwrap
from datetime import UTC, datetime, timedelta
from pathlib import Path

from adapters.recording.adapter import RecordingAdapter, RecordingConfig
from bot.engine.outbox import Publisher
from bot.store.base import Store
from scheduler.campaign_book import CampaignBook
from scheduler.campaign_runner import CampaignRunner, SweepReport

DST_CAMPAIGN = textwrap.dedent(
    """
    id: dst-3
    name: Three steps across the March DST change
    window: {start: 2026-03-28, end: 2026-03-30, timezone: Europe/Madrid}
    channels: [twitter]
    steps:
      - {at: "start 09:00", text: {es: "Desde hoy, 50% de descuento."}}
      - {at: "start+1d 09:00", text: {es: "Quedan dos días."}}
      - {at: "end 09:00", text: {es: "Último día."}}
    """
)


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


class Clock:
    """The scheduler's notion of now, moved by the test."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


class CampaignRig:
    """Book, runner and publisher over one store; `restart()` builds new ones (no memory kept)."""

    def __init__(
        self, store: Store, tmp_path: Path, clock: Clock, grace: timedelta = timedelta(hours=1)
    ) -> None:
        self.store = store
        self.clock = clock
        self.grace = grace
        self.recording = RecordingAdapter(RecordingConfig(path=tmp_path / "published.jsonl"))
        self.restart()

    def restart(self) -> None:
        self.book = CampaignBook(self.store, clock=self.clock)
        self.runner = CampaignRunner(self.store, self.book, clock=self.clock, grace=self.grace)
        self.publisher = Publisher(self.store, {"*": self.recording})

    async def approved(self, text: str = DST_CAMPAIGN) -> str:
        defined = await self.book.define(text, actor="ana", source="test")
        assert defined.ok and defined.record is not None, defined.message
        approved = await self.book.act(defined.record.id, "approve", actor="ana")
        assert approved.ok, approved.message
        return defined.record.id

    async def at(self, when: str) -> SweepReport:
        """Move the clock, sweep, publish what is due."""
        self.clock.now = utc(when)
        report = await self.runner.sweep()
        await self.publisher.run_once()
        return report

    def published(self) -> list[tuple[str, str]]:
        return [(str((i.payload or {})["at_utc"]), i.text) for i in self.recording.sent]
