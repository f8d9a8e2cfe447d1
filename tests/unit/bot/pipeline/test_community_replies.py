"""Which replies count as a customer helping another customer."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from bot.core.context import MessageContext
from bot.core.effects import SaveRecord
from bot.core.models import Decision, InboundMessage
from bot.core.records import RecordKind
from bot.pipeline.community_replies import CommunityReplyWatcher, answered_key

AT = datetime(2026, 5, 20, 9, 0, tzinfo=UTC)


def _m(channel: str, mid: str, handle: str, in_reply_to: str | None = None, **author: Any) -> InboundMessage:
    return InboundMessage.model_validate(
        {"id": mid, "channel": channel, "created_at": AT, "author": {"handle": handle, **author},
         "text": "t", "in_reply_to": in_reply_to}
    )  # fmt: skip


KNOWN = {
    m.key: m
    for m in (
        _m("forum", "t7-p1", "ana"),
        _m("forum", "t7-p2", "bea", "t7-p1"),
        _m("twitter", "100", "ana"),
        _m("twitter", "101", "bea", "100"),
    )
}


async def _find(key: str) -> InboundMessage | None:
    return KNOWN.get(key)


async def _watch(message: InboundMessage, sentiment: str = "positive") -> list[Any]:
    decision = Decision.model_validate(
        {"message_key": message.key, "action": "monitor", "reason": "r", "rule": "x", "sentiment": sentiment,
         "author": message.author.handle}
    )  # fmt: skip
    return list(await CommunityReplyWatcher(_find).watch(MessageContext(message=message, now=AT), decision))


def test_on_the_forum_the_person_helped_is_the_topics_author() -> None:
    assert answered_key(_m("forum", "t7-p3", "carl", "t7-p2")) == "forum:t7-p1"
    assert answered_key(_m("twitter", "102", "carl", "101")) == "twitter:101"
    assert answered_key(_m("twitter", "103", "carl")) is None
    assert answered_key(_m("forum", "odd", "carl", "not-a-post")) is None


async def test_a_reply_in_another_members_topic_is_recorded_for_its_author() -> None:
    (effect,) = await _watch(_m("forum", "t7-p3", "carl", "t7-p2"))  # answers bea, in ana's topic
    assert isinstance(effect, SaveRecord)
    assert (effect.kind, effect.record_id, effect.only_if_absent) == (
        RecordKind.COMMUNITY_REPLY,
        "forum:t7-p3",
        True,
    )
    assert effect.data["author"] == "carl" and effect.data["customer"] == "forum:carl"
    assert effect.data["answered_key"] == "forum:t7-p1" and effect.data["message_at"] == AT.isoformat()


async def test_an_x_reply_to_another_customer_is_recorded() -> None:
    (effect,) = await _watch(_m("twitter", "102", "carl", "101"))
    assert isinstance(effect, SaveRecord) and effect.data["answered_key"] == "twitter:101"


@pytest.mark.parametrize(
    ("message", "sentiment"),
    [
        (_m("forum", "t7-p4", "ANA", "t7-p2"), "positive"),  # the topic's own author
        (_m("twitter", "104", "carl", "999"), "neutral"),  # replying to a post we never got (ours)
        (_m("twitter", "105", "carl", "100"), "negative"),  # "me too, awful" is no help
        (_m("twitter", "106", "carl"), "positive"),  # not a reply
        (_m("twitter", "107", "helper-bot", "100", is_bot=True), "positive"),
        (_m("forum", "t7-p5", "mod", "t7-p1").model_copy(update={"raw": {"staff": True}}), "positive"),
    ],
)
async def test_what_is_not_help_is_not_recorded(message: InboundMessage, sentiment: str) -> None:
    assert await _watch(message, sentiment) == []
