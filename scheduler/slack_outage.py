"""`/centinela outage start "Fibra Madrid" region=Madrid [topic=no-internet]` and
`/centinela outage resolve ID`: the war-room's way to declare and close an outage.

Parsed with `shlex` so a title with spaces is one quoted word; Slack's curly quotes are taken as
straight ones (clients send “ ” when people type quotes). Only war-room approvers may do it:
a notice goes out on the official accounts at once.
"""

from __future__ import annotations

import shlex
from collections.abc import Awaitable, Callable
from typing import Any

from bot.core.alerts import Alert
from bot.core.records import RecordKind
from bot.store.base import Store
from scheduler.outages import OutageDesk

# The war-room's event log (`WarRoomLog.record`): appending an event re-renders the alert.
Noted = Callable[[str, str, str], Awaitable[Any]]

USAGE = (
    'Usage: `/centinela outage start "Fibra Madrid" region=Madrid [topic=no-internet]` · '
    "`/centinela outage resolve ID` · `/centinela outage list`"
)


async def outage_command(desk: OutageDesk, text: str, *, actor: str) -> str:
    """The answer to show in Slack (a refusal or a mistake is an answer too, never an error)."""
    try:
        words = shlex.split(text.replace("“", '"').replace("”", '"'))
    except ValueError as exc:
        return f"Could not read that ({exc}). {USAGE}"
    if not words:
        return USAGE
    verb, rest = words[0].lower(), words[1:]
    if verb == "list":
        outages = await desk.open_outages()
        lines = [f"• `{r.id}` {r.data['title']} ({r.data.get('region') or '-'})" for r in outages]
        return "\n".join(["*Open declared outages:*", *lines]) if lines else "No declared outage is open."
    if verb == "resolve" and len(rest) == 1:
        result = await desk.resolve(rest[0], actor=actor)
        return result.message
    if verb == "start" and rest:
        options = dict(word.split("=", 1) for word in rest[1:] if "=" in word)
        unknown = [w for w in rest[1:] if "=" not in w or w.split("=", 1)[0] not in ("region", "topic")]
        if unknown:
            return f"Unknown option(s) {', '.join(unknown)}. {USAGE}"
        result = await desk.start(
            rest[0], region=options.get("region"), topic=options.get("topic"), actor=actor
        )
        return result.message
    return USAGE


async def declare_from_spike(
    desk: OutageDesk, store: Store, alert_id: str, *, actor: str, noted: Noted | None = None
) -> str:
    """The war-room's "Declare outage" on a negative spike: the spike's topic and region become
    the outage's, so its notice goes out and the complaints that match get the incident reply.

    The alert keeps the outage's id (compare-and-set on its version, since the spike watcher
    updates the same record), so the button is offered once; a second click, or two approvers at
    once, meet the desk's own guard (one outage per title and minute) and are told so."""
    record = await store.get_record(RecordKind.ALERT, alert_id)
    alert = Alert.from_record(record) if record is not None else None
    if alert is None or alert.kind != "spike":
        return "There is no negative spike to declare as an outage."
    if alert.outage_id:
        return f"This spike is already declared as outage {alert.outage_id}."
    parts = dict(part.split(":", 1) for part in (alert.topic or "").split("|") if ":" in part)
    topic, region = parts.get("topic"), parts.get("region")
    title = " ".join(w for w in ((topic or "").replace("-", " ").capitalize(), (region or "").title()) if w)
    result = await desk.start(title or alert_id, region=region, topic=topic, actor=actor)
    if not result.ok or result.record is None:
        return result.message
    outage_id = result.record.id
    for _ in range(5):  # the spike watcher may be updating the same alert: retry on its version
        current = await store.get_record(RecordKind.ALERT, alert_id)
        if current is None or (latest := Alert.from_record(current)).outage_id:
            break
        latest.outage_id = outage_id
        if await store.cas_record(
            RecordKind.ALERT, alert_id, expected_version=current.version, data=latest.data()
        ):
            break
    if noted is not None:
        await noted(alert_id, actor, f"declared outage {outage_id}")
    return result.message
