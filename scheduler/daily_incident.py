"""The incident of the day: each evening, per time zone, a draft post about the day's most
repeated incident or topic, for a person to approve (seed use case 4).

Why a draft and not a post: it speaks for the brand about a problem; a person reads it first.
The draft is a `draft` record with the id `daily:{zone}:{date}` written only if absent, so two
leaders, a restart or every later sweep that evening make one draft. Approved through the
war-room's approval path (the Approve/Edit/Reject buttons of its own war-room message,
`centinela drafts approve`, `POST /api/v1/drafts/{id}/approve`), it is published once as a post
of its own on the configured channel.

The war-room message is announced like an alert's: a war-room state under the draft's id and
one Slack post keyed `warroom:{draft id}`, both written only if absent. The draft's `alert_id`
is its own id, so a decision on it updates that message in place (the spike it came from is
named in `source`); a daily draft never pages anyone (`WarRoomState.escalates`).

"Most repeated" is the day's spike or trend alert (local midnight to now) with most messages.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Callable, Mapping
from datetime import datetime, time
from zoneinfo import ZoneInfo

from bot.core.alerts import Alert
from bot.core.drafts import Draft
from bot.core.models import OutboxItem, utc_now
from bot.core.records import RecordKind
from bot.store.base import Store
from bot.store.records import RecordFilter
from bot.store.scan import iter_records
from bot.warroom.state import SLACK_CHANNEL, new_state
from responders.templates import render

log = logging.getLogger(__name__)

DAILY_PURPOSE = "daily"
DAILY_KIND = "daily"


def topic_words(topic: str) -> str:
    """`topic:no-internet|region:madrid` → `no internet (madrid)`; a hashtag stays a hashtag."""
    parts = dict(part.split(":", 1) for part in topic.split("|") if ":" in part)
    what = parts.get("topic") or parts.get("hashtag") or parts.get("kb") or topic
    words = re.sub(r"[-_]+", " ", what).strip()
    return f"{words} ({parts['region']})" if "region" in parts else words


class DailyIncidentDrafter:
    """The leader's job: once a day per zone, after `at` local time, draft the post."""

    def __init__(
        self,
        store: Store,
        *,
        zones: Mapping[str, str],
        at: time,
        channel: str,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self._store = store
        self._zones = dict(zones)  # time zone -> language of its post
        self._loaded: list[tuple[ZoneInfo, str]] | None = None
        self._at = at
        self._channel = channel
        self._clock = clock

    async def run(self) -> list[str]:
        """The drafts this run created (none before `at`, none twice a day)."""
        made = []
        if self._loaded is None:  # the first use of a zone reads the tz database: not on the loop
            self._loaded = await asyncio.to_thread(
                lambda: [(ZoneInfo(z), lang) for z, lang in self._zones.items()]
            )
        for zone, lang in self._loaded:
            draft_id = await self._draft_for(zone, lang)
            if draft_id is not None:
                made.append(draft_id)
        return made

    async def _draft_for(self, zone: ZoneInfo, lang: str) -> str | None:
        local = self._clock().astimezone(zone)
        if local.time() < self._at:
            return None
        draft_id = f"daily:{zone.key}:{local.date().isoformat()}"
        if await self._store.get_record(RecordKind.DRAFT, draft_id) is not None:
            return None
        midnight = datetime.combine(local.date(), time.min, tzinfo=zone)
        found = await self._top_alert(midnight, local)
        if found is None:
            return None
        top_id, top = found
        topic = topic_words(top.topic or "")
        draft = Draft(
            id=draft_id,
            alert_id=draft_id,
            message_key=draft_id,
            message_id="",
            channel=self._channel,
            language=lang,
            text=render("incident_of_the_day", lang, automatic=False, topic=topic),
            source=f"{DAILY_PURPOSE}:{top_id}",
            created_at=self._clock().isoformat(),
        )
        if not await self._store.put_record(RecordKind.DRAFT, draft_id, draft.data(), only_if_absent=True):
            return None
        await announce_daily_draft(self._store, draft_id, self._clock())
        log.info("incident of the day for %s drafted from %s (%s): %s", zone.key, top_id, topic, draft_id)
        return draft_id

    async def _top_alert(self, since: datetime, until: datetime) -> tuple[str, Alert] | None:
        """The day's spike or trend with most messages, with its record id."""
        where = RecordFilter(RecordKind.ALERT, since=since, until=until)
        # Every page of the day: the alert's kind is not a column, so a first page of crises
        # could hide the biggest spike.
        found = iter_records(self._store.records, where)
        candidates = [
            (r.id, alert) async for r in found if (alert := Alert.from_record(r)).kind in ("spike", "trend")
        ]
        return max(candidates, key=lambda c: c[1].count, default=None)


async def announce_daily_draft(store: Store, draft_id: str, now: datetime) -> None:
    """The draft's war-room message: its state, then one Slack post (both insert-if-absent)."""
    await store.put_record(
        RecordKind.WARROOM, draft_id, new_state(draft_id, DAILY_KIND, now), only_if_absent=True
    )
    post = OutboxItem(
        idempotency_key=f"warroom:{draft_id}",
        account="employee",
        channel=SLACK_CHANNEL,
        text=f"Incident of the day: draft {draft_id} waiting for approval",
        payload={"op": "post", "alert_id": draft_id},
    )
    await store.add_outbox([post])
