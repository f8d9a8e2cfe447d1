"""The `centinela campaigns ...` and `centinela outage ...` arguments, kept beside their commands.

`bot/cli/main.py` adds these with one call, so the scheduler's commands grow here without
editing the shared parser.
"""

from __future__ import annotations

import argparse

from bot.cli.args import CliParser, existing_file

CAMPAIGN_ACTIONS = ("approve", "pause", "resume", "cancel")


SCHEDULER_COMMANDS = ("campaigns", "outage")


def add_scheduler_parsers(sub: argparse._SubParsersAction[CliParser]) -> None:
    """`campaigns ...` and `outage ...`."""
    _add_campaigns(sub)
    _add_outage(sub)


def _add_outage(sub: argparse._SubParsersAction[CliParser]) -> None:
    outage = sub.add_parser("outage", help="declared outages: start (notice posted), resolve, list")
    commands = outage.add_subparsers(dest="outage_command", required=True, metavar="SUBCOMMAND")
    start = commands.add_parser("start", help="declare an outage: notice now, updates until resolved")
    start.add_argument("title", help='what is down, e.g. "Fibra Madrid"')
    start.add_argument("--region", help="complaints naming this region get the incident reply")
    start.add_argument("--topic", help="complaints about this topic (e.g. no-internet) get it")
    start.add_argument("--actor", default="cli", help="who declares it (audited; default cli)")
    resolve = commands.add_parser("resolve", help="post the resolution and tell each complainer once")
    resolve.add_argument("id", help="outage id (as `outage start` or `outage list` shows it)")
    resolve.add_argument("--actor", default="cli", help="who resolves it (audited; default cli)")
    commands.add_parser("list", help="open declared outages")


def _add_campaigns(sub: argparse._SubParsersAction[CliParser]) -> None:
    campaigns = sub.add_parser("campaigns", help="campaigns: preview a file, list, show, approve, pause, ...")
    commands = campaigns.add_subparsers(dest="campaigns_command", required=True, metavar="SUBCOMMAND")
    preview = commands.add_parser("preview", help="every post of a campaign file, without posting anything")
    preview.add_argument("file", type=existing_file, help="campaign YAML file (FORMATS.md)")
    preview.add_argument("--json", action="store_true", help="print one JSON object (FORMATS.md)")
    define = commands.add_parser("define", help="store a campaign file as a draft (or update its draft)")
    define.add_argument("file", type=existing_file, help="campaign YAML file (FORMATS.md)")
    define.add_argument("--actor", default="cli", help="who defines it (audited; default cli)")
    listing = commands.add_parser("list", help="campaigns, newest first")
    listing.add_argument("--status", help="only campaigns in this status (draft, approved, running, ...)")
    listing.add_argument("--json", action="store_true", help="print a JSON list")
    show = commands.add_parser("show", help="one campaign: status, history and every post with its state")
    show.add_argument("id", help="campaign id")
    show.add_argument("--json", action="store_true", help="print one JSON object")
    for action in CAMPAIGN_ACTIONS:
        command = commands.add_parser(action, help=f"{action} a campaign (audited)")
        command.add_argument("id", help="campaign id")
        command.add_argument("--actor", default="cli", help="who does it (audited; default cli)")
