"""KB answers end to end: signed webhook in → automatic reply in the outbox, under steady load.

Run as `python -m bench.answer_e2e [--kb DIR] [--rate 100] [--seconds 20] [--messages FILE]`;
prints one JSON line:
`answer_end_to_end_p50_ms` / `answer_end_to_end_p99_ms` (from the start of the HTTP POST to the
moment the reply is written to the outbox), how many of the messages were answered, and the
memory of the service with the model loaded, reading helpers included (`bench.memory`). The
real service (`bot.web.app.create_app`) runs in this process on an ephemeral port with a SQLite
store in a temporary directory; the messages are the KB's own example questions (or, with
`--messages`, the texts of a traffic file in its order), each from a different author so the
reply guards never hold one back.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

from adapters.webhook.signing import signed_headers
from bench.memory import tree_memory
from bot.cli.malloc_arenas import limit_malloc_arenas
from bot.cli.replay import percentile
from bot.cli.traffic import read_messages
from bot.config import SAMPLES_DIR, load_settings
from bot.core.models import Decision, OutboxItem
from bot.engine.extensions import build_extensions
from bot.store.records import RecordWrite
from bot.web.app import STORE, create_app
from retrieval.articles import load_articles

SECRET = "bench-webhook-secret"
SHARED_KB = Path("../shared/eval/kb")


def questions(kb_dir: Path) -> list[tuple[str, str]]:
    """(text, language) for every example question of the KB's articles."""
    loaded = load_articles(kb_dir)
    return [(q, article.lang) for article in loaded.articles for q in article.questions]


def traffic_texts(messages: Path) -> list[tuple[str, str]]:
    """(text, language hint) of every message of a traffic file, in its order."""
    items, _bad = read_messages(messages)
    return [(item.message.text, item.message.language or "") for item in items]


@dataclass
class Service:
    """The running service under test and what the benchmark watches of it."""

    app: web.Application
    session: aiohttp.ClientSession
    texts: list[tuple[str, str]]
    replied: dict[str, float] = field(default_factory=dict)  # message key -> reply in the outbox
    sent: dict[str, float] = field(default_factory=dict)  # message key -> start of its POST
    decided: int = 0  # decisions saved so far (`_count_decisions`)

    def post(self, i: int) -> asyncio.Task[None]:
        """Start posting the i-th message (texts in the file's order, cycled) as a task."""
        text, _lang = self.texts[i % len(self.texts)]
        return asyncio.create_task(_post(self.session, _message(f"b{i:06d}", text, i), self.sent))


@asynccontextmanager
async def serving(kb_dir: Path, messages: Path | None = None) -> AsyncIterator[Service]:
    """The real service on an ephemeral port (SQLite in a scratch dir), model loaded, warmed up.

    Shared by the open-loop run here and the closed-loop capacity run (`bench.webhook_capacity`)
    so the capacity and the load are measured on the very same path.
    """
    texts = questions(kb_dir) if messages is None else traffic_texts(messages)
    if not texts:
        raise SystemExit(f"no text to send in {messages or kb_dir}")
    with tempfile.TemporaryDirectory(prefix="centinela-bench-e2e-") as scratch:
        settings = load_settings(data_dir=Path(scratch), webhook_secret=SECRET, api_token="bench-token")
        extensions = build_extensions(settings, kb_dir)
        analyser = extensions.kb
        if analyser is not None:
            await analyser.knowledge_base()  # load the model and index before traffic starts
        app = create_app(settings, extensions=extensions)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = runner.addresses[0][1]
        try:
            async with aiohttp.ClientSession(f"http://127.0.0.1:{port}") as session:
                service = Service(app, session, texts)
                _watch_outbox(app, service.replied)
                _count_decisions(service)
                # Warm-up message (first-request costs are not what this measures).
                await _post(session, _message("warmup", texts[0][0], 0), {})
                yield service
        finally:
            await runner.cleanup()


async def _run(kb_dir: Path, rate: float, seconds: float, messages: Path | None = None) -> dict[str, Any]:
    async with serving(kb_dir, messages) as service:
        store = service.app[STORE]
        depths: list[int] = []
        sampler = asyncio.create_task(_sample_depth(store.queue_depth, depths))
        total = int(rate * seconds)
        started = time.perf_counter()
        tasks = []
        for i in range(total):
            delay = started + i / rate - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(service.post(i))
        await asyncio.gather(*tasks)
        depth_at_end_of_offer = await store.queue_depth()
        offer_depths = list(depths)
        deadline = time.perf_counter() + 10
        while len(service.replied) < len(service.sent) and time.perf_counter() < deadline:
            await asyncio.sleep(0.05)
        sampler.cancel()
        memory = tree_memory()  # the service and its reading helpers
        decided = [d.latency_ms for d in await store.list_decisions(limit=100_000)]
        sent, replied = service.sent, service.replied
    latencies = [(replied[key] - sent[key]) * 1000 for key in sent if key in replied]
    return {
        "answer_end_to_end_p50_ms": round(percentile(latencies, 0.5), 2) if latencies else None,
        "answer_end_to_end_p99_ms": round(percentile(latencies, 0.99), 2) if latencies else None,
        "messages": len(sent),
        "answered": len(latencies),
        "rate_msgs_per_s": rate,
        "texts": "kb questions" if messages is None else str(messages),
        "decision_p50_ms": round(percentile(decided, 0.5), 2),
        "decision_p99_ms": round(percentile(decided, 0.99), 2),
        # Queue (waiting + in flight) while the load was offered: a run under capacity keeps it
        # near the claim batch; a growing one ends the offer with the backlog still deep.
        "queue_depth_max": max([*offer_depths, depth_at_end_of_offer]),
        "queue_depth_at_end_of_offer": depth_at_end_of_offer,
        "service_rss_mb": memory.rss_mb,
        "service_pss_mb": memory.pss_mb,
        "service_processes": memory.processes,
    }


async def _sample_depth(depth: Callable[[], Awaitable[int]], into: list[int], every_s: float = 0.25) -> None:
    """Append the queue depth every `every_s` until cancelled."""
    while True:
        into.append(await depth())
        await asyncio.sleep(every_s)


def _count_decisions(service: Service) -> None:
    """Count the decisions the service's store saves (in `service.decided`), as they are saved."""
    store = service.app[STORE]
    save = store.save_decisions

    async def counting(decisions: Sequence[Decision], records: Sequence[RecordWrite] = ()) -> None:
        await save(decisions, records)
        service.decided += len(decisions)

    store.save_decisions = counting  # type: ignore[method-assign]


def _message(message_id: str, text: str, i: int) -> dict[str, Any]:
    return {
        "id": message_id,
        "channel": "twitter",
        "created_at": datetime.now(UTC).isoformat().replace("+00:00", "Z"),
        "author": {"handle": f"@bench{i:06d}", "name": "Bench", "followers": 10, "verified": False},
        "text": text,
    }


async def _post(session: aiohttp.ClientSession, message: dict[str, Any], sent: dict[str, float]) -> None:
    body = json.dumps(message, ensure_ascii=False).encode()
    headers = signed_headers(SECRET, body)
    sent[f"twitter:{message['id']}"] = time.perf_counter()
    async with session.post("/webhooks/generic", data=body, headers=headers) as response:
        if response.status >= 300:
            raise RuntimeError(f"webhook answered {response.status}: {await response.text()}")


def _watch_outbox(app: web.Application, replied: dict[str, float]) -> None:
    """Note when each message's robot reply reaches the outbox (wraps this app's store only)."""
    store = app[STORE]
    add_outbox = store.add_outbox

    async def recording(items: Sequence[OutboxItem]) -> list[bool]:
        fresh = await add_outbox(items)
        now = time.perf_counter()
        for item, new in zip(items, fresh, strict=True):
            if new and item.account == "robot" and item.message_key:
                replied.setdefault(item.message_key, now)
        return fresh

    store.add_outbox = recording  # type: ignore[method-assign]


def main() -> None:
    limit_malloc_arenas()  # as `centinela serve` does
    parser = argparse.ArgumentParser()
    default_kb = SHARED_KB if SHARED_KB.exists() else SAMPLES_DIR / "kb"
    parser.add_argument("--kb", type=Path, default=default_kb)
    parser.add_argument("--rate", type=float, default=100.0, help="messages per second")
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--messages", type=Path, help="send this file's texts (default: the KB's questions)")
    args = parser.parse_args()
    print(json.dumps(asyncio.run(_run(args.kb, args.rate, args.seconds, args.messages))))


if __name__ == "__main__":
    main()
