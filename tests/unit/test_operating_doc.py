"""docs/operating.md explains every metric the service exports (a new metric without a line fails)."""

from __future__ import annotations

from bot.web.crm_wiring import sync_counter
from bot.web.metrics import Metrics
from bot.web.sla_wiring import SlaMetrics
from tests.paths import ROOT

DOC = ROOT / "docs" / "operating.md"


def test_every_metric_is_explained() -> None:
    text = DOC.read_text(encoding="utf-8")
    metrics = Metrics()
    sync_counter(metrics.registry)  # registered by the CRM and SLA wiring on the same registry
    SlaMetrics(metrics.registry)
    kinds = {metric.name: metric.type for metric in metrics.registry.collect()}
    assert kinds  # centinela_messages, centinela_intake, ...
    # prometheus_client exports a counter `x` as `x_total`; the doc names what Prometheus shows.
    shown = {name: f"`{name}_total`" if kind == "counter" else f"`{name}`" for name, kind in kinds.items()}
    assert [name for name, label in shown.items() if label not in text] == []
