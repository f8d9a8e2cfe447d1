"""The PostgreSQL side of `make chaos`: a private server for the records, crashed during traffic.

Why a private cluster: the run crashes the database (`pg_ctl stop -m immediate`: no checkpoint,
crash recovery at the next start, as after a power cut), which must never touch the machine's own
PostgreSQL that tests and other work use. `initdb` refuses to run as root, so as root the cluster
belongs to the `postgres` system user. Loopback only, trust authentication, its own socket folder.
"""

from __future__ import annotations

import asyncio
import glob
import json
import os
import pwd
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import asyncpg

from bench.chaos_report import RecordContents


def _binary(name: str) -> str:
    found = shutil.which(name) or next(
        iter(sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))[-1:]), None
    )
    if found is None:
        raise RuntimeError(f"{name} is not installed (PostgreSQL server binaries)")
    return found


class PostgresServer:
    """`start()` (initdb the first time), `crash()` and `start()` again on the same data."""

    def __init__(self, port: int) -> None:
        # A folder of its own under the temp dir (not inside the run's, which only root may
        # enter): the `postgres` user must reach its data and socket.
        self.workdir = Path(tempfile.mkdtemp(prefix="centinela-chaos-pg-"))
        self.port = port

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    @property
    def _data(self) -> Path:
        return self.workdir / "data"

    def _run(self, *args: str) -> None:
        command = list(args)
        if os.geteuid() == 0:
            command = ["runuser", "-u", "postgres", "--", *command]
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

    def start(self, timeout_s: float = 60.0) -> None:
        if not self._data.exists():
            if os.geteuid() == 0:
                user = pwd.getpwnam("postgres")
                os.chown(self.workdir, user.pw_uid, user.pw_gid)
            self._run(
                _binary("initdb"), "-D", str(self._data), "-U", "postgres", "--auth=trust", "-E", "UTF8"
            )
        options = f"-p {self.port} -k {self.workdir} -c listen_addresses=127.0.0.1 -c fsync=on"
        log = str(self.workdir / "postgres.log")
        self._run(
            _binary("pg_ctl"),
            "-D",
            str(self._data),
            "-o",
            options,
            "-l",
            log,
            "-w",
            "-t",
            str(int(timeout_s)),
            "start",
        )

    def crash(self) -> None:
        """Immediate shutdown: every backend killed, nothing flushed beyond what was committed."""
        if (self._data / "postmaster.pid").exists():
            self._run(_binary("pg_ctl"), "-D", str(self._data), "-m", "immediate", "stop")

    def stop(self) -> None:
        """Shut down and remove the cluster."""
        if (self._data / "postmaster.pid").exists():
            self._run(_binary("pg_ctl"), "-D", str(self._data), "-m", "fast", "stop")
        shutil.rmtree(self.workdir, ignore_errors=True)


async def records(url: str) -> RecordContents:
    """Decisions and outbox bodies from the records schema (`bot/store/sql/schema.py`)."""
    deadline = time.monotonic() + 30
    while True:
        try:
            conn = await asyncpg.connect(url, timeout=5)
            break
        except (OSError, asyncpg.PostgresError):
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.2)  # the server is coming back from its crash recovery
    try:
        decisions = [json.loads(r["body"]) for r in await conn.fetch("SELECT body FROM decisions")]
        outbox = [json.loads(r["body"]) for r in await conn.fetch("SELECT body FROM outbox")]
    finally:
        await conn.close()
    return RecordContents(decisions=decisions, outbox=outbox)
