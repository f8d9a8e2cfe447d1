"""The mailbox reader: new mail by UID, IDLE where the server offers it, polling otherwise.

Why UIDs and UIDVALIDITY: a UID never changes while the mailbox's UIDVALIDITY stays the same, so
"the highest UID handed to the intake" is an exact cursor. It is saved after the intake has
durably stored each mail, so a crash in between re-reads that one mail, which the intake then
recognises by its Message-ID (neither lost nor repeated). A new UIDVALIDITY (the mailbox was
rebuilt) starts the cursor over; Message-ID dedupe and the age guard keep old mail from being
answered again. Mail is read with BODY.PEEK, so the mailbox's \\Seen flags stay the people's.
"""

from __future__ import annotations

import asyncio
import logging
import re
import ssl
from collections.abc import Awaitable, Callable
from typing import Any

import aioimaplib

from adapters.base import AdapterStats, CursorStore
from adapters.email.config import EmailConfig

log = logging.getLogger(__name__)

_UIDVALIDITY = re.compile(rb"UIDVALIDITY (\d+)")
_UIDNEXT = re.compile(rb"UIDNEXT (\d+)")
_FETCH_UID = re.compile(rb"UID (\d+)")
_LITERAL = re.compile(rb"\{(\d+)\}$")
# Stopping: how long the server gets to end IDLE and to answer LOGOUT. Both are courtesies (the
# cursor only moves after a mail is in the intake), and a server that went away first would
# otherwise hold the service's shutdown for two full command timeouts.
GOODBYE_S = 2.0
MailHandler = Callable[[int, bytes], Awaitable[None]]


class ImapError(RuntimeError):
    """The server refused a command; the poller reconnects after a pause."""


def _ok(response: Any, what: str) -> Any:
    if response.result != "OK":
        raise ImapError(f"{what} refused: {b' '.join(bytes(x) for x in response.lines)[:200]!r}")
    return response


class ImapPoller:
    """Reads new mail of one mailbox and hands each (uid, raw bytes) to `handle`, in UID order."""

    def __init__(self, config: EmailConfig, cursors: CursorStore, handle: MailHandler, stats: AdapterStats):
        self._config = config
        self._cursors = cursors
        self._handle = handle
        self._stats = stats
        self.mode = "starting"
        self.connected = asyncio.Event()

    async def run(self, stop: asyncio.Event) -> None:
        """Until `stop`: connect, catch up, wait for more; reconnect with backoff on any failure."""
        backoff = 1.0
        while not stop.is_set():
            try:
                await self._session(stop)
                backoff = 1.0
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                self._stats.count("imap_errors")
                self._stats.state = f"reconnecting: {type(exc).__name__}: {str(exc)[:120]}"
                log.warning("imap %s: %s; retrying in %.0fs", self._config.imap_host, exc, backoff)
                self.connected.clear()
                await _wait(stop, backoff)
                backoff = min(backoff * 2, 60.0)

    async def _session(self, stop: asyncio.Event) -> None:
        cfg = self._config
        if cfg.imap_ssl:
            # Loading the trust store reads files: off the loop, once per connection.
            context = await asyncio.to_thread(ssl.create_default_context, ssl.Purpose.SERVER_AUTH)
            client = aioimaplib.IMAP4_SSL(
                host=cfg.imap_host, port=cfg.imap_port, timeout=cfg.timeout_s, ssl_context=context
            )
        else:
            client = aioimaplib.IMAP4(host=cfg.imap_host, port=cfg.imap_port, timeout=cfg.timeout_s)
        try:
            await client.wait_hello_from_server()
            _ok(await client.login(cfg.imap_user, cfg.imap_password.get_secret_value()), "LOGIN")
            selected = _ok(await client.select(cfg.mailbox), "SELECT")
            last = await self._start_uid(selected.lines)
            use_idle = cfg.idle and client.has_capability("IDLE")
            self.mode = "idle" if use_idle else f"polling every {cfg.poll_s:g}s"
            self._stats.state = f"ok ({self.mode})"
            self.connected.set()
            while not stop.is_set():
                last = await self._catch_up(client, last)
                if use_idle:
                    await self._idle(client, stop)
                else:
                    await _wait(stop, cfg.poll_s)
        finally:
            self.connected.clear()
            await _logout(client, GOODBYE_S if stop.is_set() else self._config.timeout_s)

    async def _start_uid(self, lines: list[Any]) -> int:
        text = b" ".join(bytes(line) for line in lines)
        validity = _UIDVALIDITY.search(text)
        uidnext = _UIDNEXT.search(text)
        if validity is None:
            raise ImapError("SELECT gave no UIDVALIDITY")
        current = validity.group(1).decode()
        stored_validity = await self._cursors.get("uidvalidity")
        stored_uid = await self._cursors.get("last_uid")
        if stored_validity == current and stored_uid is not None:
            return int(stored_uid)
        if stored_validity is not None and stored_validity != current:
            log.warning("mailbox UIDVALIDITY changed (%s -> %s): reading it again", stored_validity, current)
            start = 0
        elif self._config.start_from == "new" and uidnext is not None:
            start = int(uidnext.group(1)) - 1
        else:
            start = 0
        await self._cursors.set("uidvalidity", current)
        await self._cursors.set("last_uid", str(start))
        return start

    async def _catch_up(self, client: Any, last: int) -> int:
        found = _ok(await client.uid_search(f"UID {last + 1}:*", charset=None), "UID SEARCH")
        uids = sorted(uid for uid in search_uids(found.lines) if uid > last)
        for start in range(0, len(uids), self._config.fetch_batch):
            chunk = uids[start : start + self._config.fetch_batch]
            fetched = _ok(await client.uid("fetch", ",".join(map(str, chunk)), "(UID BODY.PEEK[])"), "FETCH")
            for uid, raw in sorted(parse_fetch(fetched.lines)):
                if uid <= last:
                    continue
                await self._handle(uid, raw)  # durably in the intake before the cursor moves
                last = uid
                await self._cursors.set("last_uid", str(last))
        return last

    async def _idle(self, client: Any, stop: asyncio.Event) -> None:
        idle = await client.idle_start(timeout=self._config.idle_timeout_s)
        push = asyncio.ensure_future(client.wait_server_push(timeout=self._config.idle_timeout_s + 30))
        stopped = asyncio.ensure_future(stop.wait())
        try:
            await asyncio.wait({push, stopped}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in (push, stopped):
                task.cancel()
            client.idle_done()
            await asyncio.wait_for(idle, GOODBYE_S if stop.is_set() else self._config.timeout_s)


def search_uids(lines: list[Any]) -> list[int]:
    """UIDs of a `UID SEARCH` answer (`* SEARCH 4 5` arrives as `4 5`, or with its keyword)."""
    uids: list[int] = []
    for line in lines[:-1]:  # the last line is the tagged completion text
        words = bytes(line).split()
        if words and words[0].upper() == b"SEARCH":
            words = words[1:]
        if words and all(word.isdigit() for word in words):
            uids.extend(int(word) for word in words)
    return uids


def parse_fetch(lines: list[Any]) -> list[tuple[int, bytes]]:
    """(uid, message) pairs of a `UID FETCH (UID BODY.PEEK[])` answer, whatever the item order."""
    found: list[tuple[int, bytes]] = []
    index = 0
    while index < len(lines):
        line = lines[index]
        if isinstance(line, bytes) and b"FETCH" in line and _LITERAL.search(line) and index + 1 < len(lines):
            literal = bytes(lines[index + 1])
            closing = bytes(lines[index + 2]) if index + 2 < len(lines) else b""
            uid = _FETCH_UID.search(line) or _FETCH_UID.search(closing)
            if uid is not None:
                found.append((int(uid.group(1)), literal))
            index += 2
            continue
        index += 1
    return found


async def _wait(stop: asyncio.Event, seconds: float) -> None:
    try:
        await asyncio.wait_for(stop.wait(), timeout=seconds)
    except TimeoutError:
        return


async def _logout(client: Any, timeout: float) -> None:
    try:
        if client.get_state() in ("AUTH", "SELECTED"):
            await asyncio.wait_for(client.logout(), timeout)
    except Exception as exc:  # the connection may already be gone; nothing to keep
        log.debug("imap logout failed: %s", exc)
