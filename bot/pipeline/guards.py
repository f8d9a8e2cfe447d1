"""Guards against embarrassment: reasons an automatic reply must not go out.

Every check here exists because a real bot did it in public: replying to itself or to another
bot until both were banned, answering the same thread ten times, answering a week-old backlog
after an outage, or carrying on while staff were shouting "stop". Human-approved replies skip
these (a person already decided), but never the kill switch check of the publisher.
"""

from __future__ import annotations

from datetime import timedelta

from bot.config import GuardSettings
from bot.core.context import MessageContext
from bot.core.digests import person_digest
from bot.store.base import Store

KILL_SWITCH = "kill_switch"


class ReplyGuard:
    """Decides whether an automatic reply to this message may be queued."""

    def __init__(self, store: Store, settings: GuardSettings) -> None:
        self._store = store
        self._settings = settings

    async def blocked(self, ctx: MessageContext) -> str | None:
        """None when the reply may go; otherwise the reason, shown to staff and audited."""
        if ctx.author.own_account:
            return "author is one of our own accounts"
        if ctx.author.bot:
            return "author is a bot"
        if ctx.echo:
            return "message echoes one of our own posts"
        age = (ctx.now - ctx.message.created_at).total_seconds()
        if age > self._settings.max_message_age_s:
            return (
                f"message is {age / 3600:.1f} h old (limit {self._settings.max_message_age_s / 3600:.1f} h)"
            )
        msg = ctx.message
        thread = f"thread:{msg.channel}:{msg.in_reply_to or msg.id}"
        until = ctx.now + timedelta(seconds=self._settings.thread_reply_interval_s)
        author = f"author:{person_digest(msg.channel, msg.author.handle)}"  # no handle kept
        # Owned by the message: its own redelivery (crash before the outbox write) passes again.
        # The author is counted only when the thread was free, in the same store call.
        count = await self._store.reserve_and_count(
            thread, now=ctx.now, until=until, owner=msg.key, counter=author, window_s=3600
        )
        if count is None:
            return "already replied automatically in this thread within the interval"
        if count > self._settings.author_reply_cap:
            return f"author already got {self._settings.author_reply_cap} automatic replies this hour"
        return None


async def kill_switch_on(store: Store) -> bool:
    """True while staff have paused all automatic publishing."""
    return await store.get_flag(KILL_SWITCH) is not None


async def set_kill_switch(store: Store, *, on: bool, actor: str, reason: str = "") -> None:
    """Pause or resume all automatic publishing; persisted, so it survives restarts. Audited."""
    from bot.core.models import AuditEvent, utc_now

    value = f"{actor} at {utc_now().isoformat()}: {reason}".strip() if on else None
    await store.set_flag(KILL_SWITCH, value)
    event = AuditEvent(
        kind="kill_switch", subject="on" if on else "off", actor=actor, detail={"reason": reason}
    )
    await store.append_audit([event])
