"""The texts of `/centinela status` and `/centinela incidents`, straight from the store."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, time, timedelta

from bot.core.alerts import Alert
from bot.core.incidents import Incident
from bot.core.models import ACTIONS
from bot.core.records import RecordKind
from bot.pipeline.guards import KILL_SWITCH
from bot.store.base import Store
from bot.store.records import RecordFilter

LISTED = 8

HELP = (
    "Usage: `/centinela status` (queue, today's volumes, open alerts) · `/centinela pause` / "
    "`/centinela resume` (all automatic replies) · `/centinela incidents` · "
    '`/centinela outage start "Fibra Madrid" region=Madrid` / `outage resolve ID` · '
    "`/centinela campaign` (paste a campaign file)"
)


async def status_text(store: Store, now: datetime) -> str:
    depth = await store.queue_depth()
    outbox = await store.outbox_counts()
    today = now.date()
    midnight = datetime.combine(today, time.min, tzinfo=UTC)
    per_action: Counter[str] = Counter()
    for row in await store.records.minute_counts(midnight, midnight + timedelta(days=1)):
        per_action[row.action] += row.count
    volumes = ", ".join(f"{a} {per_action.get(a, 0)}" for a in ACTIONS)
    total = sum(per_action.values())
    open_alerts = await store.records.count_records(RecordKind.ALERT, status="open")
    alerts = (
        await store.records.query_records(RecordFilter(RecordKind.ALERT, status="open"), limit=LISTED)
    ).items
    kill = await store.get_flag(KILL_SWITCH)
    lines = [
        f"*Automatic replies:* {'PAUSED (' + kill + ')' if kill else 'running'}",
        f"*Queue depth:* {depth} · *outbox pending:* {outbox.get('pending', 0)} "
        f"· failed {outbox.get('failed', 0)} · needs review {outbox.get('needs_review', 0)}",
        f"*Today ({today.isoformat()}):* {total} messages: {volumes}",
        f"*Open alerts:* {open_alerts}",
    ]
    for record in alerts[:LISTED]:
        alert = Alert.from_record(record)
        what = alert.topic or alert.author or ""
        lines.append(f"• `{record.id}` {alert.kind} {what} since {alert.at or '?'}")
    return "\n".join(lines)


async def incidents_text(store: Store) -> str:
    count = await store.records.count_records(RecordKind.INCIDENT, status="open")
    if not count:
        return "No open incidents."
    incidents = (
        await store.records.query_records(RecordFilter(RecordKind.INCIDENT, status="open"), limit=LISTED)
    ).items
    lines = [f"*Open incidents:* {count}"]
    for record in incidents[:LISTED]:
        incident = Incident.from_record(record)
        lines.append(f"• `{record.id}` {incident.topic or '?'} opened {incident.opened_at}")
    return "\n".join(lines)
