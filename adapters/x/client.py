"""A small typed client of the two X API v2 calls Centinela makes, and X's rate-limit headers.

X sends no Retry-After: every answer carries `x-rate-limit-remaining` and `x-rate-limit-reset`
(Unix seconds when the window resets), and a 429 means "wait until the reset".
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

from adapters.base import PermanentFailure, RateLimited, TemporaryFailure
from adapters.http import HttpAnswer, HttpCaller

MENTION_FIELDS = {
    "expansions": "author_id",
    "user.fields": "public_metrics,verified,verified_type,name,username",
    "tweet.fields": (
        "created_at,conversation_id,in_reply_to_user_id,referenced_tweets,lang,author_id,note_tweet,"
        "edit_history_tweet_ids"
    ),
}


class XRateLimited(RateLimited):
    """A 429 from X, with the epoch second at which the window resets."""

    def __init__(self, reset_at: float, endpoint: str) -> None:
        super().__init__(max(1.0, reset_at - time.time()), f"X rate limit on {endpoint}")
        self.reset_at = reset_at


def reset_at(headers: Mapping[str, str]) -> float | None:
    """When X's window resets, from `x-rate-limit-reset`, or None if it did not say."""
    value = headers.get("x-rate-limit-reset") or headers.get("X-Rate-Limit-Reset")
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


def exhausted_until(headers: Mapping[str, str]) -> float | None:
    """The reset time when this answer used the last request of the window, else None."""
    remaining = headers.get("x-rate-limit-remaining") or headers.get("X-Rate-Limit-Remaining")
    if remaining is not None and remaining.strip() == "0":
        return reset_at(headers)
    return None


class XClient:
    def __init__(self, base_url: str, timeout_s: float) -> None:
        self._http = HttpCaller(base_url, timeout_s)
        self.last_headers: Mapping[str, str] = {}

    async def mentions(self, user_id: str, token: str, params: Mapping[str, str]) -> dict[str, Any]:
        """One page of the account's mentions (newest first)."""
        answer = await self._http.call(
            "GET",
            f"/2/users/{user_id}/mentions",
            headers={"Authorization": f"Bearer {token}"},
            params={**MENTION_FIELDS, **params},
        )
        self.last_headers = answer.headers
        _raise_for(answer, "mentions")
        return answer.body

    async def reply(self, token: str, text: str, in_reply_to: str | None) -> dict[str, Any]:
        """`POST /2/tweets` as the token's account, in the thread of `in_reply_to` (None: a post
        of its own on the account's timeline)."""
        body: dict[str, Any] = {"text": text}
        if in_reply_to is not None:
            body["reply"] = {"in_reply_to_tweet_id": in_reply_to}
        answer = await self._http.call(
            "POST",
            "/2/tweets",
            headers={"Authorization": f"Bearer {token}"},
            json_body=body,
            creates=True,
        )
        self.last_headers = answer.headers
        _raise_for(answer, "tweets")
        data = answer.body.get("data")
        if not isinstance(data, dict) or not data.get("id"):
            raise PermanentFailure(f"X answered {answer.status} without a tweet id")
        return data

    async def close(self) -> None:
        await self._http.close()


def _raise_for(answer: HttpAnswer, endpoint: str) -> None:
    if answer.status < 300:
        return
    if answer.status == 429:
        raise XRateLimited(reset_at(answer.headers) or time.time() + 60, endpoint)
    detail = answer.body.get("detail") or answer.body.get("title") or f"HTTP {answer.status}"
    if answer.status >= 500:
        raise TemporaryFailure(f"X {endpoint}: {detail} ({answer.status})")
    raise PermanentFailure(f"X {endpoint}: {detail} ({answer.status})")
