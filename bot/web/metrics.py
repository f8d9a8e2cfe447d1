"""Prometheus metrics, kept in a registry owned by the application (no module globals)."""

from __future__ import annotations

from collections.abc import Iterable

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

from adapters.base import Adapter
from bot.core.models import Decision, InboundMessage
from bot.store.base import Store


class Metrics:
    """Counters updated as messages are decided; gauges read from the store at scrape time."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.messages = Counter(
            "centinela_messages",
            "Messages decided, by channel and action",
            ["channel", "action"],
            registry=self.registry,
        )
        self.received = Counter(
            "centinela_intake",
            "Messages received, by channel and outcome",
            ["channel", "outcome"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "centinela_decision_latency_seconds",
            "Time to decide one message",
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1.0),
            registry=self.registry,
        )
        self.queue_depth = Gauge(
            "centinela_queue_depth", "Messages waiting or in flight", registry=self.registry
        )
        self.dead_letters = Gauge(
            "centinela_dead_letters", "Messages in the dead letters", registry=self.registry
        )
        self.outbox = Gauge(
            "centinela_outbox_items", "Outbox items by status", ["status"], registry=self.registry
        )
        self.adapter_events = Gauge(
            "centinela_adapter_events",
            "Per-adapter counters since start (received, sent, rate_limited, failed, window_expired, ...)",
            ["adapter", "event"],
            registry=self.registry,
        )

    def adapters(self, adapters: Iterable[Adapter]) -> None:
        for adapter in adapters:
            for event, count in adapter.stats.counts.items():
                self.adapter_events.labels(adapter=adapter.name, event=event).set(count)

    def decided(self, decision: Decision) -> None:
        channel = decision.message_key.split(":", 1)[0]
        self.messages.labels(channel=channel, action=decision.action).inc()
        self.latency.observe(decision.latency_ms / 1000)

    def intake(self, messages: list[InboundMessage], fresh: list[bool]) -> None:
        for message, new in zip(messages, fresh, strict=True):
            self.received.labels(channel=message.channel, outcome="accepted" if new else "duplicate").inc()

    async def render(self, store: Store) -> bytes:
        self.queue_depth.set(await store.queue_depth())
        self.dead_letters.set(await store.count_dead_letters())
        for status, count in (await store.outbox_counts()).items():
            self.outbox.labels(status=status).set(count)
        return generate_latest(self.registry)
