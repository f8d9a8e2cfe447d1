"""`centinela campaigns ...`: the campaigns without the HTTP API, on the configured store."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys

from bot.config import Settings
from bot.store.base import Store
from bot.store.factory import build_store
from scheduler.campaign_book import CampaignBook
from scheduler.campaign_plan import CampaignPlan, plan_text
from scheduler.campaign_preview import preview_lines
from scheduler.campaign_view import campaign_detail, campaign_summary
from scheduler.service import campaign_book, outage_desk


def scheduler_command(settings: Settings, args: argparse.Namespace) -> int:
    """`centinela campaigns ...` and `centinela outage ...`."""
    if args.command == "outage":
        code: int = asyncio.run(_outage(settings, args))
        return code
    if args.campaigns_command == "preview":
        plan = plan_text(args.file.read_text(encoding="utf-8"), settings.languages)
        print_preview(plan, as_json=args.json)
        return 0 if plan.ok else 2
    result: int = asyncio.run(_on_store(settings, args))
    return result


async def _on_store(settings: Settings, args: argparse.Namespace) -> int:
    """The commands that read or change campaign records in the configured store."""
    store = build_store(settings)
    await store.open()
    try:
        book = campaign_book(settings, store)
        command = args.campaigns_command
        if command == "list":
            return await _list(book, args.status, as_json=args.json)
        if command == "show":
            return await _show(store, book, args.id, as_json=args.json)
        if command == "define":
            text = await asyncio.to_thread(args.file.read_text, encoding="utf-8")
            result = await book.define(text, actor=f"cli:{args.actor}", source=str(args.file))
            if result.plan is not None and not result.ok:
                for line in preview_lines(result.plan)[1:]:
                    if line.startswith("error"):
                        print(line, file=sys.stderr)
        else:
            result = await book.act(args.id, command, actor=f"cli:{args.actor}")
        print(result.message, file=sys.stdout if result.ok else sys.stderr)
        return 0 if result.ok else 1
    finally:
        await store.close()


async def _outage(settings: Settings, args: argparse.Namespace) -> int:
    """Declared outages on the configured store; the running service posts what is queued."""
    store = build_store(settings)
    await store.open()
    try:
        desk = outage_desk(settings, store)
        if args.outage_command == "list":
            for record in await desk.open_outages():
                data = record.data
                print(f"{record.id}\t{data['title']}\t{data.get('region') or '-'}\tsince {data['opened_at']}")
            return 0
        actor = f"cli:{args.actor}"
        if args.outage_command == "start":
            result = await desk.start(args.title, region=args.region, topic=args.topic, actor=actor)
        else:
            result = await desk.resolve(args.id, actor=actor)
        print(result.message, file=sys.stdout if result.ok else sys.stderr)
        return 0 if result.ok else 1
    finally:
        await store.close()


async def _list(book: CampaignBook, status: str | None, *, as_json: bool) -> int:
    found = await book.every(status)
    if as_json:
        print(json.dumps([campaign_summary(r) for r in found], ensure_ascii=False))
        return 0
    for record in found:
        window = record.data["definition"]["window"]
        print(
            f"{record.id}\t{record.data['status']}\t{window['start']}..{window['end']}\t{record.data['name']}"
        )
    print(f"{len(found)} campaign(s)", file=sys.stderr)
    return 0


async def _show(store: Store, book: CampaignBook, campaign_id: str, *, as_json: bool) -> int:
    record = await book.get(campaign_id)
    if record is None:
        print(f"centinela: no campaign {campaign_id}", file=sys.stderr)
        return 1
    detail = await campaign_detail(store, book, record)
    if as_json:
        print(json.dumps(detail, ensure_ascii=False))
        return 0
    print(f"campaign {record.id}: {record.data['name']} ({record.data['status']})")
    for event in record.data["history"]:
        print(f"  {event['at']}  {event['action']:<8} by {event['actor']}  {event['from']} -> {event['to']}")
    for post in detail["posts"]:
        print(f"step {post['n']}  {post['at_utc']}  {post['channel']:<9} {post['lang']}  {post['state']}")
    return 0


def print_preview(plan: CampaignPlan, *, as_json: bool) -> None:
    """The FORMATS.md object with `--json`; otherwise one line per post, then the problems."""
    if as_json:
        print(json.dumps(plan.preview(), ensure_ascii=False))
        return
    for line in preview_lines(plan):
        print(line)
    if plan.errors:
        print(f"centinela: {len(plan.errors)} problem(s) in the campaign file", file=sys.stderr)
