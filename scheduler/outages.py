"""Declared outages: a notice at once, updates while open, a resolution and one word to each
person who complained; every post exactly once.

Why records and keys: on-call staff declare the outage from the API, the CLI or Slack on any
replica, and the updates run on whichever replica leads the scheduler. The outage is a versioned
incident record (`declared: true`); every post it makes has a deterministic outbox key
(`outage:{id}:notice|update:{slot}|resolved:{channel}:{lang}`, `outage:{id}:told:{channel}:{person digest}`),
so a retry, a second leader or a second click posts nothing twice.

Misfire policy for updates: they coalesce. An update is due every `update_every_s`; a leader
that comes back after missing five posts one (the current slot), never the five.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from bot.core.channels import capabilities, window_payload
from bot.core.incidents import Incident
from bot.core.models import AuditEvent, OutboxItem, Record, utc_now
from bot.core.records import RecordKind
from bot.pipeline.guards import kill_switch_on
from bot.reading.normalise import strip_accents
from bot.store.base import Store
from bot.store.records import RecordFilter
from bot.store.scan import iter_records
from responders.templates import mention, render

log = logging.getLogger(__name__)

OPEN: Final = "open"
RESOLVED: Final = "resolved"
_CAS_ATTEMPTS: Final = 5


@dataclass(frozen=True, slots=True)
class OutageResult:
    ok: bool
    message: str
    record: Record | None = None
    status_code: int = 200


def match_keys(region: str | None, topic: str | None) -> list[str]:
    """The topic keys a complaint must carry to belong to this outage (`bot/reading/topics.py`)."""
    keys = []
    if topic:
        keys.append(f"topic:{_slug(topic)}")
    if region:
        keys.append(f"region:{strip_accents(region.strip().casefold())}")
    return keys


def _person(recipient: str) -> str:
    """A recipient as it may appear in keys and logs: a digest, never the phone or address."""
    return hashlib.sha256(recipient.encode()).hexdigest()[:12]


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", strip_accents(text.casefold())).strip("-")


class OutageDesk:
    """Start, update and resolve declared outages (API, CLI, Slack and the leader's job)."""

    def __init__(
        self,
        store: Store,
        *,
        channels: Sequence[str],
        languages: Sequence[str],
        update_every_s: float,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self._store = store
        self._channels = list(channels)
        self._languages = list(languages)
        self._every = update_every_s
        self._clock = clock

    async def start(
        self, title: str, *, region: str | None, topic: str | None = None, actor: str
    ) -> OutageResult:
        """Open the outage and post its notice on every configured channel, in every language."""
        if not title.strip():
            return OutageResult(False, "an outage needs a title", status_code=400)
        keys = match_keys(region, topic)
        if not keys:
            return OutageResult(
                False, "an outage needs a region or a topic to match complaints", status_code=400
            )
        now = self._clock()
        # The same title declared twice within a minute (a double click, two on-call people) is
        # one outage; a new one later the same day is another.
        outage_id = (
            f"O-{now:%Y%m%d-%H%M}-{_slug(title)[:40]}-{hashlib.sha256(title.encode()).hexdigest()[:4]}"
        )
        data = Incident(
            declared=True,
            status=OPEN,
            title=title.strip(),
            region=region,
            topic=topic,
            match_keys=keys,
            channels=list(self._channels),
            languages=list(self._languages),
            update_every_s=self._every,
            opened_at=now.isoformat(),
            opened_by=actor,
            last_update_slot=0,
            complainers=[],
        ).data()
        if not await self._store.put_record(RecordKind.INCIDENT, outage_id, data, only_if_absent=True):
            existing = await self._store.get_record(RecordKind.INCIDENT, outage_id)
            return OutageResult(False, f"outage {outage_id} was already declared", existing, status_code=409)
        await self._posts(outage_id, data, "notice", "outage_notice", now)
        await self._audit(
            outage_id, "outage_start", actor, {"title": title, "region": region, "topic": topic}
        )
        log.info("outage %s declared by %s: %s (%s)", outage_id, actor, title, ", ".join(keys))
        return OutageResult(
            True, f"outage {outage_id} declared; notice queued", await self._get(outage_id), 201
        )

    async def resolve(self, outage_id: str, *, actor: str) -> OutageResult:
        """Close it, post the resolution and tell each complainer once (repeatable safely)."""
        for _ in range(_CAS_ATTEMPTS):
            record = await self._get(outage_id)
            if record is None or not record.data.get("declared"):
                return OutageResult(False, f"no declared outage {outage_id}", status_code=404)
            data = record.data
            if data["status"] == OPEN:
                data = {
                    **data,
                    "status": RESOLVED,
                    "resolved_at": self._clock().isoformat(),
                    "resolved_by": actor,
                }
                if not await self._store.cas_record(
                    RecordKind.INCIDENT, outage_id, expected_version=record.version, data=data
                ):
                    continue
                await self._audit(outage_id, "outage_resolve", actor, {})
            now = self._clock()
            await self._posts(outage_id, data, "resolved", "outage_resolved", now)
            told = await self._tell_complainers(outage_id, data, now)
            message = f"outage {outage_id} resolved; resolution queued, {told} complainer(s) told"
            return OutageResult(True, message, await self._get(outage_id))
        return OutageResult(False, "the outage changed meanwhile; try again", status_code=409)

    async def post_updates(self) -> int:
        """The leader's job: one update per open outage whose slot came (missed slots coalesce);
        nothing while the kill switch is on."""
        posted = 0
        if await kill_switch_on(self._store):
            return 0  # held: the slot is posted when released (missed ones coalesce)
        now = self._clock()
        for record in await self.open_outages():
            every = float(record.data.get("update_every_s") or self._every)
            slot = int((now - datetime.fromisoformat(record.data["opened_at"])).total_seconds() // every)
            if slot < 1 or slot <= int(record.data.get("last_update_slot", 0)):
                continue
            added = await self._posts(record.id, record.data, f"update:{slot}", "outage_update", now)
            data = {**record.data, "last_update_slot": slot}
            await self._store.cas_record(
                RecordKind.INCIDENT, record.id, expected_version=record.version, data=data
            )
            posted += added
        return posted

    async def open_outages(self) -> list[Record]:
        # Every page: "declared" is not a column, and a storm of detected incidents newer than
        # the declared outage must not push it out of a first page.
        where = RecordFilter(RecordKind.INCIDENT, status=OPEN)
        return [r async for r in iter_records(self._store.records, where) if r.data.get("declared")]

    async def _posts(
        self, outage_id: str, data: dict[str, Any], what: str, template: str, now: datetime
    ) -> int:
        values = {"title": data["title"], "region": data.get("region") or data.get("topic") or ""}
        items = [
            OutboxItem.model_validate(
                {
                    "idempotency_key": f"outage:{outage_id}:{what}:{channel}:{lang}",
                    "account": "official",
                    "channel": channel,
                    "text": render(template, lang, automatic=False, **values),
                    "payload": {"purpose": "outage", "outage": outage_id, "post": what, "lang": lang},
                    "next_attempt_at": now,
                }
            )
            for channel in data["channels"]
            if capabilities(channel).public
            for lang in data["languages"]
        ]
        return sum(await self._store.add_outbox(items))

    async def _tell_complainers(self, outage_id: str, data: dict[str, Any], now: datetime) -> int:
        items = []
        latest = {(p["channel"], p["recipient"]): p for p in data.get("complainers", [])}  # once per person
        for person in latest.values():
            channel = person["channel"]
            key = f"outage:{outage_id}:told:{channel}:{_person(person['recipient'])}"
            payload: dict[str, Any] = {"purpose": "outage_told", "outage": outage_id}
            payload.update(window_payload(channel, datetime.fromisoformat(person["at"])) or {})
            text = render(
                "outage_told",
                person["lang"],
                handle=mention(person["recipient"], channel),
                title=data["title"],
            )
            items.append(
                OutboxItem.model_validate(
                    {
                        "idempotency_key": key,
                        "account": "robot",
                        "channel": channel,
                        "target": person["target"],
                        "recipient": person["recipient"],
                        "message_key": person["key"],
                        "text": text,
                        "payload": payload,
                        "next_attempt_at": now,
                    }
                )
            )
        return sum(await self._store.add_outbox(items))

    async def _get(self, outage_id: str) -> Record | None:
        return await self._store.get_record(RecordKind.INCIDENT, outage_id)

    async def _audit(self, outage_id: str, kind: str, actor: str, detail: dict[str, Any]) -> None:
        await self._store.append_audit(
            [AuditEvent(at=self._clock(), kind=kind, subject=outage_id, actor=actor, detail=detail)]
        )
