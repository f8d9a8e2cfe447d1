"""Attach the conversation around a crisis to its alert, instead of raising more alerts.

When an influential author's complaint takes off, the replies, quotes and retweets that follow
are not crises of their own; staff want to see them beside the original. A message that replies
to the crisis message, or mentions its author, within a window after it (on the messages' own
clock) is appended to the alert's `related_messages`, with the action it got (a reply reporting
its own outage still opens its own case). The open crises are journaled
(`bot.pipeline.journal`), so a reply decided on another replica finds its crisis too.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.core.context import MessageContext
from bot.core.effects import AppendToRecord, Effect
from bot.core.models import Decision
from bot.core.records import RecordKind
from bot.pipeline.journal import Fact
from responders.crisis import crisis_alert_id

MENTION = re.compile(r"(?<![\w@])@(\w{2,})")


@dataclass(frozen=True, slots=True)
class _OpenCrisis:
    alert_id: str
    message_id: str
    started: datetime


class CrisisThreadWatcher:
    """Remembers open crisis alerts by author and message id; links what follows them."""

    journal_name = "crisis_threads"

    def __init__(self, *, window: timedelta = timedelta(hours=2), max_tracked: int = 500) -> None:
        self._window = window
        self._max_tracked = max_tracked
        self._by_author: dict[str, _OpenCrisis] = {}
        self._by_message: dict[str, _OpenCrisis] = {}
        self._facts: list[Fact] = []

    def take_facts(self) -> list[Fact]:
        facts, self._facts = self._facts, []
        return facts

    def apply_facts(self, facts: Sequence[Fact]) -> None:
        for alert_id, message_id, started, handle, thread in facts:
            self._track(_OpenCrisis(alert_id, message_id, datetime.fromisoformat(started)), handle, thread)

    async def watch(self, ctx: MessageContext, decision: Decision) -> list[Effect]:
        msg = ctx.message
        if decision.action == "crisis":
            self._remember(ctx)
            return []
        crisis = self._crisis_for(ctx)
        if crisis is None:
            return []
        item = {
            "key": msg.key,
            "author": msg.author.handle,
            "text": msg.text[:500],
            "action": decision.action,
            "at": msg.created_at.isoformat(),
        }
        return [
            AppendToRecord(
                kind=RecordKind.ALERT,
                record_id=crisis.alert_id,
                field="related_messages",
                item=item,
                await_record=True,  # the crisis's own effects may be applied by another worker
            )
        ]

    def _remember(self, ctx: MessageContext) -> None:
        msg = ctx.message
        crisis = _OpenCrisis(crisis_alert_id(msg.key), msg.id, msg.created_at)
        handle = msg.author.handle.lstrip("@").casefold()
        thread = f"{msg.channel}:{msg.id}"
        self._facts.append([crisis.alert_id, crisis.message_id, crisis.started.isoformat(), handle, thread])
        self._track(crisis, handle, thread)

    def _track(self, crisis: _OpenCrisis, handle: str, thread: str) -> None:
        if handle:
            self._by_author[handle] = crisis
        self._by_message[thread] = crisis
        if len(self._by_message) > self._max_tracked:
            oldest = min(self._by_message, key=lambda k: self._by_message[k].started)
            self._by_message.pop(oldest)
            self._by_author = {h: c for h, c in self._by_author.items() if c in self._by_message.values()}

    def _crisis_for(self, ctx: MessageContext) -> _OpenCrisis | None:
        msg = ctx.message
        candidates: list[_OpenCrisis] = []
        if msg.in_reply_to:
            found = self._by_message.get(f"{msg.channel}:{msg.in_reply_to}")
            if found is not None:
                candidates.append(found)
        own = msg.author.handle.lstrip("@").casefold()
        for handle in MENTION.findall(msg.text):
            found = self._by_author.get(handle.casefold())
            if found is not None and handle.casefold() != own:
                candidates.append(found)
        for crisis in candidates:
            if crisis.started <= msg.created_at <= crisis.started + self._window:
                return crisis
        return None
