"""Slack as an outbox channel: war-room posts, in-place updates and escalation pages.

Delivery uses the real `slack_sdk` `AsyncWebClient` (its `base_url` points at a fake in tests)
with the SDK's own retries switched off, because retrying is the publisher's job and an SDK
that silently re-sends `chat.postMessage` after a dropped connection posts twice. Slack's
answers map onto the delivery errors the publisher understands:

- HTTP 429 / `ratelimited` → `RateLimited` (Retry-After honoured);
- HTTP 5xx, `internal_error`, connection refused → `TemporaryFailure` (nothing was posted);
- connection dropped after the request went out → `OutcomeUnknown` for a post (a person
  checks), `TemporaryFailure` for an update (updating twice is harmless);
- any other `ok: false` → `PermanentFailure`.

A file (`{"op": "upload", "content_b64", "filename", "title"}`, the daily digest) goes up with
`files_upload_v2`. War-room items carry only a reference (`{"op": "post"|"update", "alert_id": ...}`); the
injected renderer draws the alert as it stands when the item is sent, so an update that waited
behind a rate limit never paints an older state over a newer one.
"""

from __future__ import annotations

import base64
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from pydantic import BaseModel, SecretStr
from slack_sdk.errors import SlackApiError, SlackRequestError
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.web.async_slack_response import AsyncSlackResponse

from adapters.base import (
    AdapterContext,
    AdapterStats,
    Handler,
    IntakeSink,
    OutcomeUnknown,
    PermanentFailure,
    RateLimited,
    Receipt,
    Route,
    TemporaryFailure,
    Translation,
)
from bot.core.models import OutboxItem

log = logging.getLogger(__name__)

TEMPORARY_ERRORS = frozenset({"internal_error", "fatal_error", "service_unavailable"})


class SlackConfig(BaseModel):
    """Where and as whom to post."""

    token: SecretStr
    channel: str
    base_url: str = "https://slack.com/api/"
    timeout_s: float = 10.0


@dataclass(frozen=True, slots=True)
class SlackView:
    """A rendered war-room message; `ts` is set once it is in Slack (needed to update it)."""

    text: str
    blocks: list[dict[str, Any]] = field(default_factory=list)
    channel: str | None = None
    ts: str | None = None
    version: int = 0


Renderer = Callable[[dict[str, Any]], Awaitable[SlackView | None]]
PostedHook = Callable[[dict[str, Any], SlackView, Receipt], Awaitable[None]]
EVENTS_PATH = "/slack/events"


def slack_client(config: SlackConfig) -> AsyncWebClient:
    """The Web API client, without SDK-side retries (the outbox retries, knowing what is safe)."""
    return AsyncWebClient(
        token=config.token.get_secret_value(),
        base_url=config.base_url,
        timeout=int(config.timeout_s),
        retry_handlers=[],
    )


class SlackAdapter:
    """Posts and updates war-room messages; Slack's inbound side is the war-room's bolt app.

    Built from the registry like every adapter (enabled when the Slack section has a token and
    a signing secret). The war-room then attaches what only it knows (`attach`): the renderer
    that draws an alert as it stands, and the handler of `/slack/events`, which this adapter
    offers as its route so the app mounts it as it mounts every adapter's.
    """

    name = "slack"
    channels: tuple[str, ...] = ("slack",)

    def __init__(
        self,
        config: SlackConfig,
        *,
        client: AsyncWebClient | None = None,
        render: Renderer | None = None,
        on_posted: PostedHook | None = None,
    ) -> None:
        self._config = config
        self.client = client or slack_client(config)
        self._render = render
        self._on_posted = on_posted
        self._events: Handler | None = None
        self.stats = AdapterStats()

    def attach(self, *, render: Renderer, on_posted: PostedHook, events: Handler) -> None:
        """The war-room's renderer, its posted hook and the bolt app's `/slack/events` handler."""
        self._render, self._on_posted, self._events = render, on_posted, events

    def translate(self, payload: object, headers: object) -> Translation:
        """Slack's inbound side is the bolt app at `/slack/events`, not customer messages."""
        return Translation()

    def routes(self, sink: IntakeSink) -> Sequence[Route]:
        """`/slack/events` once the war-room attached its bolt app (staff clicks, not intake)."""
        if self._events is None:
            return ()
        return (Route("POST", EVENTS_PATH, self._events, intake=False),)

    async def start(self, context: AdapterContext) -> None:
        """Nothing to poll: Slack pushes interactions to `/slack/events`."""

    def status(self) -> str:
        return "ok"

    async def close(self) -> None:
        """The SDK opens a session per call when none is given, so there is nothing to close."""

    async def send(self, item: OutboxItem) -> Receipt:
        payload = dict(item.payload or {})
        view = await self._view(payload)
        if payload.get("op") == "update":
            return await self._update(view)
        if payload.get("op") == "upload":
            return await self._upload(item, payload)
        return await self._post(item, payload, view)

    async def _view(self, payload: dict[str, Any]) -> SlackView | None:
        if self._render is None or not payload.get("alert_id"):
            return None
        return await self._render(payload)

    async def _post(self, item: OutboxItem, payload: dict[str, Any], view: SlackView | None) -> Receipt:
        args: dict[str, Any] = {
            "channel": payload.get("channel") or (view.channel if view else None) or self._config.channel,
            "text": view.text if view else item.text,
        }
        blocks = view.blocks if view else payload.get("blocks")
        if blocks:
            args["blocks"] = blocks
        if payload.get("thread_ts"):
            args["thread_ts"] = payload["thread_ts"]
            args["reply_broadcast"] = bool(payload.get("broadcast"))
        response = await call_slack(self.client.chat_postMessage(**args), idempotent=False)
        receipt: Receipt = {"channel": response.get("channel"), "ts": response.get("ts")}
        if view is not None and self._on_posted is not None:
            try:
                await self._on_posted(payload, view, receipt)
            except Exception:  # the post is out: failing here would only post it again
                log.exception("recording the Slack post of %s failed", payload.get("alert_id"))
        return receipt

    async def _upload(self, item: OutboxItem, payload: dict[str, Any]) -> Receipt:
        """A file (the daily digest's chart) with the item's text as its comment, through
        `files_upload_v2` (upload URL, the bytes, then completion in the channel)."""
        try:
            content = base64.b64decode(str(payload.get("content_b64", "")), validate=True)
        except ValueError as exc:
            raise PermanentFailure(f"the file to upload is not base64: {exc}") from exc
        call = self.client.files_upload_v2(
            channel=payload.get("channel") or self._config.channel,
            content=content,
            filename=str(payload.get("filename") or "file"),
            title=str(payload.get("title") or ""),
            initial_comment=item.text,
        )
        try:
            response = await call_slack(call, idempotent=False)
        except SlackRequestError as exc:  # the upload URL refused the bytes: nothing was shared
            raise TemporaryFailure(f"Slack file upload failed: {exc}") from exc
        shared = response.get("file") or {}
        return {"file": shared.get("id") if isinstance(shared, dict) else None}

    async def _update(self, view: SlackView | None) -> Receipt:
        if view is None or view.ts is None or view.channel is None:
            # Not posted yet: the pending post renders the latest state itself.
            return {"skipped": "message not in Slack yet"}
        response = await call_slack(
            self.client.chat_update(channel=view.channel, ts=view.ts, text=view.text, blocks=view.blocks),
            idempotent=True,
        )
        return {"channel": response.get("channel"), "ts": response.get("ts"), "updated": True}


async def call_slack(call: Awaitable[AsyncSlackResponse], *, idempotent: bool) -> AsyncSlackResponse:
    """Await one Web API call, translating failures into the publisher's delivery errors."""
    try:
        return await call
    except SlackApiError as exc:
        raise delivery_error(exc) from exc
    except aiohttp.ClientConnectorError as exc:
        raise TemporaryFailure(f"cannot connect to Slack: {exc}") from exc
    except (aiohttp.ClientError, TimeoutError) as exc:
        detail = f"connection to Slack lost after sending: {type(exc).__name__}: {exc}"
        raise (TemporaryFailure(detail) if idempotent else OutcomeUnknown(detail)) from exc


def delivery_error(exc: SlackApiError) -> Exception:
    """The delivery error for a Slack answer that was not `ok`."""
    response = exc.response
    status = int(getattr(response, "status_code", 0) or 0)
    data = response.data if isinstance(response.data, dict) else {}
    error = str(data.get("error") or f"HTTP {status}")
    if status == 429 or error == "ratelimited":
        return RateLimited(_retry_after(response), f"Slack rate limit: {error}")
    if status >= 500 or error in TEMPORARY_ERRORS:
        return TemporaryFailure(f"Slack unavailable: {error}")
    return PermanentFailure(f"Slack refused: {error}")


def _retry_after(response: AsyncSlackResponse) -> float:
    headers = response.headers or {}
    value = headers.get("Retry-After") or headers.get("retry-after")
    try:
        return max(0.0, float(value)) if value is not None else 1.0
    except (TypeError, ValueError):
        return 1.0
