"""A protocol-faithful Discourse for tests: the REST calls Centinela makes, and the webhooks it gets.

`FakeDiscourse.app()` serves `POST /posts.json` and `GET /t/{id}.json` the way a Discourse site
does for an admin API key: `Api-Key` and `Api-Username` headers (403 `invalid_access` when
wrong), posts numbered within their topic, 404 `not_found`, 422 for a body that is too short,
429 `rate_limit` with `Retry-After` and `extras.wait_seconds`, 5xx, slow answers and connections
dropped after the request arrived, on demand. Every call is recorded.

`delivery()` builds what Discourse POSTs to a webhook: the JSON body (the shapes of
WebHookPostSerializer / WebHookTopicViewSerializer) and the `X-Discourse-*` headers, signed
`sha256=` + HMAC-SHA256 of the raw body, with a new `X-Discourse-Event-Id` on every delivery as
Discourse's retries do.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import itertools
import json
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

API_KEY = "test-discourse-api-key"
WEBHOOK_SECRET = "test-discourse-webhook-secret"
ROBOT = "aurora-bot"
OFFICIAL = "aurora"
_EVENT_IDS = itertools.count(1000)


@dataclass(slots=True)
class DiscourseCall:
    method: str
    path: str
    headers: dict[str, str]
    body: dict[str, Any] | None


@dataclass(slots=True)
class Failure:
    """How the next API call fails: an HTTP status, a slow answer, or a dropped connection.

    `status=0` lets the call through (after `delay_s`): a way to script the second call only.
    """

    status: int = 429
    retry_after: int | None = None
    wait_seconds: int | None = None
    drop: bool = False
    delay_s: float = 0.0


@dataclass
class FakeDiscourse:
    api_key: str = API_KEY
    users: set[str] = field(default_factory=lambda: {ROBOT, OFFICIAL, "ana", "luis", "marta"})
    staff: set[str] = field(default_factory=lambda: {"marta"})
    topics: dict[int, dict[str, Any]] = field(default_factory=dict)
    calls: list[DiscourseCall] = field(default_factory=list)
    failures: deque[Failure] = field(default_factory=deque)
    _post_ids: itertools.count[int] = field(default_factory=lambda: itertools.count(500))

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/posts.json", self._create_post)
        app.router.add_get("/t/{topic_id}.json", self._topic)
        return app

    def fail_next(self, *failures: Failure) -> None:
        self.failures.extend(failures)

    def posts_created(self) -> list[DiscourseCall]:
        return [c for c in self.calls if c.method == "POST" and c.path == "/posts.json"]

    def add_topic(self, topic_id: int, title: str, *posts: tuple[str, str]) -> None:
        """A topic with posts (username, raw), numbered from 1."""
        self.topics[topic_id] = {"id": topic_id, "title": title, "posts": [], "accepted_answer": None}
        for username, raw in posts:
            self._append(topic_id, username, raw, None)

    def accept(self, topic_id: int, post_number: int) -> None:
        """What discourse-solved does when a post is marked as the solution."""
        topic = self.topics[topic_id]
        post = topic["posts"][post_number - 1]
        post["accepted_answer"] = True
        topic["accepted_answer"] = {"post_number": post_number, "username": post["username"]}

    def _append(self, topic_id: int, username: str, raw: str, reply_to: int | None) -> dict[str, Any]:
        topic = self.topics[topic_id]
        post = {
            "id": next(self._post_ids),
            "topic_id": topic_id,
            "post_number": len(topic["posts"]) + 1,
            "username": username,
            "raw": raw,
            "cooked": f"<p>{raw}</p>",
            "reply_to_post_number": reply_to,
            "staff": username in self.staff,
            "post_type": 1,
            "created_at": "2026-05-20T09:16:00.000Z",
            "accepted_answer": False,
        }
        topic["posts"].append(post)
        return post

    async def _guarded(self, request: web.Request, body: dict[str, Any] | None) -> web.StreamResponse | None:
        """Record the call, then apply a scripted failure or refuse bad credentials."""
        self.calls.append(DiscourseCall(request.method, request.path, dict(request.headers), body))
        if self.failures:
            failure = self.failures.popleft()
            if failure.delay_s:
                await asyncio.sleep(failure.delay_s)  # a slow server, not a test waiting
            if failure.drop:
                assert request.transport is not None
                request.transport.close()
                return web.Response()
            if failure.status == 429:
                wait = failure.wait_seconds if failure.wait_seconds is not None else 10
                headers = {"Retry-After": str(failure.retry_after)} if failure.retry_after is not None else {}
                return web.json_response(
                    {
                        "errors": [
                            f"You’ve performed this action too many times. Please wait {wait} seconds."
                        ],
                        "error_type": "rate_limit",
                        "extras": {"wait_seconds": wait, "time_left": f"{wait} seconds"},
                    },
                    status=429,
                    headers=headers,
                )
            if failure.status:
                return web.Response(status=failure.status, text="<html>Bad gateway</html>")
        if (
            request.headers.get("Api-Key") != self.api_key
            or request.headers.get("Api-Username") not in self.users
        ):
            return web.json_response(
                {
                    "errors": ["You are not permitted to view the requested resource. "
                               "The API username or key is invalid."],
                    "error_type": "invalid_access",
                },
                status=403,
            )  # fmt: skip
        return None

    async def _create_post(self, request: web.Request) -> web.StreamResponse:
        try:
            body = await request.json()
        except json.JSONDecodeError:
            body = dict(await request.post())
        refused = await self._guarded(request, body)
        if refused is not None:
            return refused
        topic_id = int(body.get("topic_id") or 0)
        if topic_id not in self.topics:
            return _not_found()
        raw = str(body.get("raw") or "")
        if len(raw.strip()) < 20:
            return web.json_response(
                {"action": "create_post", "errors": ["Body is too short (minimum is 20 characters)"]},
                status=422,
            )
        reply_to = body.get("reply_to_post_number")
        post = self._append(
            topic_id, request.headers["Api-Username"], raw, int(reply_to) if reply_to else None
        )
        return web.json_response(post)

    async def _topic(self, request: web.Request) -> web.StreamResponse:
        refused = await self._guarded(request, None)
        if refused is not None:
            return refused
        topic = self.topics.get(int(request.match_info["topic_id"]))
        if topic is None:
            return _not_found()
        view: dict[str, Any] = {
            "id": topic["id"],
            "title": topic["title"],
            "posts_count": len(topic["posts"]),
            "post_stream": {"posts": topic["posts"][:20], "stream": [p["id"] for p in topic["posts"]]},
        }
        if topic["accepted_answer"]:
            view["accepted_answer"] = topic["accepted_answer"]
        return web.json_response(view)


def _not_found() -> web.Response:
    return web.json_response(
        {"errors": ["The requested URL or resource could not be found."], "error_type": "not_found"},
        status=404,
    )


def sign(body: bytes, secret: str = WEBHOOK_SECRET) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def delivery(
    event: str, payload: dict[str, Any], *, secret: str = WEBHOOK_SECRET
) -> tuple[bytes, dict[str, str]]:
    """The body and headers of one webhook delivery (a fresh event id every time, as on retries)."""
    body = json.dumps(payload).encode()
    return body, {
        "Content-Type": "application/json",
        "X-Discourse-Instance": "https://comunidad.example.com",
        "X-Discourse-Event-Id": str(next(_EVENT_IDS)),
        "X-Discourse-Event-Type": event.split("_", 1)[0],
        "X-Discourse-Event": event,
        "X-Discourse-Event-Signature": sign(body, secret),
    }


def post_payload(
    topic_id: int,
    post_number: int,
    raw: str,
    *,
    username: str = "ana",
    title: str = "Router",
    reply_to: int | None = None,
    updated_at: str = "2026-05-20T09:15:00.000Z",
    category_id: int = 5,
    staff: bool = False,
    post_id: int | None = None,
    created_at: str = "2026-05-20T09:15:00.000Z",
) -> dict[str, Any]:
    """A `post_created` / `post_edited` body (WebHookPostSerializer's fields that matter)."""
    return {
        "post": {
            "id": post_id or topic_id * 100 + post_number,
            "name": username.title(),
            "username": username,
            "created_at": created_at,
            "cooked": f"<p>{raw}</p>",
            "post_number": post_number,
            "post_type": 1,
            "updated_at": updated_at,
            "reply_count": 0,
            "reply_to_post_number": reply_to,
            "topic_id": topic_id,
            "topic_slug": title.lower().replace(" ", "-"),
            "topic_title": title,
            "category_id": category_id,
            "version": 1 if updated_at in ("2026-05-20T09:15:00.000Z", created_at) else 2,
            "raw": raw,
            "moderator": False,
            "admin": staff,
            "staff": staff,
            "user_id": 7,
            "hidden": False,
            "trust_level": 1,
            "deleted_at": None,
            "user_deleted": False,
            "topic_posts_count": post_number,
            "topic_archetype": "regular",
            "category_slug": "ayuda",
        }
    }
