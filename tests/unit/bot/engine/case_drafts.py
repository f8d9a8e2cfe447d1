"""Case drafts as the case responder makes them, for the engine's case tests."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.core.cases import Case, identity_key

T0 = datetime(2026, 5, 20, 9, tzinfo=UTC)


def draft(
    key: str, handle: str = "@ana", *, channel: str = "twitter", at: datetime = T0, **extra: object
) -> Case:
    return Case.model_validate(
        {
            "id": "",
            "message_key": f"{channel}:{key}",
            "channel": channel,
            "author": handle,
            "identity": identity_key(channel, handle, extra.pop("customer_id", None)),  # type: ignore[arg-type]
            "text": f"texto {key}",
            "language": "es",
            "opened_at": at,
            "reply_target": key,
            **extra,
        }
    )
