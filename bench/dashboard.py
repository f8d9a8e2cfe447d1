"""The dashboard with 30 days of data from 100k messages: page and stats load times.

`python -m bench.dashboard [--messages 100000] [--days 30]`: writes the decisions through the
records store's real write path (`save_decisions`, which keeps the aggregates), a case record
for each `case` decision and a correction for 2 % of the automatic answers, starts the
service on that data, signs in, then times (a) each `/dashboard/stats/...` view for each span
over HTTP (median of `--repeat` calls), and (b) in Debian's chromium through Playwright when it
is installed: from navigation to the Now view drawn, and to the 30-day Trends drawn. Prints one
JSON line. A benchmark, not a test: the figures go in the README with this command.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

from bot.config import load_settings
from bot.core.cases import PRIORITIES, Case
from bot.core.models import Decision, utc_now
from bot.core.records import RecordKind
from bot.engine.corrections import Correction
from bot.store.factory import build_store
from bot.web.app import create_app

CHANNELS = ("twitter", "facebook", "instagram", "whatsapp", "forum", "email")
TOPICS = ("no-internet", "billing", "tv", "mobile-signal", "promo", "", "", "")
REGIONS = ("madrid", "barcelona", "dallas", "denver", "", "", "")
ACTIONS = ("answer", "case", "agent", "monitor", "monitor", "crisis")
SENTIMENTS = ("negative", "neutral", "positive")
VIEWS = ("now", "volume", "topics", "quality", "people")
TOKEN = "bench-dashboard-token"
CHROMIUM = Path("/usr/bin/chromium")


def decisions(count: int, days: int, seed: int = 18) -> list[Decision]:
    rng = random.Random(seed)
    now = utc_now()
    out = []
    for i in range(count):
        at = now - timedelta(seconds=rng.uniform(0, days * 86400))
        out.append(
            Decision(
                message_key=f"{rng.choice(CHANNELS)}:b{i}", action=rng.choice(ACTIONS), reason="bench",
                rule="bench", language=rng.choice(("es", "es", "en", "pt")), sentiment=rng.choice(SENTIMENTS),
                topic=rng.choice(TOPICS), region=rng.choice(REGIONS), author=f"@user{rng.randrange(5000)}",
                reach=rng.randrange(100_000), decided_at=at, message_at=at,
            )
        )  # fmt: skip
    return out


Row = tuple[str, str, dict[str, Any]]


def case_and_correction_records(batch: list[Decision], seed: int = 18) -> list[Row]:
    """A case for each `case` decision (answered within hours, 70 % solved within days) and a
    correction for one automatic answer in fifty: what the Quality view's new figures read."""
    rng = random.Random(seed)
    found: list[Row] = []
    for n, d in enumerate(batch):
        opened = d.message_at or d.decided_at
        channel = d.message_key.partition(":")[0]
        if d.action == "case":
            case = Case(
                id=f"C-{1001 + n}", message_key=d.message_key, channel=channel, author=d.author,
                identity=f"{channel}:{d.author}", priority=rng.choice(PRIORITIES), opened_at=opened,
                first_response_at=opened + timedelta(minutes=rng.expovariate(1 / 90)),
                solved_at=opened + timedelta(hours=rng.expovariate(1 / 20)) if rng.random() < 0.7 else None,
            )  # fmt: skip
            found.append((RecordKind.CASE, case.id, case.record_data()))
        elif d.action == "answer" and rng.random() < 0.02:
            fix = Correction(
                message_key=d.message_key, channel=channel, decided="answer", action="case",
                actor="api:bench", at=opened + timedelta(hours=1), message_at=opened,
            )  # fmt: skip
            found.append((RecordKind.CORRECTION, d.message_key, fix.model_dump(mode="json")))
    return found


async def fill(data_dir: Path, count: int, days: int) -> float:
    settings = load_settings(data_dir=data_dir, api_token=TOKEN, webhook_secret="bench")
    store = build_store(settings)
    await store.open()
    started = time.perf_counter()
    batch = decisions(count, days)
    for i in range(0, len(batch), 1000):
        await store.records.save_decisions(batch[i : i + 1000])
    extra = case_and_correction_records(batch)
    for i in range(0, len(extra), 200):  # concurrent writes share the store's group commits
        await asyncio.gather(*(store.records.put_record(*r) for r in extra[i : i + 200]))
    elapsed = time.perf_counter() - started
    await store.close()
    return elapsed


async def http_timings(base: str, repeat: int) -> dict[str, Any]:
    timings: dict[str, Any] = {}
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:  # an IP host
        login = await http.post(f"{base}/dashboard/login", data={"token": TOKEN}, allow_redirects=False)
        assert login.status == 303, login.status
        for path in ("/dashboard", "/dashboard/static/dashboard.js", "/dashboard/static/dashboard.css"):
            timings[path] = await _median(http, f"{base}{path}", repeat)
        for view in VIEWS:
            for span in ("hour", "day", "month"):
                timings[f"{view}?span={span}"] = await _median(
                    http, f"{base}/dashboard/stats/{view}?span={span}", repeat
                )
    return timings


async def _median(http: aiohttp.ClientSession, url: str, repeat: int) -> float:
    spent = []
    for _ in range(repeat):
        started = time.perf_counter()
        async with http.get(url) as response:
            await response.read()
            assert response.status == 200, (url, response.status)
        spent.append((time.perf_counter() - started) * 1000)
    return round(statistics.median(spent), 1)


def browser_timings(base: str, repeat: int) -> dict[str, Any]:
    """Navigation to drawn views in chromium (the page, its assets, its data, its script)."""
    from playwright.sync_api import sync_playwright

    args = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync"]  # fmt: skip
    now_ms, trends_ms = [], []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=args)
        context = browser.new_context(bypass_csp=True)  # wait_for_function evaluates a string
        page = context.new_page()
        page.goto(f"{base}/dashboard")
        page.fill("#token", TOKEN)
        page.click("button[type=submit]")
        page.wait_for_selector("#view-now")
        page.close()
        for _ in range(repeat):  # a fresh tab each time, signed in: what opening the page costs
            tab = context.new_page()
            started = time.perf_counter()
            tab.goto(f"{base}/dashboard#now")
            tab.wait_for_selector("#c-minute svg g.bucket")
            now_ms.append((time.perf_counter() - started) * 1000)
            tab.close()
            tab = context.new_page()
            started = time.perf_counter()
            tab.goto(f"{base}/dashboard#trends")
            tab.wait_for_selector("#c-volume svg g.bucket")
            tab.select_option("#f-span", "month")
            tab.wait_for_function("document.querySelectorAll('#c-volume svg g.bucket').length === 30")
            trends_ms.append((time.perf_counter() - started) * 1000)
            tab.close()
        browser.close()
    return {
        "now_drawn_ms": round(statistics.median(now_ms), 1),
        "trends_30_days_drawn_ms": round(statistics.median(trends_ms), 1),
    }


async def serve_and_measure(data_dir: Path, repeat: int, *, browser: bool) -> dict[str, Any]:
    settings = load_settings(data_dir=data_dir, api_token=TOKEN, webhook_secret="bench", workers=1)
    runner = web.AppRunner(create_app(settings), handle_signals=False)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    base = f"http://{host}:{port}"
    try:
        result: dict[str, Any] = {"http_ms": await http_timings(base, repeat)}
        if browser:
            result["browser"] = await asyncio.to_thread(browser_timings, base, repeat)
        else:
            result["browser"] = {"error": f"{CHROMIUM} not installed"}
    finally:
        await runner.cleanup()
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--messages", type=int, default=100_000)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--repeat", type=int, default=5)
    options = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="centinela-bench-dashboard-") as tmp:
        data_dir = Path(tmp)
        fill_s = asyncio.run(fill(data_dir, options.messages, options.days))
        measured = asyncio.run(serve_and_measure(data_dir, options.repeat, browser=CHROMIUM.exists()))
    http_ms = measured["http_ms"]
    page_load = sum(
        http_ms[p]
        for p in ("/dashboard", "/dashboard/static/dashboard.js", "/dashboard/static/dashboard.css")
    )
    result = {
        "messages": options.messages, "days": options.days, "fill_s": round(fill_s, 1),
        "dashboard_page_ms": round(page_load + http_ms["now?span=hour"], 1),
        "stats_month_slowest_ms": max(v for k, v in http_ms.items() if k.endswith("span=month")),
        **measured,
    }  # fmt: skip
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
