"""docs/grafana/centinela.json only queries metrics the service really exports."""

from __future__ import annotations

import json
import re
from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families

from bot.core.models import Decision, InboundMessage, utc_now
from bot.web.metrics import Metrics
from tests.paths import ROOT

DASHBOARD = ROOT / "docs" / "grafana" / "centinela.json"
FUNCTIONS = {"sum", "rate", "clamp_min", "histogram_quantile", "e"}


def _exported() -> set[str]:
    """Every sample name /metrics can show, with one of each kind of observation made."""
    metrics = Metrics()
    message = InboundMessage(id="1", channel="twitter", created_at=utc_now())
    metrics.intake([message], [True])
    metrics.decided(Decision(message_key="twitter:1", action="answer", reason="r", rule="x"))
    metrics.outbox.labels(status="needs_review").set(0)
    metrics.adapter_events.labels(adapter="x", event="sent").set(0)
    from prometheus_client import generate_latest

    text = generate_latest(metrics.registry).decode()
    return {sample.name for family in text_string_to_metric_families(text) for sample in family.samples}


def test_every_panel_queries_exported_metrics() -> None:
    document = json.loads(Path(DASHBOARD).read_text(encoding="utf-8"))
    exported = _exported()
    used: set[str] = set()
    for panel in document["panels"]:
        for target in panel["targets"]:
            expr = re.sub(r'\{[^}]*\}|"[^"]*"|\[[^\]]*\]|by \([^)]*\)', "", target["expr"])
            used |= {w for w in re.findall(r"[a-z_][a-z0-9_]*", expr) if w not in FUNCTIONS}
    assert used and used <= exported, used - exported
    assert {"centinela_messages_total", "centinela_queue_depth"} <= used
