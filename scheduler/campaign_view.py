"""What a person sees of a campaign (API and CLI alike): its record and each post's state.

A post's state comes from the outbox under its key (`pending`, `published`, `failed`,
`needs_review`, or `cancelled` when it was skipped past its grace) and is `scheduled` while
nothing was enqueued yet: the outbox, not the campaign record, is the truth of what went out.
"""

from __future__ import annotations

from typing import Any

from bot.core.models import Record
from bot.store.base import Store
from scheduler.campaign_book import CampaignBook


def campaign_summary(record: Record) -> dict[str, Any]:
    data = record.data
    return {
        "id": record.id,
        "name": data["name"],
        "status": data["status"],
        "window": data["definition"]["window"],
        "channels": data["definition"]["channels"],
        "account": data["definition"]["account"],
        "approved_by": data.get("approved_by"),
        "version": record.version,
        "created_at": record.created_at.isoformat(),
        "updated_at": record.updated_at.isoformat(),
    }


async def campaign_detail(store: Store, book: CampaignBook, record: Record) -> dict[str, Any]:
    plan = await book.plan(record)
    posts = []
    for post in plan.posts:
        item = await store.get_outbox(post.key(record.id))
        posts.append(
            {
                **post.preview(),
                "key": post.key(record.id),
                "state": item.status if item is not None else "scheduled",
                "last_error": item.last_error if item is not None else None,
            }
        )
    return {
        **campaign_summary(record),
        "history": record.data["history"],
        "definition": record.data["definition"],
        "posts": posts,
    }
