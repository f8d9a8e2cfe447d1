"""A new case's priority and category, from what the pipeline read in the message.

Why points rather than one rule: a negative message from a big account that names a lawyer is
more urgent than any one of those alone, and staff must be able to see why (`priority_why`).
Repeat contact raises the priority later, when a follow-up joins the case (`bot/engine/cases.py`).
"""

from __future__ import annotations

from typing import Final

from bot.core.cases import PRIORITIES, Priority
from bot.core.context import MessageContext

REACH_FOLLOWERS: Final = 10_000
# Points per signal; their sum picks the priority (`priority_for_points`).
POINTS: Final[dict[str, int]] = {
    "negative": 1,
    "reach": 1,
    "influential": 2,
    "legal": 2,
    "safety": 3,
    "breach": 2,
    "discrimination": 2,
    "press": 1,
    "repeat_contact": 2,
}


def priority_for_points(points: int) -> Priority:
    """0-1 points: normal; 2-3: high; 4 or more: urgent."""
    if points >= 4:
        return "urgent"
    return "high" if points >= 2 else "normal"


def case_signals(ctx: MessageContext) -> list[str]:
    """The signals of this message that make its case more urgent."""
    found: list[str] = []
    if ctx.sentiment == "negative":
        found.append("negative")
    if ctx.author.influential:
        found.append("influential")
    elif (ctx.message.author.followers or 0) >= REACH_FOLLOWERS:
        found.append("reach")
    found.extend(sorted(r for r in ctx.risks if r in POINTS))
    return found


def case_priority(signals: list[str], *, positive: bool = False) -> Priority:
    """The priority of a case with these signals; a positive message with none is `low`."""
    points = sum(POINTS.get(s, 0) for s in signals)
    if positive and points == 0:
        return "low"
    return priority_for_points(points)


def raise_priority(current: Priority, steps: int = 1) -> Priority:
    index = min(len(PRIORITIES) - 1, PRIORITIES.index(current) + steps)
    return PRIORITIES[index]


def case_category(ctx: MessageContext) -> str | None:
    """The KB topic the message is about (the rules' category when the KB is silent)."""
    if ctx.kb_candidates and ctx.kb_candidates[0].topic:
        return ctx.kb_candidates[0].topic
    topics = [k.removeprefix("topic:") for k in ctx.topic_keys if k.startswith("topic:") and "|" not in k]
    return topics[0] if topics else None
