"""How fast the Meta webhook answers Meta: signed WhatsApp batches in, 200 after the durable enqueue.

`python -m bench.meta_webhook [--batches 30] [--size 100]` serves the real app (SQLite store, no
KB: the answer does not wait for decisions) on an ephemeral port, posts signed bodies of `size`
messages each and prints the answer latency (Meta expects 200 within a few seconds, and retries
otherwise) and messages accepted per second.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import hmac
import json
import tempfile
import time
from pathlib import Path
from typing import Any

from aiohttp.test_utils import TestClient, TestServer

from bot.config import load_settings
from bot.web.app import create_app

SECRET = "bench-app-secret"


def _body(batch: int, size: int) -> bytes:
    messages = [
        {
            "from": "34600111222",
            "id": f"wamid.B{batch:04d}M{n:04d}",
            "timestamp": str(int(time.time())),
            "type": "text",
            "text": {"body": "¿cómo reinicio el router?"},
        }
        for n in range(size)
    ]
    value = {"messaging_product": "whatsapp", "metadata": {"phone_number_id": "1"}, "messages": messages}
    body = {
        "object": "whatsapp_business_account",
        "entry": [{"id": "1", "changes": [{"field": "messages", "value": value}]}],
    }
    return json.dumps(body).encode()


async def run(batches: int, size: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="centinela-bench-") as scratch:
        settings = load_settings(
            data_dir=Path(scratch), meta={"app_secret": SECRET, "verify_token": "v"}, reading_processes=0
        )
        async with TestClient(TestServer(create_app(settings))) as client:
            latencies: list[float] = []
            started = time.perf_counter()
            for batch in range(batches):
                raw = _body(batch, size)
                signature = "sha256=" + hmac.new(SECRET.encode(), raw, hashlib.sha256).hexdigest()
                sent = time.perf_counter()
                async with client.post(
                    "/webhooks/meta", data=raw, headers={"X-Hub-Signature-256": signature}
                ) as r:
                    assert r.status == 200, await r.text()
                    assert len((await r.json())["accepted"]) == size
                latencies.append((time.perf_counter() - sent) * 1000)
            elapsed = time.perf_counter() - started
    latencies.sort()
    return {
        "batches": batches,
        "batch_size": size,
        "answer_ms": {"p50": round(latencies[len(latencies) // 2], 1), "max": round(latencies[-1], 1)},
        "accepted_per_s": round(batches * size / elapsed),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--batches", type=int, default=30)
    parser.add_argument("--size", type=int, default=100)
    args = parser.parse_args()
    print(json.dumps(asyncio.run(run(args.batches, args.size))))


if __name__ == "__main__":
    main()
