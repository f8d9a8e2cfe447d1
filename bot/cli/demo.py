"""`serve --demo`: push the bundled sample traffic through our own signed webhook.

A newcomer sees the real path work: signed HTTP requests in, decisions scrolling by with a
progress bar, and a summary at the end; the service then keeps serving.

Each run gives the sample messages fresh ids (`s0001-<run>`), so a second `make run` on the
same data folder is decided again instead of being all duplicates; the summary counts what
the webhook really answered (accepted, already known) and what was really decided.
"""

from __future__ import annotations

import asyncio
import json
import logging
import sys
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from tqdm import tqdm

from adapters.webhook.signing import signed_headers
from bot.cli.traffic import read_messages
from bot.config import SAMPLES_DIR, Settings
from bot.core.models import InboundMessage, utc_now
from bot.web.secrets import local_secrets

SAMPLE_TRAFFIC = SAMPLES_DIR / "traffic.jsonl"
DECIDE_TIMEOUT_S = 60.0


@dataclass(slots=True)
class DemoSummary:
    """What one demo run did, as the webhook and the API reported it."""

    sent: int = 0
    accepted: list[str] = field(default_factory=list)
    already_known: list[str] = field(default_factory=list)
    decided: dict[str, dict[str, Any]] = field(default_factory=dict)

    def lines(self) -> list[str]:
        actions = Counter(str(d["action"]) for d in self.decided.values())
        held = sum(1 for d in self.decided.values() if d.get("suppressed"))
        lines = [
            f"summary: {self.sent} sent, {len(self.accepted)} accepted, "
            f"{len(self.already_known)} already known; "
            f"{len(self.decided)}/{len(self.accepted)} accepted decided: {dict(actions)}"
        ]
        if held:
            lines.append(f"  {held} automatic replies held back by the guards (see `suppressed`)")
        waiting = len(self.accepted) - len(self.decided)
        if waiting:
            lines.append(f"  {waiting} still being decided after {DECIDE_TIMEOUT_S:.0f} s")
        return lines


def fresh_ids(messages: list[InboundMessage], run: str) -> list[InboundMessage]:
    """The sample stamped "now" with run-specific ids (replies keep pointing at their parent)."""
    ids = {m.id for m in messages}
    now = utc_now()
    return [
        m.model_copy(
            update={
                "id": f"{m.id}-{run}",
                "in_reply_to": f"{m.in_reply_to}-{run}" if m.in_reply_to in ids else m.in_reply_to,
                "created_at": now,  # the sample is timeless: live traffic for the age guard
            }
        )
        for m in messages
    ]


async def run_demo(settings: Settings, base_url: str, *, run: str | None = None) -> DemoSummary:
    logging.getLogger("aiohttp.access").setLevel(logging.WARNING)  # let the decisions scroll by
    api_token, secret = local_secrets(settings)
    items, _bad = read_messages(SAMPLE_TRAFFIC)
    messages = fresh_ids([item.message for item in items], run or uuid.uuid4().hex[:6])
    headers = {"Authorization": f"Bearer {api_token}"}
    summary = DemoSummary(sent=len(messages))
    async with aiohttp.ClientSession(base_url) as http:
        with tqdm(total=len(messages), desc="replaying sample traffic", unit="msg", file=sys.stderr) as bar:
            for message in messages:
                body = json.dumps(message.model_dump(mode="json", exclude={"raw"}), ensure_ascii=False)
                data = body.encode()
                async with http.post(
                    "/webhooks/generic", data=data, headers=signed_headers(secret, data)
                ) as response:
                    response.raise_for_status()
                    answer = await response.json()
                summary.accepted += [f"{message.channel}:{i}" for i in answer["accepted"]]
                summary.already_known += [f"{message.channel}:{i}" for i in answer["duplicates"]]
                bar.update(1)
        await _follow_decisions(http, headers, summary)
    for line in summary.lines():
        print(("\n" if line.startswith("summary") else "") + line, file=sys.stderr)
    print(
        f"published replies are in {settings.recording_file}; API at {base_url}/api/v1 "
        f"(documented at {base_url}/api/v1/docs; token in {settings.data_dir / 'secrets.json'}); "
        f"dashboard at {base_url}/dashboard (sign in with that token); Ctrl-C to stop",
        file=sys.stderr,
    )
    return summary


async def _follow_decisions(
    http: aiohttp.ClientSession, headers: dict[str, str], summary: DemoSummary
) -> None:
    """Print each accepted message's decision as it appears (one API read per waiting message)."""
    deadline = time.monotonic() + DECIDE_TIMEOUT_S
    waiting = list(summary.accepted)
    while waiting and time.monotonic() < deadline:
        still: list[str] = []
        for key in waiting:
            async with http.get(f"/api/v1/messages/{key}", headers=headers) as response:
                decision = (await response.json()).get("decision") if response.status == 200 else None
            if decision is None:
                still.append(key)
                continue
            summary.decided[key] = decision
            print(f"  {decision['action']:<8} {key:<28} {decision['reason']}", file=sys.stderr)
        waiting = still
        if waiting:
            await asyncio.sleep(0.2)
