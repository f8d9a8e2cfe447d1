"""A protocol-faithful X API v2 for tests: the mentions timeline and tweet creation.

Built from X's documented shapes (and tweepy's recorded mentions page in `../shared`):
`GET /2/users/:id/mentions` pages newest-first with `since_id`, `max_results` and
`pagination_token`, expands `author_id` into `includes.users`, and returns only the tweet fields
asked for; `POST /2/tweets` creates a reply (201). Every answer carries `x-rate-limit-limit`,
`-remaining` and `-reset`; a 429 carries no Retry-After, as on X. Auth: the app's bearer token
reads, only a user token posts (an app-only token gets X's 403). Scripted faults: 429 until an
epoch, 5xx, slow answers, connections dropped after the request arrived (before or after the
tweet was created). Every call is recorded.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections import defaultdict, deque
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

APP_BEARER = "x-app-bearer"
ROBOT_TOKEN = "x-robot-user-token"
OFFICIAL_TOKEN = "x-official-user-token"
BRAND_ID, ROBOT_ID = "1500000000000000001", "1500000000000000002"


@dataclass(slots=True)
class XCall:
    method: str
    path: str
    query: dict[str, str]
    auth: str | None
    body: Any
    at: float


@dataclass(slots=True)
class Fault:
    """How the next call to an endpoint fails."""

    status: int = 429
    reset_in_s: float = 2.0
    drop: bool = False
    delay_s: float = 0.0
    # The post is created, then the connection drops before the answer: the caller cannot know.
    accept_then_drop: bool = False


@dataclass
class FakeX:
    users: dict[str, dict[str, Any]] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=lambda: {ROBOT_TOKEN: ROBOT_ID, OFFICIAL_TOKEN: BRAND_ID})
    mentions: dict[str, list[dict[str, Any]]] = field(default_factory=lambda: defaultdict(list))
    posted: list[dict[str, Any]] = field(default_factory=list)
    calls: list[XCall] = field(default_factory=list)
    window: int = 450
    reset_at: float = field(default_factory=lambda: time.time() + 900)
    _faults: dict[str, deque[Fault]] = field(default_factory=lambda: defaultdict(deque))
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _used: dict[str, int] = field(default_factory=lambda: defaultdict(int))

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/2/users/{id}/mentions", self._mentions)
        app.router.add_post("/2/tweets", self._create)
        return app

    # --- scripting ----------------------------------------------------------------------
    def add_user(self, user_id: str, username: str, *, name: str = "", followers: int = 10) -> None:
        self.users[user_id] = {
            "id": user_id,
            "username": username,
            "name": name or username,
            "verified": False,
            "public_metrics": {"followers_count": followers, "following_count": 1, "tweet_count": 5},
        }

    def mention(self, account_id: str, tweet_id: str, author_id: str, text: str, **fields: Any) -> None:
        """A new mention of `account_id` (kept newest first, as X pages them)."""
        tweet = {
            "id": tweet_id,
            "text": text,
            "author_id": author_id,
            "created_at": time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime()),
            "conversation_id": tweet_id,
            "lang": "es",
            "edit_history_tweet_ids": [tweet_id],
            **fields,
        }
        self.mentions[account_id].append(tweet)
        self.mentions[account_id].sort(key=lambda t: int(t["id"]), reverse=True)

    def fail_next(self, endpoint: str, fault: Fault, times: int = 1) -> None:
        """`endpoint`: "tweets", "mentions" (any account) or "mentions:<user id>"."""
        self._faults[endpoint].extend([fault] * times)

    def calls_to(self, path_part: str) -> list[XCall]:
        return [c for c in self.calls if path_part in c.path]

    # --- the API ------------------------------------------------------------------------
    def _headers(self, endpoint: str) -> dict[str, str]:
        self._used[endpoint] += 1
        return {
            "x-rate-limit-limit": str(self.window),
            "x-rate-limit-remaining": str(max(0, self.window - self._used[endpoint])),
            "x-rate-limit-reset": str(int(self.reset_at)),
        }

    def _next_fault(self, endpoint: str) -> Fault | None:
        return self._faults[endpoint].popleft() if self._faults[endpoint] else None

    async def _fault(self, endpoint: str, request: web.Request) -> web.StreamResponse | None:
        fault = self._next_fault(endpoint)
        return None if fault is None else await self._apply(fault, request)

    async def _apply(self, fault: Fault, request: web.Request) -> web.StreamResponse | None:
        if fault.delay_s:
            await asyncio.sleep(fault.delay_s)
        if fault.drop:
            assert request.transport is not None
            request.transport.close()
            return web.Response()
        if fault.status == 429:
            reset = int(time.time() + fault.reset_in_s)
            headers = {"x-rate-limit-limit": str(self.window), "x-rate-limit-remaining": "0"}
            headers["x-rate-limit-reset"] = str(reset)
            body = {
                "title": "Too Many Requests",
                "detail": "Too Many Requests",
                "type": "about:blank",
                "status": 429,
            }
            return web.json_response(body, status=429, headers=headers)
        if fault.status:
            body = {"title": "Service Unavailable", "detail": "Service Unavailable", "status": fault.status}
            return web.json_response(body, status=fault.status)
        return None

    async def _record(self, request: web.Request) -> XCall:
        body = await request.json() if request.can_read_body else None
        call = XCall(
            request.method,
            request.path,
            dict(request.query),
            request.headers.get("Authorization"),
            body,
            time.time(),
        )
        self.calls.append(call)
        return call

    async def _mentions(self, request: web.Request) -> web.StreamResponse:
        call = await self._record(request)
        faulted = await self._fault(f"mentions:{request.match_info['id']}", request)
        if faulted is None:
            faulted = await self._fault("mentions", request)
        if faulted is not None:
            return faulted
        token = (call.auth or "").removeprefix("Bearer ")
        if token != APP_BEARER and token not in self.tokens:
            return _problem(401, "Unauthorized", "Unauthorized")
        query = call.query
        try:
            size = int(query.get("max_results", "10"))
        except ValueError:
            size = 0
        if not 5 <= size <= 100:
            return _problem(400, "Invalid Request", "max_results must be between 5 and 100")
        since = int(query.get("since_id", "0") or 0)
        tweets = [t for t in self.mentions[request.match_info["id"]] if int(t["id"]) > since]
        start = int(query.get("pagination_token", "p0").removeprefix("p"))
        page = tweets[start : start + size]
        headers = self._headers("mentions")
        if not page:
            return web.json_response({"meta": {"result_count": 0}}, headers=headers)
        wanted = set(query.get("tweet.fields", "").split(",")) | {"id", "text", "edit_history_tweet_ids"}
        if "author_id" in query.get("expansions", ""):
            wanted.add("author_id")
        data = [{k: v for k, v in t.items() if k in wanted} for t in page]
        meta: dict[str, Any] = {
            "result_count": len(page),
            "newest_id": page[0]["id"],
            "oldest_id": page[-1]["id"],
        }
        if start + size < len(tweets):
            meta["next_token"] = f"p{start + size}"
        body: dict[str, Any] = {"data": data, "meta": meta}
        if "author_id" in query.get("expansions", ""):
            fields = set(query.get("user.fields", "").split(",")) | {"id", "name", "username"}
            authors = {t["author_id"] for t in page}
            body["includes"] = {
                "users": [
                    {k: v for k, v in self.users[a].items() if k in fields}
                    for a in authors
                    if a in self.users
                ]
            }
        return web.json_response(body, headers=headers)

    async def _create(self, request: web.Request) -> web.StreamResponse:
        call = await self._record(request)
        fault = self._next_fault("tweets")
        if fault is not None and not fault.accept_then_drop:
            faulted = await self._apply(fault, request)
            if faulted is not None:
                return faulted
        token = (call.auth or "").removeprefix("Bearer ")
        if token == APP_BEARER:
            return _problem(
                403, "Unsupported Authentication", "Application-Only is forbidden for this endpoint"
            )
        if token not in self.tokens:
            return _problem(401, "Unauthorized", "Unauthorized")
        body = call.body if isinstance(call.body, dict) else {}
        text = body.get("text")
        if not isinstance(text, str) or not text:
            return _problem(400, "Invalid Request", "text is required")
        tweet_id = str(1_900_000_000_000_000_000 + next(self._ids))
        self.posted.append({"id": tweet_id, "author_id": self.tokens[token], **body})
        if fault is not None and fault.accept_then_drop:
            assert request.transport is not None
            request.transport.close()
            return web.Response()
        headers = self._headers("tweets")
        return web.json_response(
            {"data": {"id": tweet_id, "text": text, "edit_history_tweet_ids": [tweet_id]}},
            status=201,
            headers=headers,
        )


def _problem(status: int, title: str, detail: str) -> web.Response:
    return web.json_response(
        {"title": title, "detail": detail, "type": "about:blank", "status": status}, status=status
    )
