"""Limits on intake: how long a body may take, how many requests at once, how deep the queue.

Why: a sender that opens a request and never finishes its body held a connection for minutes;
nothing capped how many such requests were in flight; and a backlog grew without bound (20,000
queued messages took the service to 702 MB). Each limit answers in a way senders understand:
408 for a body that did not arrive in time, 503 with Retry-After for "busy, come back" (a
webhook platform retries it), always with a JSON body.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class IntakeSettings:
    read_timeout_s: float = 10.0
    max_concurrent: int = 64
    max_queue_depth: int = 50_000
    retry_after_s: int = 5
    depth_refresh_s: float = 0.5


class IntakeGate:
    """Admission for webhook requests: a concurrency cap, and backpressure on queue depth.

    The depth is read from the store at most every `depth_refresh_s` (a COUNT on SQLite is not
    free at 20,000 rows); between reads, what this process accepted is added, so a burst cannot
    overshoot the limit by more than other processes' intake during one refresh interval.
    """

    def __init__(
        self,
        settings: IntakeSettings,
        depth: Callable[[], Awaitable[int]],
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.settings = settings
        self._depth = depth
        self._clock = clock
        self._in_flight = 0
        self._known_depth = 0
        self._accepted_since = 0
        self._read_at: float | None = None

    def enter(self) -> bool:
        """Take a slot; False when `max_concurrent` requests are already in flight."""
        if self._in_flight >= self.settings.max_concurrent:
            return False
        self._in_flight += 1
        return True

    def leave(self) -> None:
        self._in_flight -= 1

    async def queue_full(self) -> bool:
        """True when accepting more would take the queue beyond `max_queue_depth`."""
        now = self._clock()
        if self._read_at is None or now - self._read_at >= self.settings.depth_refresh_s:
            self._known_depth = await self._depth()
            self._accepted_since = 0
            self._read_at = now
        return self._known_depth + self._accepted_since >= self.settings.max_queue_depth

    def accepted(self, count: int) -> None:
        self._accepted_since += count
