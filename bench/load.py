"""Intake under a steady 200 signed requests per second: `python -m bench.load`.

Why open loop: a platform sends when its users write, not when we answer, so each request is
sent at its scheduled moment whatever happened to the ones before, and its latency counts from
that moment (a closed loop would wait for slow answers and hide them). Two phases against the
real `centinela serve` (the same process as `make chaos`): first an intake-only replica
(`CENTINELA_WORKERS=0`, the workers paused), where every acknowledged message must be in the
queue; then the same rate with the workers on, drained to the end. Loopback only.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import signal
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

import aiohttp

from adapters.webhook.signing import signed_headers
from bench.chaos import SECRET, Run, drain, free_port, kill_service, start_service, traffic


def _metric(text: str, name: str) -> float:
    return sum(float(line.rsplit(" ", 1)[1]) for line in text.splitlines() if line.startswith(name))


async def _metrics(run: Run) -> str:
    async with (
        aiohttp.ClientSession() as session,
        session.get(f"http://127.0.0.1:{run.port}/metrics") as response,
    ):
        return await response.text()


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else 0.0


async def offer(run: Run, messages: list[dict[str, Any]], rate: float) -> dict[str, Any]:
    """Send one message per request at `rate` per second; latency from each request's schedule."""
    url = f"http://127.0.0.1:{run.port}/webhooks/generic"
    statuses: Counter[str] = Counter()
    latencies: list[float] = []
    connector = aiohttp.TCPConnector(limit=256)
    async with aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=30)) as session:

        async def send(message: dict[str, Any], scheduled: float) -> None:
            body = json.dumps(message, ensure_ascii=False).encode()
            try:
                async with session.post(url, data=body, headers=signed_headers(SECRET, body)) as response:
                    await response.read()
                    statuses[str(response.status)] += 1
            except (TimeoutError, aiohttp.ClientError) as exc:
                statuses[type(exc).__name__] += 1
            latencies.append(time.monotonic() - scheduled)

        start = time.monotonic() + 0.2
        tasks = []
        for i, message in enumerate(messages):
            scheduled = start + i / rate
            await asyncio.sleep(max(0.0, scheduled - time.monotonic()))  # the open-loop schedule
            tasks.append(asyncio.create_task(send(message, scheduled)))
        await asyncio.gather(*tasks)
        took = time.monotonic() - start
    accepted = statuses.get("202", 0) + statuses.get("200", 0)
    return {
        "requests": len(messages),
        "offered_per_s": rate,
        "achieved_per_s": round(len(messages) / took, 1),
        "statuses": dict(statuses),
        "non_2xx": len(messages) - accepted,
        "ack_p50_ms": round(_percentile(latencies, 0.50) * 1000, 1),
        "ack_p99_ms": round(_percentile(latencies, 0.99) * 1000, 1),
        "ack_max_ms": round(max(latencies, default=0.0) * 1000, 1),
    }


async def phase(workdir: Path, workers: int, messages: list[dict[str, Any]], rate: float) -> dict[str, Any]:
    run = Run(workdir, extra_env={"CENTINELA_WORKERS": str(workers)})
    run.port = free_port()
    run.data_dir.mkdir(parents=True, exist_ok=True)
    await start_service(run)
    try:
        result = await offer(run, messages, rate)
        if workers == 0:
            result["queue_depth"] = int(_metric(await _metrics(run), "centinela_queue_depth "))
        else:
            result.update(await drain(run))
            result["decided"] = int(_metric(await _metrics(run), "centinela_messages_total{"))
        assert run.process is not None
        run.process.send_signal(signal.SIGTERM)
        run.process.wait(60)
    finally:
        kill_service(run, "end of phase")
    return {"workers": workers, **result}


def verdict(paused: dict[str, Any], working: dict[str, Any]) -> list[str]:
    broken = []
    for name, result in (("paused", paused), ("working", working)):
        if result["non_2xx"]:
            broken.append(f"{name}: {result['non_2xx']} requests not acknowledged")
        if result["ack_p99_ms"] >= 1000:
            broken.append(f"{name}: ack p99 {result['ack_p99_ms']} ms (target < 1000)")
    if paused["queue_depth"] != paused["requests"] - paused["non_2xx"]:
        broken.append(f"paused: queue {paused['queue_depth']} != accepted")
    if working["decided"] != working["requests"] - working["non_2xx"]:
        broken.append(f"working: decided {working['decided']} != accepted")
    return broken


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.load", description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=200.0, help="requests per second")
    parser.add_argument("--seconds", type=float, default=120.0, help="length of each phase")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--report", type=Path, default=Path("var/chaos/load.json"))
    args = parser.parse_args(argv)
    count = int(args.rate * args.seconds)
    rng = random.Random(args.seed)
    messages = traffic(2 * count, rng)
    with tempfile.TemporaryDirectory(prefix="centinela-load-") as tmp:
        paused = asyncio.run(phase(Path(tmp) / "paused", 0, messages[:count], args.rate))
        working = asyncio.run(phase(Path(tmp) / "working", 2, messages[count:], args.rate))
    broken = verdict(paused, working)
    report = {"paused": paused, "working": working, "broken": broken, "ok": not broken}
    args.report.parent.mkdir(parents=True, exist_ok=True)
    args.report.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(report))
    return 0 if not broken else 1


if __name__ == "__main__":
    sys.exit(main())
