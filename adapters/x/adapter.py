"""X (API v2): mentions of our accounts in by polling, replies out in the mention's thread.

The poller keeps one `since_id` per account in the durable cursors, and moves it only after
every page newer than it was handed to the durable intake: a restart in the middle of a poll
reads those pages again (the intake drops what it already has) and never skips one. The
first poll of an account, with no cursor yet, reads only the newest page: Centinela starts
from "now", not from the account's history. The mentions limit belongs to the app's bearer token, so a 429 (or
a window used up) pauses polling of every account until `x-rate-limit-reset`; `status()` says
until when.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from adapters.base import (
    AdapterContext,
    AdapterStats,
    DeliveryError,
    IntakeSink,
    PermanentFailure,
    RateLimited,
    Receipt,
    Route,
    Translation,
)
from adapters.x.client import XClient, XRateLimited, exhausted_until
from adapters.x.config import XAccount, XConfig
from adapters.x.translate import translate_mentions
from bot.core.models import OutboxItem
from bot.core.posts import is_standalone_post

log = logging.getLogger(__name__)


class XAdapter:
    """Listens on the configured accounts' mentions; replies as the robot or official account."""

    name = "x"
    channels: tuple[str, ...] = ("twitter",)

    def __init__(self, config: XConfig) -> None:
        self._config = config
        self._client = XClient(config.base_url, config.timeout_s)
        self._own_ids = {a.user_id for a in config.accounts()}
        self._own_handles = {a.handle for a in config.accounts()}
        self._limited_until: dict[str, float] = {}
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self.stats = AdapterStats()
        self.polls = 0

    # --- inbound ------------------------------------------------------------------------
    def translate(self, payload: Any, headers: Mapping[str, str]) -> Translation:
        """A mentions page (FORMATS.md "Recorded platform payloads"), our own tweets skipped."""
        return translate_mentions(payload, own_ids=self._own_ids, own_handles=self._own_handles)

    def routes(self, sink: IntakeSink) -> Sequence[Route]:
        return ()

    async def start(self, context: AdapterContext) -> None:
        self._stop.clear()
        self._task = asyncio.create_task(self._poll_forever(context), name="x-mentions")
        log.info(
            "X: listening on the mentions of %s every %.0f s; answering as %s",
            ", ".join(sorted(self._own_handles)),
            self._config.poll_interval_s,
            ", ".join(f"{k}={a.handle}" for k, a in self._posting_accounts().items()) or "nobody",
        )

    async def _poll_forever(self, context: AdapterContext) -> None:
        while not self._stop.is_set():
            for account in self._config.accounts():
                if self._stop.is_set():
                    return
                await self._wait_for_window("mentions")
                try:
                    await self.poll_account(account, context)
                except XRateLimited as exc:
                    self._limit("mentions", exc.reset_at)
                except DeliveryError as exc:
                    self.stats.count("poll_failed")
                    log.warning("X: polling the mentions of %s failed: %s", account.handle, exc)
                except Exception:  # the intake or the cursors failed: keep the poller alive
                    self.stats.count("poll_failed")
                    log.exception("X: polling the mentions of %s failed", account.handle)
            self.polls += 1
            await self._pause(self._config.poll_interval_s)

    async def poll_account(self, account: XAccount, context: AdapterContext) -> int:
        """Read every mention newer than the cursor, hand it to the intake, then move the cursor."""
        cursor_key = f"since_id:{account.user_id}"
        since = await context.cursors.get(cursor_key)
        params = {"max_results": str(self._config.max_results)}
        if since:
            params["since_id"] = since
        newest: str | None = None
        fresh_total = 0
        for _ in range(self._config.max_pages):
            token = self._config.bearer_token.get_secret_value()
            page = await self._client.mentions(account.user_id, token, params)
            until = exhausted_until(self._client.last_headers)
            if until is not None:
                self._limit("mentions", until)
            translation = self.translate(page, {})
            if translation.messages:
                fresh = await context.sink(translation.messages)
                fresh_total += sum(fresh)
                self.stats.count("received", sum(fresh))
            for reason, count in translation.skipped.items():
                if reason != "empty_page":
                    self.stats.count(f"skipped_{reason}", count)
            meta = page.get("meta") if isinstance(page.get("meta"), dict) else {}
            newest = newest or (meta or {}).get("newest_id")
            next_token = (meta or {}).get("next_token")
            if not since or not next_token:
                break
            if until is not None:
                await self._wait_for_window("mentions")
            params = {**params, "pagination_token": str(next_token)}
        if newest and (not since or int(newest) > int(since)):
            await context.cursors.set(cursor_key, str(newest))
        return fresh_total

    # --- outbound -----------------------------------------------------------------------
    def _posting_accounts(self) -> dict[str, XAccount]:
        found = {"robot": self._config.robot, "official": self._config.official}
        return {k: a for k, a in found.items() if a is not None and a.token is not None}

    async def send(self, item: OutboxItem) -> Receipt:
        """A reply in the thread of `item.target`, as the item's account (a scheduled post: a tweet
        of its own)."""
        account = self._posting_accounts().get(item.account)
        if account is None or account.token is None:
            self.stats.count("failed")
            raise PermanentFailure(f"X: no token configured for the {item.account} account")
        if not item.target and not is_standalone_post(item):
            self.stats.count("failed")
            raise PermanentFailure("X: a reply needs the id of the tweet it answers")
        try:
            data = await self._client.reply(account.token.get_secret_value(), item.text, item.target or None)
        except XRateLimited as exc:
            self.stats.count("rate_limited")
            self._limit("tweets", exc.reset_at)
            raise
        except RateLimited:
            self.stats.count("rate_limited")
            raise
        except DeliveryError:
            self.stats.count("failed")
            raise
        self.stats.count("sent")
        return {"id": str(data["id"]), "account": account.handle, "in_reply_to": item.target}

    # --- state --------------------------------------------------------------------------
    def _limit(self, endpoint: str, until: float) -> None:
        self._limited_until[endpoint] = until
        if endpoint.startswith("mentions"):
            self.stats.count("rate_limited")
        log.warning("X: %s rate limited until %s", endpoint, _clock(until))

    async def _wait_for_window(self, endpoint: str) -> None:
        until = self._limited_until.get(endpoint)
        if until is not None:
            await self._pause(until - time.time())
            self._limited_until.pop(endpoint, None)

    async def _pause(self, seconds: float) -> None:
        if seconds > 0:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), timeout=seconds)

    def status(self) -> str:
        now = time.time()
        waiting = [until for until in self._limited_until.values() if until > now]
        if waiting:
            self.stats.state = f"rate limited until {_clock(max(waiting))}"
        else:
            self.stats.state = "ok"
        return f"X: {self.stats.state}"

    async def close(self) -> None:
        self._stop.set()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        await self._client.close()


def _clock(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, tz=UTC).strftime("%H:%MZ")
