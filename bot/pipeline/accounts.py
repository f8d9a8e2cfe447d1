"""Who is writing: our own accounts, known bots, influential authors, known customers.

Never replying to ourselves or to other bots is the first defence against reply loops, so this
is decided from configuration and cheap heuristics before anything else looks at the text.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from bot.core.context import AuthorProfile
from bot.core.models import InboundMessage

# Handles that name themselves as automated: "…bot", "…_bot", "status…", "…_status", "noreply".
# Deliberately narrow: "@nerd_alert_99" is a person, and replying to a person is the safe miss.
BOT_HANDLE = re.compile(
    r"bot$|(?:^|_)(?:status|tracker|noreply|no-reply)$|^(?:status|noreply)_", re.IGNORECASE
)


def _normal_handle(handle: str) -> str:
    return handle.strip().lstrip("@").casefold()


class AccountDirectory:
    """Classifies authors; `customers` maps handles to CRM customer ids when a CRM is connected."""

    def __init__(
        self,
        own_accounts: Iterable[str],
        bot_accounts: Iterable[str] = (),
        *,
        influencer_followers: int = 50_000,
        customers: Mapping[str, str] | None = None,
        brands: Iterable[str] = (),
    ) -> None:
        self._own = {_normal_handle(h) for h in own_accounts}
        self._brands = tuple(b.casefold() for b in brands if b)
        self._bots = {_normal_handle(h) for h in bot_accounts}
        self._influencer_followers = influencer_followers
        self._customers = {_normal_handle(h): cid for h, cid in (customers or {}).items()}

    def _is_brand_handle(self, handle: str) -> bool:
        """`@Brand` and `@Brand_<suffix>` (regional, help-desk, robot accounts) are ours."""
        return any(handle == brand or handle.startswith(brand + "_") for brand in self._brands)

    def profile(self, message: InboundMessage) -> AuthorProfile:
        author = message.author
        handle = _normal_handle(author.handle)
        return AuthorProfile(
            own_account=handle in self._own or self._is_brand_handle(handle),
            bot=author.is_bot or handle in self._bots or bool(handle and BOT_HANDLE.search(handle)),
            influential=author.verified or (author.followers or 0) >= self._influencer_followers,
            known_customer=author.customer_id is not None or handle in self._customers,
        )
