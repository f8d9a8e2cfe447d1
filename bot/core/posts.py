"""Outbox items that are posts of their own (a campaign step, an outage notice), not replies.

Most items answer a message (`target` is its platform id). Scheduled posts and the approved
incident of the day have no message to answer: they go on the account's own timeline or page.
Adapters tell them apart by purpose so that a reply that lost its target still fails loudly
instead of becoming a public post.
"""

from __future__ import annotations

from typing import Final

from bot.core.models import OutboxItem

STANDALONE_PURPOSES: Final = frozenset({"campaign", "outage", "daily"})


def is_standalone_post(item: OutboxItem) -> bool:
    return not item.target and (item.payload or {}).get("purpose") in STANDALONE_PURPOSES
