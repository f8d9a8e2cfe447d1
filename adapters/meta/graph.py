"""A small typed client of the Graph API calls that send replies, and how Graph says "no".

Graph errors come as `{"error": {"message", "type", "code", "error_subcode", "fbtrace_id"}}`,
mostly with HTTP 400, so the code decides: rate limits (codes 4, 17, 32, 613, WhatsApp 130429,
131048, 131056, or HTTP 429) wait (for `X-Business-Use-Case-Usage`'s
`estimated_time_to_regain_access` when given), a closed messaging window (Messenger 10/2018278
and 2018109, WhatsApp 131047) is `WindowExpired`, 5xx and transient codes are retried, anything
else is permanent.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from adapters.base import PermanentFailure, RateLimited, TemporaryFailure, WindowExpired
from adapters.http import HttpAnswer, HttpCaller

RATE_LIMIT_CODES = frozenset({4, 17, 32, 613, 80001, 80002, 80004, 80006, 130429, 131048, 131056})
WINDOW_CODES = frozenset({131047})
WINDOW_SUBCODES = frozenset({2018278, 2018109, 2534022})
TRANSIENT_CODES = frozenset({1, 2, 131000, 131016})


class GraphClient:
    def __init__(self, base_url: str, version: str, timeout_s: float, rate_limit_wait_s: float) -> None:
        self._http = HttpCaller(base_url, timeout_s)
        self._version = version
        self._wait_s = rate_limit_wait_s

    async def post(self, node: str, edge: str, token: str, body: Mapping[str, Any]) -> dict[str, Any]:
        """`POST /{version}/{node}/{edge}` creating something (a comment, a message)."""
        answer = await self._http.call(
            "POST",
            f"/{self._version}/{node}/{edge}",
            headers={"Authorization": f"Bearer {token}"},
            json_body=dict(body),
            creates=True,
        )
        if answer.status < 300:
            return answer.body
        raise self._error(answer)

    def _error(self, answer: HttpAnswer) -> Exception:
        error = answer.body.get("error") if isinstance(answer.body.get("error"), dict) else {}
        code = _int((error or {}).get("code"))
        subcode = _int((error or {}).get("error_subcode"))
        message = str((error or {}).get("message") or f"HTTP {answer.status}")
        detail = f"Graph error {code}/{subcode}: {message} ({answer.status})"
        if answer.status == 429 or code in RATE_LIMIT_CODES:
            return RateLimited(_regain_after(answer.headers) or self._wait_s, detail)
        if code in WINDOW_CODES or subcode in WINDOW_SUBCODES:
            return WindowExpired(detail)
        if answer.status >= 500 or code in TRANSIENT_CODES or (error or {}).get("is_transient"):
            return TemporaryFailure(detail)
        return PermanentFailure(detail)

    async def close(self) -> None:
        await self._http.close()


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _regain_after(headers: Mapping[str, str]) -> float | None:
    """Seconds until access returns, from `X-Business-Use-Case-Usage` (minutes), if Meta said."""
    raw = headers.get("X-Business-Use-Case-Usage") or headers.get("x-business-use-case-usage")
    if not raw:
        return None
    try:
        usage = json.loads(raw)
    except json.JSONDecodeError:
        return None
    minutes = [
        float(entry["estimated_time_to_regain_access"])
        for entries in (usage.values() if isinstance(usage, dict) else [])
        for entry in (entries if isinstance(entries, list) else [])
        if isinstance(entry, dict) and isinstance(entry.get("estimated_time_to_regain_access"), int | float)
    ]
    return max(minutes) * 60 if minutes and max(minutes) > 0 else None
