"""The texts of `/centinela status` and `/centinela incidents`, straight from the store."""

from __future__ import annotations

from collections import Counter
from datetime import datetime

from bot.core.models import ACTIONS
from bot.core.records import RecordKind
from bot.pipeline.guards import KILL_SWITCH
from bot.store.base import Store

VOLUME_SCAN = 5000
LISTED = 8

HELP = (
    "Usage: `/centinela status` (queue, today's volumes, open alerts) · `/centinela pause` / "
    "`/centinela resume` (all automatic replies) · `/centinela incidents`"
)


async def status_text(store: Store, now: datetime) -> str:
    depth = await store.queue_depth()
    outbox = await store.outbox_counts()
    today = now.date()
    decided = [d for d in await store.list_decisions(limit=VOLUME_SCAN) if d.decided_at.date() == today]
    per_action = Counter(d.action for d in decided)
    volumes = ", ".join(f"{a} {per_action.get(a, 0)}" for a in ACTIONS)
    capped = "+" if len(decided) >= VOLUME_SCAN else ""
    alerts = [
        r for r in await store.list_records(RecordKind.ALERT, limit=1000) if r.data.get("status") == "open"
    ]
    kill = await store.get_flag(KILL_SWITCH)
    lines = [
        f"*Automatic replies:* {'PAUSED (' + kill + ')' if kill else 'running'}",
        f"*Queue depth:* {depth} · *outbox pending:* {outbox.get('pending', 0)} "
        f"· failed {outbox.get('failed', 0)} · needs review {outbox.get('needs_review', 0)}",
        f"*Today ({today.isoformat()}):* {len(decided)}{capped} messages: {volumes}",
        f"*Open alerts:* {len(alerts)}",
    ]
    for record in alerts[:LISTED]:
        data = record.data
        what = data.get("topic") or data.get("author") or ""
        lines.append(f"• `{record.id}` {data.get('kind', '?')} {what} since {data.get('at', '?')}")
    return "\n".join(lines)


async def incidents_text(store: Store) -> str:
    incidents = [
        r for r in await store.list_records(RecordKind.INCIDENT, limit=1000) if r.data.get("status") == "open"
    ]
    if not incidents:
        return "No open incidents."
    lines = [f"*Open incidents:* {len(incidents)}"]
    for record in incidents[:LISTED]:
        data = record.data
        lines.append(f"• `{record.id}` {data.get('topic', '?')} opened {data.get('opened_at', '?')}")
    return "\n".join(lines)
