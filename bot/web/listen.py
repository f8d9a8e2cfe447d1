"""Taking the service's port before anything slow: a busy port is one line, at once.

`serve` used to load the knowledge-base model for about nine seconds and only then fail with
`OSError: address already in use`. The socket is now bound first and handed to aiohttp
(`web.SockSite`), so there is no window in which another process could take the port between
the check and the start either.
"""

from __future__ import annotations

import errno
import socket

from bot.cli.args import CliError


def bind_listening_socket(host: str, port: int) -> socket.socket:
    """A listening TCP socket on `host:port` (0: any free port), or `CliError` saying why not."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as exc:
        raise CliError(f"cannot listen on {host}:{port}: unknown host ({exc.strerror})", "host") from exc
    family, kind, proto, _name, address = infos[0]
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as aiohttp does: restarts
        sock.bind(address)
        sock.listen(128)
    except OSError as exc:
        sock.close()
        hint = (
            " (another process is listening there: stop it or choose --port / CENTINELA_PORT)"
            if exc.errno == errno.EADDRINUSE
            else ""
        )
        raise CliError(f"cannot listen on {host}:{port}: {exc.strerror}{hint}", "port") from exc
    return sock


def listening_url(sock: socket.socket) -> str:
    """`http://host:port` of a bound socket (the real port when 0 was asked for)."""
    host, port = sock.getsockname()[:2]
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}"
