"""`/centinela outage start "Fibra Madrid" region=Madrid [topic=no-internet]` and
`/centinela outage resolve ID`: the war-room's way to declare and close an outage.

Parsed with `shlex` so a title with spaces is one quoted word; Slack's curly quotes are taken as
straight ones (clients send “ ” when people type quotes). Only war-room approvers may do it:
a notice goes out on the official accounts at once.
"""

from __future__ import annotations

import shlex

from scheduler.outages import OutageDesk

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
