"""The recording adapter: publishes to a JSON Lines file instead of a network.

It is what `replay`, `eval` and the default `make run` publish to, so the whole service path
can be exercised with no account anywhere. Each line is one published item with its receipt.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from pydantic import BaseModel

from adapters.base import IntakeSink, Receipt
from bot.models import OutboxItem, utc_now

# The outbox's own bookkeeping, not part of what was published.
_DELIVERY_STATE = {"receipt", "last_error", "status", "attempts", "next_attempt_at", "attempt_started_at"}


class RecordingConfig(BaseModel):
    path: Path


class RecordingAdapter:
    """Appends every sent item to `path`; keeps the sent idempotency keys for inspection."""

    name = "recording"
    config_model: type[BaseModel] = RecordingConfig

    def __init__(self, config: RecordingConfig) -> None:
        self._path = config.path
        self._lock = asyncio.Lock()
        self.sent: list[OutboxItem] = []

    async def start(self, sink: IntakeSink) -> None:
        await asyncio.to_thread(self._path.parent.mkdir, parents=True, exist_ok=True)

    async def send(self, item: OutboxItem) -> Receipt:
        receipt: Receipt = {"id": f"rec-{len(self.sent) + 1}", "at": utc_now().isoformat()}
        line = json.dumps(
            {"receipt": receipt, **item.model_dump(mode="json", exclude=_DELIVERY_STATE)},
            ensure_ascii=False,
        )
        async with self._lock:
            await asyncio.to_thread(_append, self._path, line)
            self.sent.append(item)
        return receipt

    async def close(self) -> None:
        return None


def _append(path: Path, line: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as handle:
        handle.write(line + "\n")
