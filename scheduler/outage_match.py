"""Complaints that match a declared outage: answered with the incident, remembered for later.

The analyser runs after spike detection and sets the message's `incident_id` to the open
declared outage whose match keys (region, topic) the message carries, so the case responder
answers with the incident acknowledgement, in the customer's language, instead of a ticket
number. The watcher adds the person to the outage's complainers, who are told once on
resolution. Open outages are read from the records store at most every `refresh_s` seconds: a
declaration reaches every replica's pipeline within that, without a store call per message.
"""

from __future__ import annotations

import time
from typing import Any

from bot.core.context import MessageContext
from bot.core.effects import AppendToRecord, Effect
from bot.core.incidents import Incident
from bot.core.models import Decision
from bot.core.records import RecordKind
from bot.reading.topics import topic_keys
from bot.store.base import Store
from bot.store.records import RecordFilter
from bot.store.scan import iter_records

MAX_COMPLAINERS = 20_000
COMPLAINT_ACTIONS = ("case", "agent", "crisis")


class DeclaredOutageAnalyser:
    """Links a message to the open declared outage it is about, if any."""

    def __init__(self, store: Store, *, refresh_s: float = 5.0) -> None:
        self._store = store
        self._refresh_s = refresh_s
        self._loaded_at = float("-inf")
        self._open: list[tuple[str, list[str]]] = []
        self.declared: set[str] = set()

    async def analyse(self, ctx: MessageContext) -> None:
        if ctx.author.own_account or ctx.author.bot:
            return
        outages = await self._outages()
        if not outages:
            return
        keys = set(ctx.topic_keys or topic_keys(ctx.text or ctx.message.text))
        for outage_id, wanted in outages:
            if all(key in keys for key in wanted):
                ctx.incident_id = outage_id
                return

    async def _outages(self) -> list[tuple[str, list[str]]]:
        if time.monotonic() - self._loaded_at >= self._refresh_s:
            where = RecordFilter(RecordKind.INCIDENT, status="open")
            # Every page: detected incidents (not declared) may be many more than one page.
            incidents = [
                (r.id, Incident.from_record(r)) async for r in iter_records(self._store.records, where)
            ]
            self._open = [(rid, i.match_keys) for rid, i in incidents if i.declared]
            self.declared = {outage_id for outage_id, _ in self._open}
            self._loaded_at = time.monotonic()
        return self._open


class OutageComplainerWatcher:
    """Remembers who complained about a declared outage (once per message), to tell them later."""

    def __init__(self, analyser: DeclaredOutageAnalyser) -> None:
        self._analyser = analyser

    async def watch(self, ctx: MessageContext, decision: Decision) -> list[Effect]:
        if ctx.incident_id not in self._analyser.declared or decision.action not in COMPLAINT_ACTIONS:
            return []
        msg = ctx.message
        item: dict[str, Any] = {
            "key": msg.key,
            "channel": msg.channel,
            "target": msg.id,
            "recipient": msg.author.handle,
            "lang": ctx.language,
            "at": msg.created_at.isoformat(),
        }
        return [
            AppendToRecord(
                kind=RecordKind.INCIDENT,
                record_id=str(ctx.incident_id),
                field="complainers",
                item=item,
                max_items=MAX_COMPLAINERS,
            )
        ]
