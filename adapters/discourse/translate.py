"""Discourse webhook bodies to canonical messages: a dispatch on the event name, pure.

Identity. A post's message id is `t{topic_id}-p{post_number}`: a post's stable address in its
topic, so a retry of the same delivery (Discourse sends a new `X-Discourse-Event-Id` each time)
is a duplicate at intake. A new topic fires both `topic_created` (the title) and its first post's
`post_created` (title and body), separate jobs in no guaranteed order, under that one id; so
`topic_created` is skipped (`topic_created_awaits_post`) and the decision reads the body, unless
the site sends only Topic Events (`topics_from_topic_events`). The address is also all a reply needs
(`topic_id` + `reply_to_post_number`), so `send` never looks a post up. Edits (`post_edited`,
same post, later `updated_at`) are skipped: the question was already decided, and so are
deletions and recoveries of posts and topics (named by their event).

Text. `raw` (the Markdown as typed) is preferred to `cooked` (the rendered HTML); either way
quoted posts (`[quote="ana, post:1, topic:41"]...[/quote]`, `> ` lines, `<aside class="quote">`)
are cut, so a reply that quotes the question reads as what its author added.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from adapters.base import Translation
from adapters.discourse.config import DiscourseConfig
from adapters.html_text import html_to_text
from bot.core.models import Author, InboundMessage

log = logging.getLogger(__name__)
_TARGET = re.compile(r"^t(\d+)-p(\d+)$")
_QUOTE_BLOCK = re.compile(r"\[quote(?:=[^\]]*)?\](?:(?!\[quote).)*?\[/quote\]\n?", re.IGNORECASE | re.DOTALL)
REGULAR_POST = 1
# Events that are not new questions, skipped under their own name (others: `unsupported_event:`).
NAMED_SKIPS = frozenset(
    {"ping", "post_edited", "topic_edited", "post_destroyed", "post_recovered",
     "topic_destroyed", "topic_recovered"}
)  # fmt: skip


def message_id(topic_id: int, post_number: int) -> str:
    return f"t{topic_id}-p{post_number}"


def parse_target(target: str | None) -> tuple[int, int] | None:
    """(topic_id, post_number) of a message id made by `message_id`, else None."""
    match = _TARGET.match(target or "")
    return (int(match.group(1)), int(match.group(2))) if match else None


def lower_keys(headers: Mapping[str, str]) -> dict[str, str]:
    return {str(k).lower(): str(v) for k, v in headers.items()}


def event_name(payload: Mapping[str, Any], headers: Mapping[str, str]) -> str:
    """The `X-Discourse-Event` header; recorded bodies without headers are read by their shape."""
    event = lower_keys(headers).get("x-discourse-event")
    if event:
        return event.strip()
    if "ping" in payload:
        return "ping"
    post = payload.get("post")
    if isinstance(post, dict):
        edited = post.get("version", 1) not in (1, None) or post.get("updated_at") != post.get("created_at")
        return "post_edited" if edited else "post_created"
    if isinstance(payload.get("topic"), dict):
        return "topic_created"
    for kind in ("user", "category", "tag", "group", "flag", "queued_post", "like", "notification"):
        if kind in payload:
            return f"{kind}_event"
    return "unknown"


class DiscourseTranslator:
    """Webhook body + headers -> `Translation`; never raises on an unknown or odd event."""

    def __init__(self, config: DiscourseConfig) -> None:
        self._config = config
        self._own = {config.robot_username.lower(), config.official_username.lower()}
        self._events: dict[str, Callable[[dict[str, Any], Translation], None]] = {
            "post_created": self._post,
            "topic_created": self._topic,
        }

    def translate(self, payload: Any, headers: Mapping[str, str]) -> Translation:
        result = Translation()
        if not isinstance(payload, dict):
            result.skip("not_an_object")
            return result
        event = event_name(payload, headers)
        handler = self._events.get(event)
        if handler is None:
            log.debug("Discourse: %s event skipped (not a new question)", event[:40])
            result.skip(event if event in NAMED_SKIPS else f"unsupported_event:{event[:40]}")
            return result
        with result.item():
            handler(payload, result)
        return result

    def _post(self, payload: dict[str, Any], result: Translation) -> None:
        post = payload["post"]
        reason = self._not_a_question(post, post.get("topic_archetype"), post.get("category_id"))
        if reason is not None:
            result.skip(reason)
            return
        if post.get("post_type", REGULAR_POST) != REGULAR_POST:
            result.skip("not_a_regular_post")  # small actions, whispers, moderator notes
            return
        topic_id, number = int(post["topic_id"]), int(post["post_number"])
        body = post_text(post)
        title = post.get("topic_title") or ""
        text = f"{title}\n\n{body}".strip() if number == 1 and title else body
        reply_to = post.get("reply_to_post_number") or 1
        result.messages.append(
            self._message(
                topic_id,
                number,
                created_at=post.get("created_at"),
                author=Author(
                    handle=post["username"],
                    name=post.get("name") or post.get("display_username"),
                    customer_id=_user_id(post.get("user_id")),
                ),
                text=text,
                in_reply_to=None if number == 1 else message_id(topic_id, int(reply_to)),
                raw={
                    "event": "post_created",
                    "post_id": post.get("id"),
                    "staff": _is_staff(post),
                    **_audit_fields(post),
                },
            )
        )

    def _topic(self, payload: dict[str, Any], result: Translation) -> None:
        if not self._config.topics_from_topic_events:
            result.skip("topic_created_awaits_post")  # the first post's post_created brings the body
            return
        topic = payload["topic"]
        creator = topic.get("created_by") or {}
        post_like = {"username": creator.get("username", ""), **topic}
        reason = self._not_a_question(post_like, topic.get("archetype"), topic.get("category_id"))
        if reason is not None:
            result.skip(reason)
            return
        # A site without Post Events: the title is all there will be.
        result.messages.append(
            self._message(
                int(topic["id"]),
                1,
                created_at=topic.get("created_at"),
                author=Author(
                    handle=creator.get("username", ""),
                    name=creator.get("name"),
                    customer_id=_user_id(creator.get("id") or topic.get("user_id")),
                ),
                text=topic.get("title") or "",
                in_reply_to=None,
                raw={"event": "topic_created", "topic_id": topic.get("id"), "title": topic.get("title")},
            )
        )

    def _not_a_question(self, post: Mapping[str, Any], archetype: Any, category: Any) -> str | None:
        username = str(post.get("username") or "").lower()
        if username in self._own:
            return "own_post"
        if archetype == "private_message":
            return "private_message"
        if post.get("deleted_at") or post.get("hidden") or post.get("user_deleted"):
            return "deleted_or_hidden"
        if self._config.skip_staff_posts and _is_staff(post):
            return "staff_post"
        if self._config.categories and category not in self._config.categories:
            return "category_not_allowed"
        return None

    @staticmethod
    def _message(
        topic_id: int,
        number: int,
        *,
        created_at: Any,
        author: Author,
        text: str,
        in_reply_to: str | None,
        raw: dict[str, Any],
    ) -> InboundMessage:
        return InboundMessage(
            id=message_id(topic_id, number),
            channel="forum",
            created_at=created_at or datetime.now(UTC),
            author=author,
            text=text,
            in_reply_to=in_reply_to,
            raw=raw,
        )


def post_text(post: Mapping[str, Any]) -> str:
    """What the author wrote in this post, without the posts it quotes."""
    raw = post.get("raw")
    if not isinstance(raw, str) or not raw.strip():
        return html_to_text(str(post.get("cooked") or ""))
    previous = None
    while previous != raw:  # nested quotes: the innermost goes first
        previous, raw = raw, _QUOTE_BLOCK.sub("", raw)
    lines = [line for line in raw.splitlines() if not line.lstrip().startswith(">")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def _user_id(value: Any) -> str | None:
    return str(value) if isinstance(value, int | str) and str(value) else None


def _is_staff(post: Mapping[str, Any]) -> bool:
    """Staff, admins and moderators: our people (their replies help no one as a community member)."""
    return bool(post.get("staff") or post.get("admin") or post.get("moderator"))


def _audit_fields(post: Mapping[str, Any]) -> dict[str, Any]:
    keys = ("topic_id", "post_number", "topic_slug", "category_id", "updated_at", "username")
    return {k: post.get(k) for k in keys if k in post}
