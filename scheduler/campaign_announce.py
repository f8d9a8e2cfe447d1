"""Draft campaigns announced in the Slack war-room with their preview and an Approve button.

Why a leader job and not a hook in each front end: campaigns are defined through the API, the
CLI, the watched folder and the Slack modal, in any replica or in a CLI process; the leader
looks at the draft campaigns on every run and queues one war-room post per content (the key
holds the digest), insert-if-absent. Every draft is announced once, and a changed file (a new
digest) is announced again, whoever defined it. The button carries the digest, so approving
from Slack approves exactly the content that post showed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

from bot.core.models import OutboxItem, Record
from bot.store.base import Store
from bot.warroom.state import SLACK_CHANNEL
from scheduler.campaign_book import CampaignBook
from scheduler.campaign_plan import CampaignPlan
from scheduler.campaign_preview import preview_lines

Block = dict[str, Any]
CAMPAIGN_APPROVE: Final = "campaign_approve"
PREVIEW_LINES: Final = 12
SECTION_LIMIT: Final = 2900


def announcement_key(record: Record) -> str:
    return f"warroom:campaign:{record.id}:{record.data['digest']}"


def button_value(campaign_id: str, digest: str) -> str:
    return f"{campaign_id}@{digest}"


def parse_button_value(value: str) -> tuple[str, str]:
    campaign_id, _, digest = value.rpartition("@")
    return campaign_id, digest


def campaign_blocks(
    record: Record, plan: CampaignPlan, *, decided: str | None = None
) -> tuple[str, list[Block]]:
    """The preview summary; with `decided` (who approved), the line that replaces the button."""
    definition = record.data["definition"]
    text = f":mega: Campaign {record.data['name']} ({record.id}) for approval"
    lines = preview_lines(plan)
    steps = lines[1 : PREVIEW_LINES + 1]
    more = len(lines) - 1 - len(steps)
    segment = definition.get("segment")
    summary = [
        lines[0] if lines else record.id,
        f"{len(plan.posts)} posts on {', '.join(definition['channels'])}"
        + (f"; private messages to the segment {segment}" if segment else ""),
        f"Defined by {record.data.get('defined_by') or '?'} via {record.data.get('source') or '?'}",
    ]
    body = "```" + "\n".join(steps) + (f"\n… and {more} more" if more > 0 else "") + "```"
    blocks: list[Block] = [
        {"type": "header", "text": {"type": "plain_text", "text": text[:150]}},
        {"type": "section", "text": {"type": "mrkdwn", "text": _cut("\n".join(summary))}},
        {"type": "section", "text": {"type": "mrkdwn", "text": _cut(body)}},
    ]
    if decided is None:
        button = {
            "type": "button",
            "text": {"type": "plain_text", "text": "Approve"},
            "style": "primary",
            "action_id": CAMPAIGN_APPROVE,
            "value": button_value(record.id, str(record.data["digest"])),
        }
        blocks.append({"type": "actions", "block_id": "campaign_actions", "elements": [button]})
    else:
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": decided}]})
    return text, blocks


class CampaignAnnouncer:
    """The leader's job: one war-room post per draft campaign content."""

    def __init__(self, store: Store, book: CampaignBook, *, wake: Callable[[], None] | None = None) -> None:
        self._store = store
        self._book = book
        self._wake = wake

    async def run(self) -> list[str]:
        """The keys of the posts this run queued (none for drafts already announced)."""
        drafts = await self._book.every("draft")
        items = [
            await self._item(record)
            for record in drafts
            if await self._store.get_outbox(announcement_key(record)) is None
        ]
        added = await self._store.add_outbox(items) if items else []
        queued = [item.idempotency_key for item, new in zip(items, added, strict=True) if new]
        if queued and self._wake is not None:
            self._wake()
        return queued

    async def _item(self, record: Record) -> OutboxItem:
        text, blocks = campaign_blocks(record, await self._book.plan(record))
        return OutboxItem(
            idempotency_key=announcement_key(record),
            account="employee",
            channel=SLACK_CHANNEL,
            text=text,
            payload={"op": "post", "blocks": blocks},
        )


def _cut(text: str) -> str:
    return text if len(text) <= SECTION_LIMIT else text[: SECTION_LIMIT - 1] + "…"
