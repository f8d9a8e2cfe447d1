"""Discourse's REST API as the publisher needs it: post a reply, read a topic, typed failures.

Each HTTP outcome maps to what the publisher may do next: 429 is `RateLimited` with Discourse's
wait (the `Retry-After` header, else `extras.wait_seconds`); 5xx and a refused connection are
`TemporaryFailure` (nothing was posted); other 4xx are `PermanentFailure` with Discourse's own
error text; a connection lost after a POST went out is `OutcomeUnknown`, since the post may exist.
"""

from __future__ import annotations

import json
from typing import Any

import aiohttp

from adapters.base import OutcomeUnknown, PermanentFailure, RateLimited, TemporaryFailure

DEFAULT_WAIT_S = 30.0


class DiscourseClient:
    """A thin client over one `aiohttp.ClientSession`, authenticated per call as a given user."""

    def __init__(self, base_url: str, api_key: str, *, timeout_s: float) -> None:
        self._base = base_url.rstrip("/")
        self._key = api_key
        self._timeout = aiohttp.ClientTimeout(total=timeout_s)
        self._session: aiohttp.ClientSession | None = None

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=self._timeout)
        return self._session

    async def create_post(
        self, username: str, *, topic_id: int, raw: str, reply_to_post_number: int | None
    ) -> dict[str, Any]:
        body: dict[str, Any] = {"topic_id": topic_id, "raw": raw}
        if reply_to_post_number is not None:
            body["reply_to_post_number"] = reply_to_post_number
        return await self._call("POST", "/posts.json", username, body)

    async def topic(self, username: str, topic_id: int) -> dict[str, Any]:
        return await self._call("GET", f"/t/{topic_id}.json", username, None)

    async def _call(
        self, method: str, path: str, username: str, body: dict[str, Any] | None
    ) -> dict[str, Any]:
        headers = {"Api-Key": self._key, "Api-Username": username, "Accept": "application/json"}
        try:
            async with self._client().request(method, self._base + path, json=body, headers=headers) as resp:
                text = await resp.text()
                return _outcome(resp.status, resp.headers.get("Retry-After"), text)
        except aiohttp.ClientConnectorError as exc:
            raise TemporaryFailure(f"cannot reach Discourse: {exc}") from exc
        except (aiohttp.ServerDisconnectedError, aiohttp.ClientPayloadError, aiohttp.ClientOSError) as exc:
            if method == "POST":
                raise OutcomeUnknown(f"connection lost after {method} {path} was sent: {exc}") from exc
            raise TemporaryFailure(f"connection lost during {method} {path}: {exc}") from exc
        except TimeoutError as exc:
            if method == "POST":
                raise OutcomeUnknown(f"no answer to {method} {path} in time; it may be posted") from exc
            raise TemporaryFailure(f"no answer to {method} {path} in time") from exc

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None


def _outcome(status: int, retry_after: str | None, text: str) -> dict[str, Any]:
    try:
        data = json.loads(text) if text else {}
    except json.JSONDecodeError:
        data = {}
    if not isinstance(data, dict):
        data = {"value": data}
    if 200 <= status < 300:
        return data
    detail = "; ".join(str(e) for e in data.get("errors") or []) or text[:200] or f"HTTP {status}"
    if status == 429:
        raise RateLimited(_wait_seconds(retry_after, data), f"Discourse rate limit: {detail}")
    if status >= 500:
        raise TemporaryFailure(f"Discourse answered {status}: {detail}")
    raise PermanentFailure(f"Discourse refused ({status} {data.get('error_type', '')}): {detail}".strip())


def _wait_seconds(retry_after: str | None, data: dict[str, Any]) -> float:
    for candidate in (retry_after, (data.get("extras") or {}).get("wait_seconds")):
        try:
            if candidate is not None and float(candidate) >= 0:
                return float(candidate)
        except (TypeError, ValueError):
            continue
    return DEFAULT_WAIT_S
