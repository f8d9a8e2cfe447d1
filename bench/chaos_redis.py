"""The Redis side of `make chaos`: a private redis-server, poison rows, and the counts.

The server is started by the run on a free loopback port with AOF and `appendfsync always`
(what the README asks of production), so killing it loses nothing acknowledged; the run kills
it once during traffic (intake must answer 503 meanwhile) and starts it again from its AOF.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from pathlib import Path

import redis

from bench.chaos_report import HotPathContents

NAMESPACE = "centinela"


class RedisServer:
    """`start()`, `kill()` (SIGKILL) and `start()` again on the same port and AOF."""

    def __init__(self, workdir: Path, port: int) -> None:
        self.workdir = workdir
        self.port = port
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self, timeout_s: float = 30.0) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            raise RuntimeError("redis-server is not installed")
        self.workdir.mkdir(parents=True, exist_ok=True)
        args = ["--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--dir", str(self.workdir)]
        args += ["--appendonly", "yes", "--appendfsync", "always", "--logfile", "redis.log"]
        self.process = subprocess.Popen([binary, *args], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            try:
                if redis.Redis(port=self.port, socket_timeout=1).ping():
                    return
            except redis.RedisError:
                pass
            time.sleep(0.05)  # polling the child's port until it answers, with a deadline
        raise RuntimeError(f"redis-server did not answer on {self.port}")

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(30)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def inject_poison(url: str, keys_and_bodies: list[tuple[str, str]]) -> None:
    """Stream entries an older version accepted, exactly as the ENQUEUE script writes them."""
    client = redis.Redis.from_url(url)
    for key, body in keys_and_bodies:
        client.xadd(f"{NAMESPACE}:intake", {"k": key, "b": body})
        client.set(f"{NAMESPACE}:msg:{key}", body)


def hot_path(url: str) -> HotPathContents:
    client = redis.Redis.from_url(url, decode_responses=True)
    stored = {key.split(":msg:", 1)[1] for key in client.scan_iter(f"{NAMESPACE}:msg:*", count=1000)}
    queue_left = int(client.xlen(f"{NAMESPACE}:intake")) + int(client.zcard(f"{NAMESPACE}:q:delayed"))
    return HotPathContents(
        stored=stored, dead={str(k) for k in client.hkeys(f"{NAMESPACE}:dead")}, queue_left=queue_left
    )
