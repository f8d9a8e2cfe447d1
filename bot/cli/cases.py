"""`centinela cases list|show|solve|close|pending|reopen|note`: cases without the API.

Works on the configured records database, through the same lifecycle service as the API: a
case solved here tells its customer once, through the shared outbox (the running service
publishes it).
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from bot.config import Settings
from bot.core.cases import CASE_STATUSES, PRIORITIES, Case, CaseStatus
from bot.core.records import RecordKind

# The subcommands that change the status, and the status each one sets.
STATUS_COMMANDS: dict[str, CaseStatus] = {
    "solve": "solved",
    "close": "closed",
    "pending": "pending",
    "reopen": "open",
}


def add_cases_parser(sub: argparse._SubParsersAction[Any]) -> None:
    cases = sub.add_parser("cases", help="customer cases: list, show, solve, close, note")
    cases_sub = cases.add_subparsers(dest="cases_command", required=True, metavar="SUBCOMMAND")
    listing = cases_sub.add_parser("list", help="cases, newest first")
    listing.add_argument(
        "--status", choices=CASE_STATUSES, metavar="STATUS", help="open, pending, solved, closed"
    )
    listing.add_argument(
        "--priority", choices=PRIORITIES, metavar="PRIORITY", help="low, normal, high, urgent"
    )
    listing.add_argument("--customer", help="only this customer id or handle")
    listing.add_argument("--channel", help="only this channel")
    listing.add_argument("--limit", type=int, default=100, help="at most this many (default 100)")
    listing.add_argument("--json", action="store_true", help="print a JSON list")
    show = cases_sub.add_parser("show", help="one case with its comments")
    show.add_argument("id", help="case reference, e.g. C-1042")
    show.add_argument("--json", action="store_true", help="print the case as JSON")
    for name, status in STATUS_COMMANDS.items():
        change = cases_sub.add_parser(name, help=f"mark the case {status}")
        change.add_argument("id", help="case reference, e.g. C-1042")
        change.add_argument("--note", help="why (kept on the case)")
        change.add_argument("--actor", default="cli", help="who (audited; default cli)")
    note = cases_sub.add_parser("note", help="add a staff note")
    note.add_argument("id", help="case reference, e.g. C-1042")
    note.add_argument("text", help="the note")
    note.add_argument("--actor", default="cli", help="who (audited; default cli)")


def _line(case: Case) -> str:
    fields = (
        case.id,
        case.status,
        case.priority,
        case.channel,
        str(case.contacts),
        case.opened_at.isoformat(),
    )
    return "\t".join(fields)


async def run_cases(settings: Settings, args: argparse.Namespace) -> int:
    # Loaded here, not at the top: `centinela --help` must not import the stores.
    from bot.engine.case_lifecycle import CaseLifecycle
    from bot.engine.cases import load_case
    from bot.store.factory import build_store
    from bot.store.records import RecordFilter

    store = build_store(settings)
    await store.open()
    try:
        records = store.records
        command = args.cases_command
        if command == "list":
            where = RecordFilter(
                RecordKind.CASE,
                status=args.status,
                customer=args.customer,
                channel=args.channel,
                priority=args.priority,
            )
            page = await records.query_records(where, limit=max(1, min(1000, args.limit)))
            cases = [Case.from_record(r.id, r.version, r.data) for r in page.items]
            if args.json:
                print(json.dumps([c.model_dump(mode="json") for c in cases], ensure_ascii=False))
            else:
                for case in cases:
                    print(_line(case))
                print(f"{len(cases)} case(s)", file=sys.stderr)
            return 0
        if command == "show":
            found = await load_case(records, args.id)
            if found is None:
                print(f"centinela: no case {args.id}", file=sys.stderr)
                return 1
            print(found.model_dump_json(indent=None if args.json else 2))
            return 0
        lifecycle = CaseLifecycle(records)
        actor = f"cli:{args.actor}"
        if command == "note":
            change = await lifecycle.add_note(args.id, args.text, actor=actor)
        else:
            change = await lifecycle.set_status(
                args.id, STATUS_COMMANDS[command], actor=actor, note=args.note
            )
        print(change.message, file=sys.stdout if change.ok else sys.stderr)
        return 0 if change.ok else 1
    finally:
        await store.close()
