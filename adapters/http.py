"""One way for our small platform clients to call an HTTP API and classify what went wrong.

The publisher needs to know whether a failed call may have published something. A connection
that was never made (refused, DNS) published nothing: `TemporaryFailure`. A connection that
dropped or timed out after the request went out may have: for a POST that creates something,
that is `OutcomeUnknown`, so a person checks instead of the bot posting twice.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import aiohttp

from adapters.base import OutcomeUnknown, TemporaryFailure
from bot.core.input_safety import may_hold_lone_surrogates, repaired


@dataclass(frozen=True, slots=True)
class HttpAnswer:
    """Status, headers (case-insensitive copy) and the decoded JSON body ({} when not JSON)."""

    status: int
    headers: Mapping[str, str]
    body: dict[str, Any]


class HttpCaller:
    """An aiohttp session made on first use (inside the running loop) and closed with the adapter."""

    def __init__(self, base_url: str, timeout_s: float) -> None:
        self._base_url = base_url.rstrip("/")
        self._timeout = aiohttp.ClientTimeout(total=timeout_s)
        self._session: aiohttp.ClientSession | None = None

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=self._timeout)
        return self._session

    async def call(
        self,
        method: str,
        path: str,
        *,
        headers: Mapping[str, str],
        params: Mapping[str, str] | None = None,
        json_body: Any = None,
        raw_body: bytes | None = None,
        creates: bool = False,
    ) -> HttpAnswer:
        """One request; `creates` says a lost answer may hide a published post (OutcomeUnknown).

        `raw_body` is sent as it is (a signed body must reach the receiver byte for byte)."""
        url = self._base_url + path
        try:
            async with self._client().request(
                method, url, headers=dict(headers), params=params, json=json_body, data=raw_body
            ) as response:
                raw = await response.read()
                return HttpAnswer(response.status, dict(response.headers), _decode(raw))
        except aiohttp.ClientConnectorError as exc:
            raise TemporaryFailure(f"cannot connect to {self._base_url}: {exc}") from exc
        except (aiohttp.ServerDisconnectedError, aiohttp.ClientPayloadError, aiohttp.ClientOSError) as exc:
            if creates:
                raise OutcomeUnknown(f"connection dropped after {method} {path}: {exc!r}") from exc
            raise TemporaryFailure(f"connection dropped on {method} {path}: {exc!r}") from exc
        except TimeoutError as exc:
            if creates:
                raise OutcomeUnknown(f"no answer in time to {method} {path}") from exc
            raise TemporaryFailure(f"no answer in time to {method} {path}") from exc
        except aiohttp.ClientError as exc:
            raise TemporaryFailure(f"{method} {path} failed: {exc!r}") from exc

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None


def _decode(raw: bytes) -> dict[str, Any]:
    try:
        data = json.loads(raw)
        if may_hold_lone_surrogates(raw):  # a text cut inside a pair must not stall a poller
            data = repaired(data)  # recursive, as the decoder: too deep for one is for both
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
        return {}
    return data if isinstance(data, dict) else {"data": data}
