"""`serve --demo`: push the bundled sample traffic through our own signed webhook.

A newcomer sees the real path work: signed HTTP requests in, decisions scrolling by with a
progress bar, and a summary at the end; the service then keeps serving.
"""

from __future__ import annotations

import asyncio
import json
import logging
import sys
import time
from collections import Counter

import aiohttp
from tqdm import tqdm

from adapters.webhook.signing import signed_headers
from bot.cli.traffic import read_messages
from bot.config import SAMPLES_DIR, Settings
from bot.core.models import utc_now
from bot.web.secrets import local_secrets

SAMPLE_TRAFFIC = SAMPLES_DIR / "traffic.jsonl"


async def run_demo(settings: Settings, base_url: str) -> None:
    logging.getLogger("aiohttp.access").setLevel(logging.WARNING)  # let the decisions scroll by
    api_token, secret = local_secrets(settings)
    items, _bad = read_messages(SAMPLE_TRAFFIC)
    headers = {"Authorization": f"Bearer {api_token}"}
    async with aiohttp.ClientSession(base_url) as http:
        with tqdm(total=len(items), desc="replaying sample traffic", unit="msg", file=sys.stderr) as bar:
            for item in items:
                # The sample is timeless: stamp it "now" so the age guard treats it as live traffic.
                live = item.message.model_copy(update={"created_at": utc_now()})
                body = json.dumps(live.model_dump(mode="json", exclude={"raw"}), ensure_ascii=False).encode()
                signed = signed_headers(secret, body)
                async with http.post("/webhooks/generic", data=body, headers=signed) as response:
                    response.raise_for_status()
                bar.update(1)
        keys = {item.message.key for item in items}
        decided: dict[str, dict[str, object]] = {}
        deadline = time.monotonic() + 60
        while len(decided) < len(keys) and time.monotonic() < deadline:
            async with http.get("/api/v1/decisions", params={"limit": "1000"}, headers=headers) as response:
                for decision in reversed((await response.json())["decisions"]):
                    if decision["message_key"] in keys and decision["message_key"] not in decided:
                        decided[decision["message_key"]] = decision
                        print(
                            f"  {decision['action']:<8} {decision['message_key']:<28} {decision['reason']}",
                            file=sys.stderr,
                        )
            await asyncio.sleep(0.2)
        actions = Counter(str(d["action"]) for d in decided.values())
        print(f"\nsummary: {len(decided)}/{len(keys)} decided: {dict(actions)}", file=sys.stderr)
        print(
            f"published replies are in {settings.recording_file}; API at {base_url}/api/v1 "
            f"(token in {settings.data_dir / 'secrets.json'}); Ctrl-C to stop",
            file=sys.stderr,
        )
