"""How `replay --adapter x|meta|facebook|instagram|whatsapp` builds an adapter to translate with.

A replay only translates recorded payloads (their signatures were checked when they arrived),
so it needs no credentials: the configured section is used when there is one (for our own
accounts' ids, which are skipped), else placeholders that can never authenticate anything.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from adapters.base import Adapter
from adapters.meta.adapter import ALL_PLATFORMS, MetaAdapter
from adapters.meta.config import MetaConfig
from adapters.x.adapter import XAdapter
from adapters.x.config import XAccount, XConfig

_OFFLINE = "replay-only: not a credential"


def x_for_replay(settings: Any) -> Adapter:
    section = getattr(settings, "x", None)
    if isinstance(section, XConfig):
        return XAdapter(section)
    return XAdapter(XConfig(bearer_token=_OFFLINE, robot=XAccount(user_id="0", handle="@_replay_")))


def meta_for_replay(name: str) -> Callable[[Any], Adapter]:
    platforms = ALL_PLATFORMS if name == "meta" else (name,)

    def build(settings: Any) -> Adapter:
        section = getattr(settings, "meta", None)
        config = (
            section
            if isinstance(section, MetaConfig)
            else MetaConfig(app_secret=_OFFLINE, verify_token=_OFFLINE)
        )
        return MetaAdapter(config, platforms, name)

    return build
