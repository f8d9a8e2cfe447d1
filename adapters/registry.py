"""The only list of adapters. Enabling one is configuration; adding one is a folder and a line here.

Each entry names the adapter, its pydantic config model (the settings section of the same name)
and how to build it from that config. The composition root (`bot/compose.py`) builds the
enabled ones, mounts their routes, starts their pollers and routes outbox items to them by channel.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from pydantic import BaseModel

from adapters.base import Adapter
from adapters.discourse.adapter import DiscourseAdapter
from adapters.discourse.config import DiscourseConfig
from adapters.email.adapter import EmailAdapter
from adapters.email.config import EmailConfig
from adapters.meta.adapter import MetaAdapter, narrowed_to
from adapters.meta.config import MetaConfig
from adapters.recording.adapter import RecordingAdapter, RecordingConfig
from adapters.slack.adapter import SlackAdapter, SlackConfig
from adapters.webhook.adapter import GenericWebhookAdapter, WebhookConfig
from adapters.x.adapter import XAdapter
from adapters.x.config import XConfig

C = TypeVar("C", bound=BaseModel)


@dataclass(frozen=True, slots=True)
class AdapterSpec(Generic[C]):
    """How to make one adapter: its name, config model and constructor."""

    name: str
    config_model: type[C]
    build: Callable[[C], Adapter]

    def from_config(self, raw: BaseModel | dict[str, Any]) -> Adapter:
        """Validate `raw` against the config model (a readable error if wrong), then build."""
        data = raw.model_dump() if isinstance(raw, BaseModel) else raw
        return self.build(self.config_model.model_validate(data))


ADAPTERS: dict[str, AdapterSpec[Any]] = {
    "webhook": AdapterSpec("webhook", WebhookConfig, GenericWebhookAdapter),
    "recording": AdapterSpec("recording", RecordingConfig, RecordingAdapter),
    "x": AdapterSpec("x", XConfig, XAdapter),
    "meta": AdapterSpec("meta", MetaConfig, MetaAdapter),
    # Views of the one Meta adapter narrowed to one product, for `replay --adapter`: they have no
    # settings section of their own (the service enables Meta, all three, through `meta:`).
    "facebook": AdapterSpec("facebook", MetaConfig, narrowed_to("facebook")),
    "instagram": AdapterSpec("instagram", MetaConfig, narrowed_to("instagram")),
    "whatsapp": AdapterSpec("whatsapp", MetaConfig, narrowed_to("whatsapp")),
    "discourse": AdapterSpec("discourse", DiscourseConfig, DiscourseAdapter),
    "email": AdapterSpec("email", EmailConfig, EmailAdapter),
    # The war-room's outbound side; its settings section is `slack:` (bot/engine/adapters.py).
    "slack": AdapterSpec("slack", SlackConfig, SlackAdapter),
}
