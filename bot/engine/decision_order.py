"""One decision order for the whole fleet, so order-dependent steps agree on every replica.

Why: spike counts and crisis threads depend on the order messages are decided in. With two
workers (or two replicas) a burst posted in one request is split into batches that can be
decided out of order, and each process used to see only its own share: no spike, or two. Now
every claimed batch takes a *ticket* in the same critical section as its claim (so tickets
follow the queue's order), and its decisions wait for the turn of that ticket. Holding the
turn, the worker first replays the facts the other processes journaled for earlier tickets
(`bot.pipeline.journal`), then decides its batch, then journals its own facts and passes the
turn on. Only the decisions take turns: reading ahead in the helpers and applying effects still
overlap across workers and replicas.

A batch given back unprocessed voids its ticket. A ticket whose turn does not end within
`stall_s` (its worker died) is skipped by the next in line, with a warning; its messages come
back after the visibility timeout and take a new ticket.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Protocol

from bot.core.models import Claim
from bot.pipeline.journal import Fact, Journaled

log = logging.getLogger(__name__)

Facts = dict[str, list[Fact]]
"""Facts of one batch, by journal name."""


class Turns(Protocol):
    """Tickets and turns, and the journal of facts between them (in-process or in Redis)."""

    async def open(self) -> None: ...

    async def close(self) -> None: ...

    async def ticketed(self, take: Callable[[], Awaitable[list[Claim]]]) -> tuple[list[Claim], int | None]:
        """Run the claim `take` and number its batch in one critical section (None when empty)."""
        ...

    async def wait(self, ticket: int) -> list[Facts]:
        """Until it is `ticket`'s turn; the facts other processes journaled since the last call."""
        ...

    async def finish(self, ticket: int, facts: Facts) -> None:
        """Journal `facts` and pass the turn to the next ticket."""
        ...

    async def void(self, ticket: int) -> None:
        """The batch was given back unprocessed: its turn is skipped."""
        ...


class LocalTurns:
    """Turns between the workers of one process (embedded SQLite: nothing else shares it)."""

    def __init__(self, *, stall_s: float) -> None:
        self._stall_s = stall_s
        self._lock = asyncio.Lock()
        self._issued = 0
        self._done = 0
        self._void: set[int] = set()
        self._moved = asyncio.Condition()

    async def open(self) -> None:
        return None

    async def close(self) -> None:
        return None

    async def ticketed(self, take: Callable[[], Awaitable[list[Claim]]]) -> tuple[list[Claim], int | None]:
        async with self._lock:
            claims = await take()
            if not claims:
                return claims, None
            self._issued += 1
            return claims, self._issued

    async def wait(self, ticket: int) -> list[Facts]:
        async with self._moved:
            while self._done < ticket - 1:
                seen = self._done
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._moved.wait(), timeout=self._stall_s)
                if self._done == seen and self._done < ticket - 1:
                    log.warning("decision turn %d stalled for %.0f s; skipped", seen + 1, self._stall_s)
                    self._advance(seen + 1)
        return []

    async def finish(self, ticket: int, facts: Facts) -> None:
        async with self._moved:
            if self._done == ticket - 1:
                self._advance(ticket)

    async def void(self, ticket: int) -> None:
        async with self._moved:
            self._void.add(ticket)
            if self._done == ticket - 1:
                self._advance(ticket)

    def _advance(self, ticket: int) -> None:
        self._done = ticket
        while self._done + 1 in self._void:
            self._void.discard(self._done + 1)
            self._done += 1
        self._moved.notify_all()


class DecisionOrder:
    """What a worker calls around a batch's decisions; owns the turns and the journaled steps."""

    def __init__(self, turns: Turns, steps: Sequence[Journaled]) -> None:
        names = [step.journal_name for step in steps]
        if len(set(names)) != len(names):
            raise ValueError(f"journal names must be unique: {names}")
        self.turns = turns
        self._steps = {step.journal_name: step for step in steps}
        # Time spent waiting for turns, and turns taken: how much the fleet-wide order costs
        # (the replica benchmark reports it).
        self.waited_s = 0.0
        self.entered = 0

    async def ticketed(self, take: Callable[[], Awaitable[list[Claim]]]) -> tuple[list[Claim], int | None]:
        return await self.turns.ticketed(take)

    async def enter(self, ticket: int) -> None:
        """Wait for the turn, then learn what the other processes decided before it."""
        started = time.perf_counter()
        for facts in await self.turns.wait(ticket):
            for name, items in facts.items():
                step = self._steps.get(name)
                if step is None:  # a replica of a newer version: it journals steps we lack
                    log.warning("journal has facts of unknown step %r; ignored", name)
                    continue
                step.apply_facts(items)
        waited = time.perf_counter() - started
        self.waited_s += waited
        self.entered += 1
        if waited > 1.0:
            log.info("decision turn %d waited %.1f s for earlier batches", ticket, waited)

    async def leave(self, ticket: int) -> None:
        """Journal this batch's facts and pass the turn on."""
        facts = {name: items for name, step in self._steps.items() if (items := step.take_facts())}
        await self.turns.finish(ticket, facts)

    async def void(self, ticket: int) -> None:
        await self.turns.void(ticket)
