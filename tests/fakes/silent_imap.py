"""An IMAP server that answers until the client is idling, then never says another word.

It stands for a mail server that hangs (or a connection whose peer vanished without a FIN)
while the poller sits in IDLE: enough of RFC 3501 for the poller to log in, select, search and
start IDLE (RFC 2177), and silence afterwards, so a test can see how long shutdown then takes.
"""

from __future__ import annotations

import asyncio


class SilentImap:
    """A one-mailbox IMAP server on 127.0.0.1 that goes quiet once IDLE has started."""

    def __init__(self) -> None:
        self.idling = asyncio.Event()
        self._server: asyncio.Server | None = None
        self.port = 0

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"* OK [CAPABILITY IMAP4rev1 IDLE] silent test server ready\r\n")
        try:
            while line := await reader.readline():
                tag, _, rest = line.decode().rstrip("\r\n").partition(" ")
                command = rest.split(" ", 1)[0].upper()
                if command == "IDLE":
                    writer.write(b"+ idling\r\n")
                    await writer.drain()
                    self.idling.set()
                    await reader.read()  # DONE, LOGOUT, anything: never answered
                    return
                writer.write(_answer(tag, command, rest))
                await writer.drain()
        finally:
            writer.close()


def _answer(tag: str, command: str, rest: str) -> bytes:
    if command == "CAPABILITY":
        return f"* CAPABILITY IMAP4rev1 IDLE\r\n{tag} OK CAPABILITY done\r\n".encode()
    if command == "SELECT":
        lines = "* 0 EXISTS\r\n* 0 RECENT\r\n* OK [UIDVALIDITY 7] ok\r\n* OK [UIDNEXT 1] ok\r\n"
        return f"{lines}{tag} OK [READ-WRITE] SELECT done\r\n".encode()
    if command == "UID" and rest.upper().startswith("UID SEARCH"):
        return f"* SEARCH\r\n{tag} OK SEARCH done\r\n".encode()
    return f"{tag} OK {command} done\r\n".encode()
