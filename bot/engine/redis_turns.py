"""Decision turns shared by every replica on one Redis (see `bot.engine.decision_order`).

Layout under `{namespace}:turns:`: `ticket` (INCR per claimed batch), `done` (the last ticket
whose turn ended), `void` (tickets given back before their turn), `log` (a stream of journaled
facts, one entry per batch that learnt any, capped at `max_entries`), `claim` (a short lock so
that a claim and its ticket are taken together, hence tickets in the queue's order). A turn ends
in one script that appends the batch's facts and moves `done`, so whoever sees `done` move
also finds the facts. A replica that starts reads the whole retained log first: it knows the
fleet's recent spikes and crises before deciding anything.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import redis.asyncio as aioredis

from bot.core.models import Claim
from bot.engine.decision_order import Facts
from bot.store.redis_connect import connect

log = logging.getLogger(__name__)

# KEYS: done, void. ARGV: the ticket whose turn ends (or is skipped). Moves `done` past it and
# past every voided ticket after it; a ticket that is not next changes nothing.
_ADVANCE = """
local t = tonumber(ARGV[1])
local done = tonumber(redis.call('GET', KEYS[1]) or '0')
if done ~= t - 1 then return done end
done = t
redis.call('SREM', KEYS[2], t)
while redis.call('SREM', KEYS[2], done + 1) == 1 do done = done + 1 end
redis.call('SET', KEYS[1], done)
return done
"""
# KEYS: done, void, log. ARGV: ticket, owner, facts JSON ('' for none), max log entries.
_FINISH = (
    """
if ARGV[3] ~= '' then
  redis.call('XADD', KEYS[3], 'MAXLEN', '~', ARGV[4], '*', 'owner', ARGV[2], 'facts', ARGV[3])
end
"""
    + _ADVANCE
)
# KEYS: done, void. ARGV: ticket.
_VOID = "redis.call('SADD', KEYS[2], ARGV[1])\n" + _ADVANCE
# KEYS: lock. ARGV: token.
_UNLOCK = "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0"


def _stream_id(entry_id: str) -> tuple[int, int]:
    ms, _, seq = entry_id.partition("-")
    return int(ms), int(seq or 0)


class RedisTurns:
    """`Turns` across processes: tickets, turns and the facts journal live in Redis."""

    def __init__(
        self, url: str, namespace: str, owner: str, *, stall_s: float, max_entries: int = 20_000
    ) -> None:
        self._url = url
        self._prefix = f"{namespace}:turns:"
        self.owner = f"{owner}:{os.getpid()}:{uuid.uuid4().hex[:8]}"  # never mistaken for another
        self._stall_s = stall_s
        self._max_entries = max_entries
        self._client: aioredis.Redis | None = None
        self._read_to = "0-0"
        self._reading = asyncio.Lock()

    def _k(self, name: str) -> str:
        return self._prefix + name

    @property
    def _redis(self) -> aioredis.Redis:
        if self._client is None:
            raise RuntimeError("decision turns are not open")
        return self._client

    async def open(self) -> None:
        self._client = await connect(self._url, connect_timeout_s=5.0)

    async def close(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    async def ticketed(self, take: Callable[[], Awaitable[list[Claim]]]) -> tuple[list[Claim], int | None]:
        token = uuid.uuid4().hex
        pause = 0.0005
        # The lock outlives a stuck holder by a little: a claim is one or two round trips.
        while not await self._redis.set(self._k("claim"), token, nx=True, px=5000):
            await asyncio.sleep(pause)
            pause = min(pause * 2, 0.005)
        try:
            claims = await take()
            ticket = int(await self._redis.incr(self._k("ticket"))) if claims else None
        finally:
            await self._redis.eval(_UNLOCK, 1, self._k("claim"), token)
        return claims, ticket

    async def wait(self, ticket: int) -> list[Facts]:
        loop = asyncio.get_running_loop()
        pause, seen, since = 0.0005, -1, loop.time()
        while True:
            done = int(await self._redis.get(self._k("done")) or 0)
            if done >= ticket - 1:
                break
            if done != seen:
                seen, since = done, loop.time()
            elif loop.time() - since >= self._stall_s:
                log.warning("decision turn %d stalled for %.0f s; skipped", done + 1, self._stall_s)
                await self._advance(_VOID, done + 1)
                since = loop.time()
            await asyncio.sleep(pause)
            pause = min(pause * 2, 0.005)
        return await self._read()

    async def _read(self) -> list[Facts]:
        async with self._reading:
            entries = await self._redis.xrange(self._k("log"), min=f"({self._read_to}", max="+")
            out: list[Facts] = []
            for entry_id, fields in entries or ():
                self._read_to = max(self._read_to, str(entry_id), key=_stream_id)
                if fields and fields.get("owner") != self.owner:
                    out.append(json.loads(fields["facts"]))
            return out

    async def finish(self, ticket: int, facts: Facts) -> None:
        body = json.dumps(facts, separators=(",", ":")) if facts else ""
        keys = (self._k("done"), self._k("void"), self._k("log"))
        await self._redis.eval(_FINISH, 3, *keys, ticket, self.owner, body, self._max_entries)

    async def void(self, ticket: int) -> None:
        await self._advance(_VOID, ticket)

    async def _advance(self, script: str, ticket: int) -> Any:
        return await self._redis.eval(script, 2, self._k("done"), self._k("void"), ticket)
