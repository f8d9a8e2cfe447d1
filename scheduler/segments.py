"""Who a segment campaign writes to: the selection behind a small protocol, opt-outs, windows.

Why a protocol: the people (customers and followers, with their tags, regions, plans and
communities) live in another part of the service (customer records, from the CRM); the
scheduler needs only "who matches this segment, on which channel, in which language, when did
they last write". `StaticSegmentSource` is the simple source tests and small installations use.

Two rules are checked for every person at the moment of enqueueing, never cached: someone who
opted out (an opt-out keyword in any language, `opt_out.py`) gets nothing, and on a windowed
channel (WhatsApp, Messenger, Instagram DMs) only people whose last message is within the
channel's messaging window are written to; the outbox item also carries that time, so the
adapter checks the window again at send time.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from bot.core.channels import capabilities
from bot.core.digests import person_digest
from scheduler.campaign_file import CampaignSegment


@dataclass(frozen=True, slots=True)
class Recipient:
    """One person reachable by private message on one channel (`handle`: their id there)."""

    channel: str
    handle: str
    lang: str
    kind: str = "customer"  # or "follower"
    tags: frozenset[str] = field(default_factory=frozenset)
    region: str | None = None
    plan: str | None = None
    communities: frozenset[str] = field(default_factory=frozenset)
    last_message_at: datetime | None = None

    @property
    def digest(self) -> str:
        """How the person appears in keys and logs: never the phone number or address itself."""
        return person_digest(self.channel, self.handle)

    def within_window(self, now: datetime) -> bool:
        window = capabilities(self.channel).messaging_window_s
        if window is None:
            return True
        return self.last_message_at is not None and (now - self.last_message_at).total_seconds() <= window


def matches(segment: CampaignSegment, person: Recipient) -> bool:
    """Every attribute the segment lists must match (tags: all of them)."""
    audience = segment.audience == "both" or segment.audience == person.kind + "s"
    return (
        audience
        and set(segment.tags) <= person.tags
        and (
            not segment.regions or (person.region or "").casefold() in {r.casefold() for r in segment.regions}
        )
        and (not segment.languages or person.lang in segment.languages)
        and (not segment.plans or person.plan in segment.plans)
        and (not segment.communities or bool(set(segment.communities) & person.communities))
    )


class SegmentSource(Protocol):
    """The people a segment reaches on one channel (customer records, a CRM, a static list)."""

    async def members(self, segment: CampaignSegment, channel: str) -> Sequence[Recipient]: ...


class StaticSegmentSource:
    """A fixed list of people, filtered by the segment's attributes."""

    def __init__(self, people: Sequence[Recipient]) -> None:
        self._people = list(people)

    async def members(self, segment: CampaignSegment, channel: str) -> Sequence[Recipient]:
        return [p for p in self._people if p.channel == channel and matches(segment, p)]
