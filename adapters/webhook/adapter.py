"""The generic webhook as an adapter: any source without its own (a CRM, a form, a test client).

Its route is `POST /webhooks/generic` (FORMATS.md); its translation is the message format itself.
It only listens: replies to what it brings in go out through the adapter of each message's own
channel (or the recording).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import BaseModel, Field, SecretStr

from adapters.base import AdapterContext, AdapterStats, IntakeSink, ListenOnly, Route, Translation
from adapters.webhook.inbound import generic_webhook_handler, parse_messages


class WebhookConfig(BaseModel):
    """The shared HMAC secret and the limits of `POST /webhooks/generic`."""

    secrets: list[SecretStr] = Field(
        min_length=1, description="the current secret, and the old one during a rotation"
    )
    max_bytes: int = Field(1_048_576, gt=0)
    max_skew_s: int = Field(300, gt=0)
    read_timeout_s: float = Field(10.0, gt=0, description="how long a request body may take to arrive")


class GenericWebhookAdapter(ListenOnly):
    """Signed JSON messages in (FORMATS.md "Generic webhook"); nothing out."""

    name = "webhook"
    channels: tuple[str, ...] = ()

    def __init__(self, config: WebhookConfig) -> None:
        self._config = config
        self.stats = AdapterStats()

    def translate(self, payload: Any, headers: Mapping[str, str]) -> Translation:
        """A message object or `{"messages": [...]}`; raises ValueError(message, field) when invalid."""
        body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        return Translation(messages=parse_messages(body))

    def routes(self, sink: IntakeSink) -> Sequence[Route]:
        async def counted(messages: Sequence[Any]) -> list[bool]:
            fresh = await sink(messages)
            self.stats.count("received", sum(fresh))
            return fresh

        handler = generic_webhook_handler(
            [secret.get_secret_value() for secret in self._config.secrets],
            counted,
            max_bytes=self._config.max_bytes,
            max_skew_s=self._config.max_skew_s,
            read_timeout_s=self._config.read_timeout_s,
        )
        return (Route("POST", "/webhooks/generic", handler),)

    async def start(self, context: AdapterContext) -> None:
        return None

    def status(self) -> str:
        return "ok"

    async def close(self) -> None:
        return None
