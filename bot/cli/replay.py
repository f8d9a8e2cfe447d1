"""`centinela replay FILE`: recorded traffic through the whole service path, with a report.

Each replay runs in a fresh namespace of the configured store (a new SQLite file, or a new Redis
key prefix) so that it never collides with the live service or an earlier replay, and publishes
to a recording file. Decisions use the messages' own clock, so `--speed max` decides the same as
real time, and alerts report `at` / `first_message_at` on that clock.
"""

from __future__ import annotations

import asyncio
import contextlib
import resource
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from adapters.recording.adapter import RecordingAdapter, RecordingConfig
from bot.compose import compose
from bot.config import Settings
from bot.core.alerts import Alert
from bot.core.cases import DUPLICATE_REASON
from bot.core.models import Decision, InboundMessage
from bot.core.records import RecordKind
from bot.engine.runtime import Extensions, Runtime
from bot.pipeline.pipeline import event_clock
from bot.store.factory import build_store
from bot.store.records import RecordFilter
from bot.store.scan import all_records

FEED_CHUNK = 200


@dataclass(slots=True)
class ReplayTally:
    """What the workers decided, as they decide it."""

    actions: Counter[str] = field(default_factory=Counter)
    latencies_ms: list[float] = field(default_factory=list)

    def decided(self, decision: Decision) -> None:
        self.actions[decision.action] += 1
        self.latencies_ms.append(decision.latency_ms)


def percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def run_replay(
    settings: Settings,
    messages: list[InboundMessage],
    *,
    speed: float | None,
    extensions: Extensions | None = None,
    keep: bool = False,
    progress: Callable[[int], None] | None = None,
) -> dict[str, Any]:
    """Feed `messages` (sorted by time) through a fresh runtime; returns the FORMATS.md report."""
    # One worker: event-time detectors (spikes) then see the messages in their recorded order.
    settings = settings.model_copy(update={"workers": 1})
    run_id = time.strftime("%Y%m%d-%H%M%S-") + uuid.uuid4().hex[:6]
    folder = settings.data_dir / "replays"
    store = build_store(
        settings,
        namespace=f"replay-{run_id}",
        sqlite_path=folder / f"{run_id}.sqlite3",
        records_schema="replay_" + run_id.replace("-", "_"),  # PostgreSQL: a schema of its own
    )
    recording = RecordingAdapter(RecordingConfig(path=folder / f"{run_id}-published.jsonl"))
    tally = ReplayTally()
    warm_started = time.perf_counter()
    await store.open()
    service = compose(settings, store=store, extensions=extensions, edge=[recording], clock=event_clock)
    runtime = service.build_runtime(on_decision=tally.decided)
    try:
        # As `serve` does before it listens: the KB model, its index and classifier load now,
        # and the helper processes come up, so the timed part below is decisions only.
        await service.warm_up()
        await runtime.start()
    except BaseException:
        await store.close()
        _remove_run(folder, run_id, keep=False)
        raise
    started = time.perf_counter()
    warmup_s = started - warm_started
    try:
        await _feed(runtime, messages, speed, progress)
        while await store.queue_depth() > 0:  # acked or dead-lettered: nothing in flight
            await asyncio.sleep(0.02)
        await _drain_outbox(runtime)
        elapsed = time.perf_counter() - started
        report = await _report(runtime, recording, tally, len(messages), elapsed)
        report["warmup_s"] = round(warmup_s, 3)
    finally:
        await runtime.stop()
        if not keep:
            await store.hot.clear()
            await store.records.discard()
        await store.close()
        _remove_run(folder, run_id, keep=keep)
    return report


def _remove_run(folder: Path, run_id: str, *, keep: bool) -> None:
    """Without `--keep` a replay leaves nothing behind: its store, its recording, the empty folder."""
    if keep:
        return
    _remove(folder / f"{run_id}.sqlite3")
    (folder / f"{run_id}-published.jsonl").unlink(missing_ok=True)
    with contextlib.suppress(OSError):  # not empty: a kept replay, or one running beside us
        folder.rmdir()


async def _feed(
    runtime: Runtime,
    messages: list[InboundMessage],
    speed: float | None,
    progress: Callable[[int], None] | None,
) -> None:
    if speed is None:
        for start in range(0, len(messages), FEED_CHUNK):
            chunk = messages[start : start + FEED_CHUNK]
            await runtime.ingest(chunk)
            if progress:
                progress(len(chunk))
        return
    previous = messages[0].created_at if messages else None
    for message in messages:
        if previous is not None:
            gap = (message.created_at - previous).total_seconds() / speed
            if gap > 0:
                await asyncio.sleep(gap)
        previous = message.created_at
        await runtime.ingest([message])
        if progress:
            progress(1)


async def _drain_outbox(runtime: Runtime) -> None:
    """Let the publisher deliver everything that is due (held or failing items stay)."""
    while await runtime.publisher.run_once(limit=500):
        pass


async def _report(
    runtime: Runtime, recording: RecordingAdapter, tally: ReplayTally, fed: int, elapsed: float
) -> dict[str, Any]:
    store = runtime.store
    sent_keys = Counter(item.idempotency_key for item in recording.sent)
    sent_targets = Counter(
        (item.channel, item.target, item.account, item.idempotency_key.split(":", 1)[0])
        for item in recording.sent
        if item.target
    )
    duplicates = sum(n - 1 for n in sent_keys.values() if n > 1) + sum(
        n - 1 for n in sent_targets.values() if n > 1
    )
    alerts = [Alert.from_record(r) for r in await all_records(store.records, RecordFilter(RecordKind.ALERT))]
    alerts.sort(key=lambda a: a.at)
    every_case = await all_records(store.records, RecordFilter(RecordKind.CASE))
    cases = [r.data for r in every_case if r.data.get("reason") != DUPLICATE_REASON]
    handled = await all_records(store.records, RecordFilter(RecordKind.CASE_MESSAGE))
    outcomes = Counter(str(r.data.get("outcome")) for r in handled)
    counts = await store.outbox_counts()
    return {
        "messages": fed,
        "seconds": round(elapsed, 3),
        "messages_per_second": round(fed / elapsed, 1) if elapsed > 0 else 0.0,
        "actions": {a: tally.actions.get(a, 0) for a in ("answer", "case", "crisis", "agent", "monitor")},
        "alerts": [_alert_summary(a) for a in alerts],
        "cases": {
            "opened": len(cases),
            "joined": outcomes["joined"],
            "reopened": outcomes["reopened"],
            "grouped_into_incidents": sum(1 for c in cases if c.get("incident_id")),
            "to_crm": sum(1 for c in cases if c.get("crm", True)),
        },
        "outbox": {"published": counts.get("published", 0), "duplicates": duplicates, "by_status": counts},
        "dead_letters": await store.count_dead_letters(),
        "latency_ms": {
            "p50": round(percentile(tally.latencies_ms, 0.5), 3),
            "p99": round(percentile(tally.latencies_ms, 0.99), 3),
        },
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


def _alert_summary(alert: Alert) -> dict[str, Any]:
    stored = alert.data()  # the fields its writer set, as before the model
    keys = ("kind", "topic", "message_id", "at", "first_message_at", "count", "status")
    summary = {k: stored[k] for k in keys if stored.get(k) is not None}
    if alert.related_messages:
        summary["related_messages"] = len(alert.related_messages)
    return summary


def _remove(path: Path) -> None:
    for candidate in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        candidate.unlink(missing_ok=True)
