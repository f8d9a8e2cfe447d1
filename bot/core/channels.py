"""What each channel allows: the one place that knows platform facts the rest of the code needs.

Responders compose replies within a channel's limits, the war-room links to a message, guards keep
private channels private and the scheduler respects messaging windows, all from this table. A new
platform adds its row here and its adapter under `adapters/`; nothing else learns its rules.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Final, Literal

MentionStyle = Literal["at_handle", "none"]
_URL = re.compile(r"https?://\S+")


@dataclass(frozen=True, slots=True)
class ChannelCapabilities:
    """Limits and habits of one channel.

    `url_weight`: what one link counts towards `max_length` (X counts every URL as 23), or None
    when links count their own length. `messaging_window_s`: how long after the customer's last
    message a free-form reply may be sent (Meta's 24-hour customer-service window), None when
    unlimited. `permalink`: a format string with `{handle}` and `{id}` for a public link to a
    message, where the platform builds one from ids.
    """

    max_length: int
    public: bool
    mention: MentionStyle = "none"
    url_weight: int | None = None
    messaging_window_s: float | None = None
    permalink: str | None = None

    def length(self, text: str) -> int:
        """The text's length as the platform counts it."""
        if self.url_weight is None:
            return len(text)
        return len(_URL.sub("x" * self.url_weight, text))

    def mention_prefix(self, handle: str) -> str:
        """What a public reply starts with to address its author (`@ana `), or nothing."""
        if self.mention == "at_handle" and handle.startswith("@"):
            return handle + " "
        return ""

    def link(self, handle: str, message_id: str) -> str | None:
        if self.permalink is None or not handle or not message_id:
            return None
        return self.permalink.format(handle=handle.lstrip("@"), id=message_id)


DAY_S: Final = 24 * 3600.0

CAPABILITIES: Final[dict[str, ChannelCapabilities]] = {
    "twitter": ChannelCapabilities(
        max_length=280,
        public=True,
        mention="at_handle",
        url_weight=23,
        permalink="https://x.com/{handle}/status/{id}",
    ),
    "facebook": ChannelCapabilities(max_length=1000, public=True),
    "instagram": ChannelCapabilities(max_length=1000, public=True, mention="at_handle"),
    "whatsapp": ChannelCapabilities(max_length=1000, public=False, messaging_window_s=DAY_S),
    # Direct messages of a Facebook Page (Messenger) and of an Instagram professional account:
    # channels of their own because they are private and windowed, unlike the comments of the
    # same platforms, and because a reply to one goes through a different Graph call.
    "messenger": ChannelCapabilities(max_length=2000, public=False, messaging_window_s=DAY_S),
    "instagram_dm": ChannelCapabilities(max_length=1000, public=False, messaging_window_s=DAY_S),
    "forum": ChannelCapabilities(max_length=2000, public=True),
    "email": ChannelCapabilities(max_length=2000, public=False),
    "webhook": ChannelCapabilities(max_length=2000, public=True),
    # A Slack channel is shared with everyone in it: treated as public, as it always was.
    "slack": ChannelCapabilities(max_length=2000, public=True),
}


CUSTOMER_MESSAGE_AT: Final = "customer_message_at"
"""Outbox payload key: when the customer wrote the message replied to (ISO 8601, UTC).

Adapters of windowed channels read it at send time: a reply later than `messaging_window_s`
after it is not sent (`WindowExpired`). The replied-to message is the customer's latest one
that we know of when the reply is queued, so the check errs on the side of not sending.
"""


def window_payload(channel: str, customer_message_at: datetime) -> dict[str, str] | None:
    """What an outbox item on a windowed channel must carry for its adapter to check the window."""
    if capabilities(channel).messaging_window_s is None:
        return None
    return {CUSTOMER_MESSAGE_AT: customer_message_at.isoformat()}


# The public channels of the table (an unknown channel is private, as `_UNKNOWN` says): the hot
# path's membership test instead of a look-up of the whole row.
PUBLIC_CHANNELS: Final = frozenset(name for name, row in CAPABILITIES.items() if row.public)


def capabilities(channel: str) -> ChannelCapabilities:
    """The channel's row; an unknown channel gets the most careful one (private, short)."""
    return CAPABILITIES.get(channel, _UNKNOWN)


_UNKNOWN: Final = ChannelCapabilities(max_length=1000, public=False)
