"""Meta (Facebook Page, Messenger, Instagram, WhatsApp Cloud API) as one adapter over one webhook.

One Meta app delivers every product to one callback URL, so one adapter owns the route and
the Graph client. `platforms` narrows what it translates: the `meta` registry entry serves all
three, and `replay --adapter facebook|instagram|whatsapp` uses the same code narrowed to one.

Replies go where the message came from: a comment gets a comment reply (Facebook
`/{comment-id}/comments`, Instagram `/{comment-id}/replies`), a Messenger or Instagram DM a
message through the Page (`/{page-id}/messages`, `messaging_type: RESPONSE`), a WhatsApp
message a text in its context (`/{phone-number-id}/messages`). Private channels are windowed:
past 24 hours after the customer's message, nothing free-form goes out (`WindowExpired`).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Collection, Mapping, Sequence
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
    WindowExpired,
)
from adapters.meta.config import MetaConfig
from adapters.meta.graph import GraphClient
from adapters.meta.routes import delivery_handler, verification_handler
from adapters.meta.translate import translate_body
from bot.core.channels import CUSTOMER_MESSAGE_AT, capabilities
from bot.core.models import InboundMessage, OutboxItem
from bot.core.posts import is_standalone_post

log = logging.getLogger(__name__)

ALL_PLATFORMS = ("facebook", "instagram", "whatsapp")
CHANNELS_OF = {
    "facebook": ("facebook", "messenger"),
    "instagram": ("instagram", "instagram_dm"),
    "whatsapp": ("whatsapp",),
}


class MetaAdapter:
    """Graph webhooks in (signed, batched); Graph API replies out, within the 24-hour window."""

    def __init__(
        self, config: MetaConfig, platforms: Collection[str] = ALL_PLATFORMS, name: str = "meta"
    ) -> None:
        self.name = name
        self._config = config
        self._platforms = tuple(platforms)
        self.channels: tuple[str, ...] = tuple(c for p in self._platforms for c in CHANNELS_OF[p])
        self._own = {i for i in (config.page_id, config.instagram_id) if i}
        self._graph = GraphClient(
            config.base_url, config.graph_version, config.timeout_s, config.rate_limit_wait_s
        )
        self._limited_until = 0.0
        self.stats = AdapterStats()

    def translate(self, payload: Any, headers: Mapping[str, str]) -> Translation:
        """One webhook body as Meta posted it (many `entry` items allowed)."""
        return translate_body(payload, platforms=self._platforms, own_ids=self._own)

    def routes(self, sink: IntakeSink) -> Sequence[Route]:
        verify = verification_handler(self._config.verify_token.get_secret_value())
        deliver = delivery_handler(
            self._config.app_secret.get_secret_value(),
            self._config.max_bytes,
            lambda body: self.translate(body, {}),
            sink,
            self._counted,
        )
        path = self._config.webhook_path
        return (Route("GET", path, verify), Route("POST", path, deliver))

    def _counted(
        self, messages: Sequence[InboundMessage], fresh: list[bool], translation: Translation
    ) -> None:
        self.stats.count("received", sum(fresh))
        self.stats.count("duplicates", len(fresh) - sum(fresh))
        for reason, count in translation.skipped.items():
            self.stats.count(f"skipped_{reason}", count)

    async def start(self, context: AdapterContext) -> None:
        answering = [
            what
            for what, ready in (
                ("Page comments and Messenger", self._config.page_token is not None),
                ("Instagram comments and DMs", self._config.page_token is not None),
                ("WhatsApp", self._config.whatsapp_token is not None),
            )
            if ready
        ]
        log.info(
            "Meta: listening on %s for %s; answering on %s",
            self._config.webhook_path,
            ", ".join(self._platforms),
            ", ".join(answering) or "nothing (no tokens)",
        )

    # --- outbound -----------------------------------------------------------------------
    async def send(self, item: OutboxItem) -> Receipt:
        try:
            self._check_window(item)
            node, edge, token, body = self._request(item)
            answer = await self._graph.post(node, edge, token, body)
        except WindowExpired:
            self.stats.count("window_expired")
            raise
        except RateLimited as exc:
            self.stats.count("rate_limited")
            self._limited_until = time.time() + exc.retry_after
            raise
        except DeliveryError:
            self.stats.count("failed")
            raise
        self.stats.count("sent")
        return {"id": _receipt_id(answer), "channel": item.channel, "in_reply_to": item.target}

    def _check_window(self, item: OutboxItem) -> None:
        window = capabilities(item.channel).messaging_window_s
        if window is None:
            return
        stamp = (item.payload or {}).get(CUSTOMER_MESSAGE_AT)
        if not stamp:
            raise WindowExpired(
                "the item does not say when the customer wrote: the window is not provably open"
            )
        written = datetime.fromisoformat(str(stamp))
        age = time.time() - written.astimezone(UTC).timestamp()
        if age > window:
            hours = age / 3600
            raise WindowExpired(
                f"the customer wrote {hours:.1f} h ago, past the {window / 3600:.0f}-hour window: "
                "only an approved template (WhatsApp) or a message tag (Messenger) may be sent"
            )

    def _request(self, item: OutboxItem) -> tuple[str, str, str, dict[str, Any]]:
        channel = item.channel
        if channel == "whatsapp":
            token, phone = self._config.whatsapp_token, self._config.whatsapp_phone_number_id
            if token is None or not phone:
                raise PermanentFailure("Meta: no WhatsApp token / phone number id configured")
            if not item.recipient:
                raise PermanentFailure("WhatsApp: a reply needs the customer's number")
            body: dict[str, Any] = {
                "messaging_product": "whatsapp",
                "recipient_type": "individual",
                "to": item.recipient,
                "type": "text",
                "text": {"body": item.text},
            }
            if item.target:
                body["context"] = {"message_id": item.target}
            return phone, "messages", token.get_secret_value(), body
        page_token, page = self._config.page_token, self._config.page_id
        if page_token is None or not page:
            raise PermanentFailure("Meta: no Page token / page id configured")
        if channel in ("messenger", "instagram_dm"):
            if not item.recipient:
                raise PermanentFailure(f"{channel}: a reply needs the customer's id")
            body = {
                "recipient": {"id": item.recipient},
                "messaging_type": "RESPONSE",
                "message": {"text": item.text},
            }
            return page, "messages", page_token.get_secret_value(), body
        if channel == "facebook" and is_standalone_post(item):
            return page, "feed", page_token.get_secret_value(), {"message": item.text}  # a Page post
        if not item.target:
            raise PermanentFailure(f"{channel}: a comment reply needs the comment id")
        edge = "replies" if channel == "instagram" else "comments"
        return item.target, edge, page_token.get_secret_value(), {"message": item.text}

    def status(self) -> str:
        now = time.time()
        if self._limited_until > now:
            until = datetime.fromtimestamp(self._limited_until, tz=UTC).strftime("%H:%MZ")
            self.stats.state = f"rate limited until {until}"
        else:
            self.stats.state = "ok"
        return f"Meta: {self.stats.state}"

    async def close(self) -> None:
        await self._graph.close()


def narrowed_to(platform: str) -> Callable[[MetaConfig], MetaAdapter]:
    """A builder of the Meta adapter that translates and answers one product only."""

    def build(config: MetaConfig) -> MetaAdapter:
        return MetaAdapter(config, (platform,), platform)

    return build


def _receipt_id(answer: Mapping[str, Any]) -> str:
    """Graph's id of what was created: `id` (comments), `message_id` (Messenger), WhatsApp's wamid."""
    if answer.get("id"):
        return str(answer["id"])
    if answer.get("message_id"):
        return str(answer["message_id"])
    messages = answer.get("messages")
    if isinstance(messages, list) and messages and isinstance(messages[0], dict):
        return str(messages[0].get("id") or "")
    return ""
