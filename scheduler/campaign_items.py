"""The outbox items of a campaign post: one public post, or one private message per person.

Keys extend the post's key (`PlannedPost.key`) with the person's digest for segment messages,
so each person gets each step once, whoever enqueues it and however often.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from bot.core.channels import window_payload
from bot.core.models import AuditEvent, OutboxItem
from bot.store.base import Store
from scheduler.campaign_file import CampaignSegment
from scheduler.campaign_plan import CampaignPlan, PlannedPost
from scheduler.opt_out import without_opted_out
from scheduler.segments import Recipient, SegmentSource

log = logging.getLogger(__name__)


def campaign_item(
    campaign_id: str, account: str, post: PlannedPost, now: datetime, person: Recipient | None = None
) -> OutboxItem:
    payload: dict[str, Any] = {
        "purpose": "campaign",
        "campaign": campaign_id,
        "step": post.n,
        "lang": post.lang,
        "at_utc": post.at.utc_text,
    }
    key = post.key(campaign_id)
    if person is not None:
        key = f"{key}:{person.digest}"
        payload["purpose"] = "campaign_message"
        if person.last_message_at is not None:
            payload.update(window_payload(post.channel, person.last_message_at) or {})
    return OutboxItem.model_validate(
        {
            "idempotency_key": key,
            "account": account,
            "channel": post.channel,
            "recipient": person.handle if person is not None else None,
            "text": post.text,
            "payload": payload,
            "next_attempt_at": now,
            "created_at": now,
            "updated_at": now,
        }
    )


async def segment_items(
    store: Store,
    source: SegmentSource,
    segment: CampaignSegment,
    plan: CampaignPlan,
    post: PlannedPost,
    campaign_id: str,
    account: str,
    now: datetime,
) -> list[OutboxItem]:
    """One message per matching person in this post's language (or the step's first language
    for people whose own the step lacks), skipping opt-outs and closed messaging windows."""
    languages = [p.lang for p in plan.posts if p.n == post.n and p.channel == post.channel]
    people = [
        person
        for person in await source.members(segment, post.channel)
        if (person.lang if person.lang in languages else languages[0]) == post.lang
    ]
    reachable, opted_out = await without_opted_out(store, people)
    within = [person for person in reachable if person.within_window(now)]
    counts = {"sent": len(within), "opted_out": opted_out, "outside_window": len(reachable) - len(within)}
    await store.append_audit(
        [
            AuditEvent(
                at=now,
                kind="campaign_segment_step",
                subject=post.key(campaign_id),
                actor="scheduler",
                detail={"campaign": campaign_id, **counts},
            )
        ]
    )
    log.info("campaign %s step %d %s/%s: %s", campaign_id, post.n, post.channel, post.lang, counts)
    return [campaign_item(campaign_id, account, post, now, person) for person in within]
