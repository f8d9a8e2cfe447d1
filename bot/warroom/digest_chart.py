"""The daily digest's chart: a PNG drawn on the server with matplotlib (Agg), no browser.

Why matplotlib: it renders a clean bar chart to PNG bytes in a few lines, offline, with no
display; the Agg backend is chosen explicitly so a server without a screen never tries one.
Drawing is CPU work: call `render_png` through `asyncio.to_thread`.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

COLORS = {"negative": "#dc2626", "neutral": "#94a3b8", "positive": "#16a34a"}


@dataclass(frozen=True, slots=True)
class HourBar:
    start: datetime
    sentiment: dict[str, int]


def render_png(bars: list[HourBar], *, title: str, tz: ZoneInfo, legend: dict[str, str]) -> bytes:
    """Messages per hour stacked by sentiment, hours in the digest's zone."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    figure = Figure(figsize=(8, 3), dpi=100)
    axes = figure.subplots()
    labels = [b.start.astimezone(tz).strftime("%H") for b in bars]
    bottom = [0] * len(bars)
    for key in ("negative", "neutral", "positive"):
        values = [b.sentiment.get(key, 0) for b in bars]
        axes.bar(range(len(bars)), values, bottom=bottom, color=COLORS[key], label=legend[key])
        bottom = [a + b for a, b in zip(bottom, values, strict=True)]
    axes.set_xticks(range(0, len(bars), 2), labels[::2])
    axes.set_title(title)
    axes.legend(loc="upper left", fontsize="small", frameon=False)
    axes.spines[["top", "right"]].set_visible(False)
    figure.tight_layout()
    out = io.BytesIO()
    figure.savefig(out, format="png")
    return out.getvalue()
