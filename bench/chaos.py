"""`make chaos`: signed traffic through the real service while it is SIGKILLed, then the counts.

Why a separate process and real signals: the promises under test (accepted means durable,
never post twice, no reply lost, poison ends in the dead letters) are about crashes, and only a
SIGKILL of the real `centinela serve` (and of its reading helpers, same process group) at
arbitrary moments tests them. The sender behaves like a webhook platform: it retries what got
no answer or a 503 until it gets a 2xx, so everything it saw acknowledged must be decided. Some
kills are timed for the worst moment, the instant the recording grows (between a send and its
mark). Poison rows are written into the store while the service is down (intake now refuses
them, an older version or an adapter may not have). Bad requests are mixed in; any 5xx counts.
Loopback only, bounded in messages and time. `python -m bench.chaos --help`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp

from adapters.webhook.signing import signed_headers
from bench import chaos_postgres, chaos_redis
from bench.chaos_postgres import PostgresServer
from bench.chaos_redis import RedisServer
from bench.chaos_report import StoreContents, sqlite_hot_path, sqlite_records, summarise, verdict
from bot.core.models import InboundMessage

SECRET = "chaos-webhook-secret"
TOKEN = "chaos-api-token"
SAMPLES = Path(__file__).resolve().parent.parent / "bot" / "samples" / "traffic.jsonl"


@dataclass
class Run:
    """One chaos run's configuration and what it observed."""

    workdir: Path
    store: str = "sqlite"  # the hot path: sqlite | redis
    records: str = "sqlite"  # the records database: sqlite | postgres
    messages: int = 3000
    kills: int = 5
    poison: int = 3
    bad_requests: int = 200
    seed: int = 1
    deadline_s: float = 900.0
    port: int = 0
    acknowledged: set[str] = field(default_factory=set)
    poison_keys: set[str] = field(default_factory=set)
    bad_statuses: dict[str, int] = field(default_factory=dict)
    retried: dict[str, int] = field(default_factory=dict)
    kill_log: list[dict[str, Any]] = field(default_factory=list)
    restarts_s: list[float] = field(default_factory=list)
    process: subprocess.Popen[bytes] | None = None
    redis: RedisServer | None = None
    postgres: PostgresServer | None = None
    extra_env: dict[str, str] = field(default_factory=dict)  # e.g. CENTINELA_WORKERS for bench.load

    @property
    def data_dir(self) -> Path:
        return self.workdir / "var"

    def env(self) -> dict[str, str]:
        return {
            **os.environ,
            "CENTINELA_DATA_DIR": str(self.data_dir),
            "CENTINELA_WEBHOOK_SECRET": SECRET,
            "CENTINELA_API_TOKEN": TOKEN,
            "CENTINELA_READING_PROCESSES": "1",
            "CENTINELA_VISIBILITY_TIMEOUT_S": "30",
            "CENTINELA_MAX_ATTEMPTS": "3",
            "CENTINELA_PUBLISHER_LEASE_S": "3",
            "CENTINELA_REDIS_URL": self.redis.url if self.redis is not None else "",
            **({"CENTINELA_DATABASE_URL": self.postgres.url} if self.postgres is not None else {}),
            **self.extra_env,
        }


def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def traffic(count: int, rng: random.Random) -> list[dict[str, Any]]:
    """`count` messages from the bundled samples, each its own id, thread and author, dated now."""
    samples = [json.loads(line) for line in SAMPLES.read_text(encoding="utf-8").splitlines() if line.strip()]
    now = datetime.now(UTC).isoformat()
    out = []
    for i in range(count):
        base = dict(rng.choice(samples))
        author = {**base.get("author", {}), "handle": f"@chaos{i}"}
        out.append({**base, "id": f"chaos-{i:06d}", "created_at": now, "author": author, "in_reply_to": None})
    return out


def bad_bodies(rng: random.Random) -> list[tuple[str, bytes, dict[str, str]]]:
    """Hostile requests of every kind that once gave a 500 (issue 11, finding 4)."""
    message = {"id": "bad", "channel": "twitter", "created_at": "2026-05-20T09:15:00Z", "text": "x"}
    nested: Any = 1
    for _ in range(300):
        nested = {"a": nested}
    bodies = {
        "surrogate": json.dumps({**message, "author": {"handle": "\ud800"}}).encode(),
        "deep_field": json.dumps({**message, "extra": nested}).encode(),
        "deep_body": b"[" * 5000 + b"]" * 5000,
        "not_json": b"{nope",
    }
    cases: list[tuple[str, bytes, dict[str, str]]] = []
    for name, body in bodies.items():
        cases.append((name, body, signed_headers(SECRET, body)))
    long_stamp = {"X-Centinela-Timestamp": "9" * 400, "X-Centinela-Signature": "sha256=" + "0" * 64}
    cases.append(("huge_timestamp", bodies["not_json"], {**long_stamp, "Content-Type": "application/json"}))
    cases.append(("bad_signature", json.dumps(message).encode(), signed_headers("wrong", b"other")))
    return cases


def spawn(run: Run) -> subprocess.Popen[bytes]:
    binary = Path(sys.executable).with_name("centinela")
    with (run.workdir / "service.log").open("ab") as log:
        return subprocess.Popen(
            [str(binary), "serve", "--no-kb", "--host", "127.0.0.1", "--port", str(run.port)],
            env=run.env(),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: the kill takes the reading helper too
        )


async def start_service(run: Run) -> None:
    started = time.monotonic()
    run.process = process = spawn(run)
    async with aiohttp.ClientSession() as session:
        while time.monotonic() - started < 180:
            if process.poll() is not None:
                raise RuntimeError(f"service exited with {process.returncode}; see {run.workdir}/service.log")
            try:
                async with session.get(f"http://127.0.0.1:{run.port}/healthz") as response:
                    if response.status == 200:
                        run.restarts_s.append(round(time.monotonic() - started, 2))
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.05)  # polling the child's port until it answers, with a deadline
    raise RuntimeError("service did not start within 180 s")


def kill_service(run: Run, why: str) -> None:
    process = run.process
    if process is None or process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGKILL)
    process.wait(30)
    run.kill_log.append({"at": round(time.time(), 3), "why": why})


def shut_down(run: Run, why: str) -> None:
    """Everything the run started: the service, and its private Redis and PostgreSQL if any."""
    kill_service(run, why)
    if run.redis is not None:
        run.redis.kill()
    if run.postgres is not None:
        run.postgres.stop()


def poison_messages(count: int) -> list[InboundMessage]:
    """What an older version accepted: an unknown field nested 230 levels, unloadable at claim."""
    deep: Any = {"leaf": 1}
    for _ in range(230):
        deep = {"a": deep}
    return [
        InboundMessage.model_validate(
            {"id": f"poison-{i}", "channel": "webhook", "created_at": datetime.now(UTC), "raw": deep}
        )
        for i in range(count)
    ]


def inject_poison(run: Run) -> None:
    """Written straight into the store while the service is down."""
    messages = poison_messages(run.poison)
    run.poison_keys.update(m.key for m in messages)
    if run.redis is not None:
        chaos_redis.inject_poison(run.redis.url, [(m.key, m.model_dump_json()) for m in messages])
        return
    conn = sqlite3.connect(run.data_dir / "centinela.sqlite3")
    try:
        for msg in messages:
            now = time.time()
            conn.execute(
                "INSERT OR REPLACE INTO messages VALUES (?,?,?)", (msg.key, msg.model_dump_json(), now + 1e6)
            )
            conn.execute("INSERT OR IGNORE INTO queue (key, available_at) VALUES (?, ?)", (msg.key, now))
        conn.commit()
    finally:
        conn.close()


async def send_all(run: Run, messages: list[dict[str, Any]], rng: random.Random) -> None:
    """Batches of 1-20, eight at a time, each retried until acknowledged (as platforms do)."""
    batches: list[list[dict[str, Any]]] = []
    i = 0
    while i < len(messages):
        size = rng.randint(1, 20)
        batches.append(messages[i : i + size])
        i += size
    queue: asyncio.Queue[list[dict[str, Any]]] = asyncio.Queue()
    for batch in batches:
        queue.put_nowait(batch)
    url = f"http://127.0.0.1:{run.port}/webhooks/generic"
    timeout = aiohttp.ClientTimeout(total=30)

    async def sender(session: aiohttp.ClientSession) -> None:
        while not queue.empty():
            batch = queue.get_nowait()
            body = json.dumps({"messages": batch}, ensure_ascii=False).encode()
            while True:
                try:
                    async with session.post(url, data=body, headers=signed_headers(SECRET, body)) as response:
                        if response.status in (200, 202):
                            answer = await response.json()
                            run.acknowledged.update(f"{m['channel']}:{m['id']}" for m in batch)
                            assert len(answer["accepted"]) + len(answer["duplicates"]) == len(batch)
                            break
                        run.retried[str(response.status)] = run.retried.get(str(response.status), 0) + 1
                        if response.status >= 500 and response.status != 503:
                            raise RuntimeError(f"{response.status} on valid traffic: {await response.text()}")
                except (TimeoutError, aiohttp.ClientError):
                    run.retried["no answer"] = run.retried.get("no answer", 0) + 1
                await asyncio.sleep(0.05)  # the service is down or busy: retry shortly

    async with aiohttp.ClientSession(timeout=timeout) as session:
        await asyncio.gather(*(sender(session) for _ in range(8)))


async def send_bad(run: Run, rng: random.Random) -> None:
    cases = bad_bodies(rng)
    url = f"http://127.0.0.1:{run.port}/webhooks/generic"
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as session:
        for n in range(run.bad_requests):
            name, body, headers = cases[n % len(cases)]
            while True:
                try:
                    async with session.post(url, data=body, headers=headers) as response:
                        key = f"{name}:{response.status}"
                        run.bad_statuses[key] = run.bad_statuses.get(key, 0) + 1
                        break
                except (TimeoutError, aiohttp.ClientError):
                    await asyncio.sleep(0.05)


# More than the workers can hold claimed at once (2 workers x 2 batches of 64): once this many
# were decided since a restart, every message re-claimed at that restart has been finished.
PROGRESS_BEFORE_KILL = 300


async def progressed(run: Run, at_least: int = PROGRESS_BEFORE_KILL, timeout_s: float = 120) -> None:
    """Wait until this life of the service decided `at_least` messages, or its queue is empty.

    Why: a crash counts as an attempt for every message claimed at that moment (a message that
    crashes the process each time must reach the dead letters), so kills faster than one round
    of claims would dead-letter innocent messages after `max_attempts` lives. Between kills the
    service finishes what it re-claimed; the kill itself still comes at a random moment.
    """
    started = time.monotonic()
    async with aiohttp.ClientSession() as session:
        while time.monotonic() - started < timeout_s:
            try:
                async with session.get(f"http://127.0.0.1:{run.port}/metrics") as response:
                    text = await response.text()
            except aiohttp.ClientError:
                text = ""
            decided = sum(
                float(line.rsplit(" ", 1)[1])
                for line in text.splitlines()
                if line.startswith("centinela_messages_total{")
            )
            if decided >= at_least or (text and _gauge(text, "centinela_queue_depth") == 0):
                return
            await asyncio.sleep(0.1)  # polling the service's own figures, with a deadline


async def killer(run: Run, rng: random.Random, sending: asyncio.Task[None]) -> None:
    """Kill at random moments, every other time the instant the recording grows."""
    recording = run.data_dir / "published.jsonl"
    for n in range(run.kills):
        await progressed(run)
        if n % 2 == 1:
            size = recording.stat().st_size if recording.exists() else 0
            deadline = time.monotonic() + 10
            while (
                time.monotonic() < deadline
                and (recording.stat().st_size if recording.exists() else 0) == size
            ):
                await asyncio.sleep(0.002)  # watching a file another process appends to
            kill_service(run, "recording grew (between send and mark)")
        elif (fault := backend_fault(run, n)) is not None:
            # A backend fault instead: a server dies under traffic and comes back 1-3 s later
            # (Redis from its AOF, PostgreSQL through crash recovery); the service is not
            # restarted and must recover by itself, answering 503 at intake meanwhile if the
            # hot path is the one down. It comes once a tenth of the traffic (or, for the
            # second fault, a third) is acknowledged, so the outage falls inside the sending.
            name, down, up = fault
            deadline = time.monotonic() + 60
            share = 10 if n == 0 else 3
            while len(run.acknowledged) < run.messages // share and time.monotonic() < deadline:
                await asyncio.sleep(0.01)  # watching the sender's own progress
            down()
            run.kill_log.append({"at": round(time.time(), 3), "why": f"{name} killed"})
            await asyncio.sleep(rng.uniform(1.0, 3.0))
            up()
            continue
        else:
            await asyncio.sleep(rng.uniform(0.3, 2.0))
            kill_service(run, "random moment")
        if run.poison and not run.poison_keys:  # at the first kill of the service
            inject_poison(run)
        await start_service(run)


def backend_fault(run: Run, n: int) -> tuple[str, Callable[[], None], Callable[[], None]] | None:
    """The backend killed at kill `n` instead of the service: Redis first, PostgreSQL next."""
    faults: list[tuple[str, Callable[[], None], Callable[[], None]]] = []
    if run.redis is not None:
        faults.append(("redis-server", run.redis.kill, run.redis.start))
    if run.postgres is not None:
        faults.append(("postgresql (immediate shutdown)", run.postgres.crash, run.postgres.start))
    slots = {0: 0, 2: 1}  # even kills are at random moments: two of them become backend faults
    index = slots.get(n)
    return faults[index] if index is not None and index < len(faults) else None


def _gauge(metrics: str, name: str) -> float:
    return next(float(line.split()[1]) for line in metrics.splitlines() if line.startswith(name + " "))


async def drain(run: Run) -> dict[str, Any]:
    """Wait until the queue is empty and nothing is pending in the outbox (with a deadline)."""
    headers = {"Authorization": f"Bearer {TOKEN}"}
    base = f"http://127.0.0.1:{run.port}"
    started = time.monotonic()
    async with aiohttp.ClientSession() as session:
        while time.monotonic() - started < run.deadline_s:
            async with session.get(f"{base}/metrics") as response:
                text = await response.text()
            depth = next(
                float(line.split()[1])
                for line in text.splitlines()
                if line.startswith("centinela_queue_depth ")
            )
            async with session.get(f"{base}/api/v1/outbox?limit=1", headers=headers) as response:
                counts = (await response.json())["counts"]
            if depth == 0 and counts["pending"] == 0:
                return {"drain_s": round(time.monotonic() - started, 2)}
            await asyncio.sleep(0.2)  # polling the service's own figures until it is idle
    raise RuntimeError(f"not drained within {run.deadline_s} s")


async def chaos(run: Run) -> dict[str, Any]:
    rng = random.Random(run.seed)
    run.port = run.port or free_port()
    run.data_dir.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    if run.store == "redis":
        run.redis = RedisServer(run.workdir / "redis", chaos_redis.free_port())
        run.redis.start()
    if run.records == "postgres":
        run.postgres = PostgresServer(chaos_redis.free_port())
        run.postgres.start()
    await start_service(run)
    messages = traffic(run.messages, rng)
    sending = asyncio.create_task(send_all(run, messages, rng))
    bad = asyncio.create_task(send_bad(run, rng))
    await killer(run, rng, sending)
    await sending
    await bad
    drained = await drain(run)
    assert run.process is not None
    run.process.send_signal(signal.SIGTERM)
    run.process.wait(60)
    recording = run.data_dir / "published.jsonl"
    sqlite_path = run.data_dir / "centinela.sqlite3"
    hot = chaos_redis.hot_path(run.redis.url) if run.redis is not None else sqlite_hot_path(sqlite_path)
    if run.postgres is not None:
        records = await chaos_postgres.records(run.postgres.url)
    else:
        records = sqlite_records(sqlite_path)
    counts = summarise(
        StoreContents(hot, records), recording, acknowledged=run.acknowledged, poison=run.poison_keys
    )
    bad_5xx = sum(n for key, n in run.bad_statuses.items() if int(key.rsplit(":", 1)[1]) >= 500)
    broken = verdict(counts, bad_5xx)
    return {
        "store": run.store,
        "records": run.records,
        "messages": run.messages,
        "kills": len(run.kill_log),
        "kill_log": run.kill_log,
        "restart_s": run.restarts_s,
        "seconds": round(time.monotonic() - started, 1),
        **drained,
        **counts,
        "valid_requests_retried": run.retried,
        "bad_requests": run.bad_requests,
        "bad_input_statuses": run.bad_statuses,
        "bad_input_5xx": bad_5xx,
        "broken": broken,
        "ok": not broken,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.chaos", description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=3000)
    parser.add_argument("--kills", type=int, default=5)
    parser.add_argument("--poison", type=int, default=3)
    parser.add_argument("--bad", type=int, default=200, help="hostile requests mixed in")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--store", choices=["sqlite", "redis"], default="sqlite", help="the hot path")
    parser.add_argument(
        "--records", choices=["sqlite", "postgres"], default="sqlite", help="postgres: a private server"
    )
    parser.add_argument("--report", type=Path, default=Path("var/chaos/report.json"))
    parser.add_argument("--workdir", type=Path, help="keep the run's files here (default: a temp dir)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="centinela-chaos-") as tmp:
        workdir = args.workdir or Path(tmp)
        run = Run(
            workdir,
            messages=args.messages,
            kills=args.kills,
            poison=args.poison,
            bad_requests=args.bad,
            seed=args.seed,
            store=args.store,
            records=args.records,
        )
        try:
            report = asyncio.run(chaos(run))
        finally:
            shut_down(run, "end of run")
    args.report.parent.mkdir(parents=True, exist_ok=True)
    args.report.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    summary = {k: report[k] for k in ("messages", "kills", "accepted", "decided", "lost_count", "ok")}
    print(json.dumps({**summary, "report": str(args.report)}))
    return 0 if report["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
