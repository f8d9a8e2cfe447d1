"""`centinela campaigns ...`: the campaigns without the HTTP API, on the configured store."""

from __future__ import annotations

import argparse
import json
import sys

from bot.config import Settings
from scheduler.campaign_plan import CampaignPlan, plan_text


def campaigns(settings: Settings, args: argparse.Namespace) -> int:
    if args.campaigns_command == "preview":
        plan = plan_text(args.file.read_text(encoding="utf-8"), settings.languages)
        print_preview(plan, as_json=args.json)
        return 0 if plan.ok else 2
    raise AssertionError(args.campaigns_command)


def print_preview(plan: CampaignPlan, *, as_json: bool) -> None:
    """The FORMATS.md object with `--json`; otherwise one line per post, then the problems."""
    if as_json:
        print(json.dumps(plan.preview(), ensure_ascii=False))
        return
    for line in preview_lines(plan):
        print(line)
    if plan.errors:
        print(f"centinela: {len(plan.errors)} problem(s) in the campaign file", file=sys.stderr)


def preview_lines(plan: CampaignPlan) -> list[str]:
    lines = []
    if plan.definition is not None:
        window = plan.definition.window
        lines.append(
            f"campaign {plan.campaign_id}: {plan.definition.name} "
            f"({window.start} to {window.end}, {window.timezone}, {plan.definition.account} account)"
        )
    for post in plan.posts:
        local = post.at.local.strftime("%Y-%m-%d %H:%M %z")
        lines.append(
            f"step {post.n}  {local}  {post.at.utc_text}  {post.channel:<9} {post.lang}  "
            f"{post.length:>4}/{post.limit:<4}  {post.text}"
        )
    for problem in plan.errors:
        where = " ".join(
            part
            for part in (
                f"step {problem.step}" if problem.step is not None else "",
                problem.channel or "",
                problem.lang or "",
            )
            if part
        )
        lines.append(f"error {where or 'file'}: {problem.error}")
    return lines
