"""Who may approve, edit or reject: listed Slack user ids, or members of one user group.

The group's members come from `usergroups.users.list` and are cached for a few minutes, so a
burst of clicks costs one API call. When Slack cannot tell us, the answer is "no": refusing a
legitimate approver for a minute is recoverable, publishing on a stranger's click is not.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

log = logging.getLogger(__name__)


class Approvers:
    """Answers `allowed(user_id)`; fails closed."""

    def __init__(
        self,
        user_ids: Iterable[str],
        *,
        usergroup: str | None = None,
        client: AsyncWebClient | None = None,
        cache_s: float = 300.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._user_ids = frozenset(user_ids)
        self._usergroup = usergroup
        self._client = client
        self._cache_s = cache_s
        self._clock = clock
        self._members: frozenset[str] = frozenset()
        self._fetched_at: float | None = None

    async def allowed(self, user_id: str) -> bool:
        if user_id in self._user_ids:
            return True
        if self._usergroup is None or self._client is None:
            return False
        return user_id in await self._group_members(self._client, self._usergroup)

    async def _group_members(self, client: AsyncWebClient, usergroup: str) -> frozenset[str]:
        now = self._clock()
        if self._fetched_at is not None and now - self._fetched_at < self._cache_s:
            return self._members
        try:
            response = await client.usergroups_users_list(usergroup=usergroup)
        except Exception as exc:  # SlackApiError, or the network: refuse, and ask again next time
            detail = exc.response.get("error") if isinstance(exc, SlackApiError) else repr(exc)
            log.warning("cannot list members of user group %s: %s", usergroup, detail)
            return frozenset()
        self._members = frozenset(str(u) for u in response.get("users") or [])
        self._fetched_at = now
        return self._members
