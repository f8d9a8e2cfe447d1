"""The recording adapter: publishes to a JSON Lines file instead of a network.

It is what `replay`, `eval` and the default `make run` publish to, so the whole service path
can be exercised with no account anywhere. Each line is one published item with its receipt.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from pydantic import BaseModel

from adapters.base import AdapterContext, AdapterStats, NoRoutes, Receipt, Translation
from bot.core.models import OutboxItem, utc_now

# The outbox's own bookkeeping, not part of what was published.
_DELIVERY_STATE = {"receipt", "last_error", "status", "attempts", "next_attempt_at", "attempt_started_at"}


class RecordingConfig(BaseModel):
    path: Path


class RecordingAdapter(NoRoutes):
    """Appends every sent item to `path`; keeps the sent idempotency keys for inspection.

    It delivers for every channel that has no adapter of its own (`channels = ("*",)`).
    """

    name = "recording"
    channels: tuple[str, ...] = ("*",)

    def __init__(self, config: RecordingConfig) -> None:
        self._path = config.path
        self._lock = asyncio.Lock()
        self.sent: list[OutboxItem] = []
        self.stats = AdapterStats()

    def translate(self, payload: object, headers: object) -> Translation:
        """A recording only goes out; nothing comes in through it."""
        return Translation()

    async def start(self, context: AdapterContext) -> None:
        await asyncio.to_thread(self._path.parent.mkdir, parents=True, exist_ok=True)

    def status(self) -> str:
        return f"ok (recording to {self._path})"

    async def send(self, item: OutboxItem) -> Receipt:
        receipt: Receipt = {"id": f"rec-{len(self.sent) + 1}", "at": utc_now().isoformat()}
        line = json.dumps(
            {"receipt": receipt, **item.model_dump(mode="json", exclude=_DELIVERY_STATE)},
            ensure_ascii=False,
        )
        async with self._lock:
            await asyncio.to_thread(_append, self._path, line)
            self.sent.append(item)
        self.stats.count("sent")
        return receipt

    async def close(self) -> None:
        return None


def _append(path: Path, line: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as handle:
        handle.write(line + "\n")
