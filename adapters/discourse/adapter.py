"""The Discourse adapter: `POST /webhooks/discourse` in, replies in the topic out.

Where "the community already answered" lives: at send time, for automatic answers only. A post's
webhook body says nothing about the rest of its topic (no accepted solution, no other replies),
and the topic can change between the decision and the delivery (a retry after a 429, a backlog).
So just before posting, the adapter reads the topic (`GET /t/{id}.json`) and refuses with a
`PermanentFailure` naming the reason when it has an accepted solution or a staff reply after the
question; the publisher marks the item failed and audits why. Replies a person approved go out
regardless: the person saw the topic.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from collections.abc import Mapping, Sequence
from typing import Any

from aiohttp import web

from adapters.base import (
    AdapterContext,
    AdapterStats,
    IntakeSink,
    PermanentFailure,
    RateLimited,
    Receipt,
    Route,
    Translation,
)
from adapters.discourse.client import DiscourseClient
from adapters.discourse.config import DiscourseConfig
from adapters.discourse.translate import DiscourseTranslator, parse_target
from adapters.http_body import read_capped
from bot.core.input_safety import BadInput, loads_bounded
from bot.core.models import OutboxItem

log = logging.getLogger(__name__)

WEBHOOK_PATH = "/webhooks/discourse"


def signature(secret: str, body: bytes) -> str:
    """What Discourse puts in `X-Discourse-Event-Signature` for `body`."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def signature_ok(secret: str, body: bytes, header: str | None) -> bool:
    return bool(header) and hmac.compare_digest(signature(secret, body), (header or "").strip())


class DiscourseAdapter:
    """Forum posts in, answers in the same topic out (channel `forum`)."""

    name = "discourse"
    channels: tuple[str, ...] = ("forum",)

    def __init__(self, config: DiscourseConfig) -> None:
        self._config = config
        self._translator = DiscourseTranslator(config)
        self._client = DiscourseClient(
            config.base_url, config.api_key.get_secret_value(), timeout_s=config.timeout_s
        )
        self.stats = AdapterStats()

    def translate(self, payload: Any, headers: Mapping[str, str]) -> Translation:
        return self._translator.translate(payload, headers)

    def routes(self, sink: IntakeSink) -> Sequence[Route]:
        return (Route("POST", WEBHOOK_PATH, self._webhook(sink)),)

    def _webhook(self, sink: IntakeSink) -> Any:
        secret = self._config.webhook_secret.get_secret_value()
        cap = self._config.max_bytes

        async def handle(request: web.Request) -> web.Response:
            if request.content_length is not None and request.content_length > cap:
                return _error(413, f"body larger than {cap} bytes")
            body = await read_capped(request, cap)
            if body is None:
                return _error(413, f"body larger than {cap} bytes")
            if not signature_ok(secret, body, request.headers.get("X-Discourse-Event-Signature")):
                self.stats.count("rejected_signature")
                return _error(401, "missing or bad X-Discourse-Event-Signature")
            try:  # bounded: a deep nesting or a lone surrogate is a 400, never a 500
                payload = loads_bounded(body)
            except BadInput as exc:
                return _error(400, exc.message)
            translation = self.translate(payload, request.headers)
            try:
                fresh = await sink(translation.messages) if translation.messages else []
            except Exception:
                # Not acknowledged, so Discourse delivers it again; the dedupe makes that harmless.
                log.exception("Discourse webhook: the intake refused a delivery")
                return _error(503, "intake unavailable; deliver again later")
            self.stats.count("received", sum(fresh))
            self.stats.count("duplicates", len(fresh) - sum(fresh))
            for reason, n in translation.skipped.items():
                self.stats.count(f"skipped_{reason}", n)
            pairs = list(zip(translation.messages, fresh, strict=True))
            return web.json_response(
                {
                    "accepted": [m.id for m, new in pairs if new],
                    "duplicates": [m.id for m, new in pairs if not new],
                    "skipped": dict(translation.skipped),
                }
            )

        return handle

    async def start(self, context: AdapterContext) -> None:
        return None

    async def send(self, item: OutboxItem) -> Receipt:
        where = parse_target(item.target)
        if where is None:
            raise PermanentFailure(f"not a Discourse post address: {item.target!r}")
        topic_id, number = where
        username = self._config.robot_username if item.account == "robot" else self._config.official_username
        try:
            if item.account == "robot" and self._config.skip_if_answered:
                reason = already_answered(await self._client.topic(username, topic_id), number, self._own())
                if reason is not None:
                    self.stats.count("suppressed_answered")
                    raise PermanentFailure(f"not posted: the community already answered ({reason})")
            post = await self._client.create_post(
                username, topic_id=topic_id, raw=item.text, reply_to_post_number=number
            )
        except RateLimited:
            self.stats.count("rate_limited")
            self.stats.state = "rate limited"
            raise
        except Exception:
            self.stats.count("failed")
            raise
        self.stats.count("sent")
        self.stats.state = "ok"
        return {k: post.get(k) for k in ("id", "topic_id", "post_number")}

    def _own(self) -> set[str]:
        return {self._config.robot_username.lower(), self._config.official_username.lower()}

    def status(self) -> str:
        return self.stats.state

    async def close(self) -> None:
        await self._client.close()


def already_answered(topic: Mapping[str, Any], question: int, own: set[str]) -> str | None:
    """Why the topic needs no robot answer to post `question`, or None.

    An accepted solution (discourse-solved: the topic's `accepted_answer`, or a post flagged
    `accepted_answer`), or a post by staff after the question (not our own users).
    """
    if topic.get("accepted_answer") or topic.get("has_accepted_answer"):
        return "the topic has an accepted solution"
    posts = (topic.get("post_stream") or {}).get("posts") or []
    for post in posts:
        if not isinstance(post, dict):
            continue
        if post.get("accepted_answer"):
            return f"post {post.get('post_number')} is the accepted solution"
        after = int(post.get("post_number") or 0) > question
        if after and post.get("staff") and str(post.get("username", "")).lower() not in own:
            return f"staff member {post.get('username')} replied in post {post.get('post_number')}"
    return None


def _error(status: int, message: str) -> web.Response:
    return web.json_response({"error": message}, status=status)
