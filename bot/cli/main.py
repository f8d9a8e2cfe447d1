"""The `centinela` command: serve, replay, eval, bench, kb, dead-letters, kill-switch, drafts, campaigns,
outage, cases, customers."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
from pathlib import Path
from typing import Any

from bot.cli.args import (
    JSON_ERRORS,
    CliError,
    CliParser,
    existing_dir,
    existing_file,
    kb_folder,
    log_level,
    message_key,
    port,
    positive_int,
    report_error,
    speed,
)
from bot.cli.cases import add_cases_parser, run_cases
from bot.cli.customers import add_customers_parser, run_customers
from bot.cli.logs import configure_logging, log_format_from_env
from bot.cli.malloc_arenas import limit_malloc_arenas
from bot.config import SAMPLES_DIR, ConfigError, Settings, load_settings
from bot.core.drafts import DRAFT_STATUSES
from bot.pipeline.rules import RulesError
from bot.store.base import StoreUnavailable
from scheduler.cli_args import SCHEDULER_COMMANDS, add_scheduler_parsers

log = logging.getLogger("centinela")


def _parser() -> argparse.ArgumentParser:
    parser = CliParser(
        prog="centinela",
        description="Social media command center for customer care.",
        epilog="Settings come from CENTINELA_* environment variables and the YAML file named by "
        "CENTINELA_CONFIG (see the README); bad arguments and settings exit with status 2.",
    )
    parser.add_argument(
        "--log-level",
        default="INFO",
        type=log_level,
        metavar="LEVEL",
        help="DEBUG, INFO, WARNING, ERROR or CRITICAL (default INFO); "
        "CENTINELA_LOG_FORMAT=json logs one JSON object per line",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    kb_help = "knowledge-base folder of *.md articles (default: the bundled sample KB)"

    serve = sub.add_parser("serve", help="run the HTTP service (webhooks, API, metrics, workers)")
    serve.add_argument("--host", help="address to listen on (default CENTINELA_HOST, 127.0.0.1)")
    serve.add_argument(
        "--port", type=port, help="TCP port, 0 for any free one (default CENTINELA_PORT, 8080)"
    )
    serve.add_argument(
        "--demo", action="store_true", help="replay the bundled sample traffic through the webhook"
    )
    serve.add_argument("--kb", type=kb_folder, metavar="DIR", help=kb_help)
    serve.add_argument(
        "--no-kb", action="store_true", help="no knowledge base (no model to load; questions go to agents)"
    )

    replay = sub.add_parser("replay", help="recorded traffic through the whole service path")
    replay.add_argument("file", type=existing_file, help="messages, one JSON object per line (FORMATS.md)")
    replay.add_argument(
        "--speed",
        default=None,
        type=speed,
        metavar="N|max",
        help="N times real time (e.g. 10), or max: as fast as possible on simulated time (default)",
    )
    replay.add_argument("--json", action="store_true", help="print one JSON object (FORMATS.md)")
    replay.add_argument("--kb", type=kb_folder, metavar="DIR", help=kb_help)
    replay.add_argument(
        "--keep", action="store_true", help="keep the replay's store and recording under var/replays/"
    )
    replay.add_argument(
        "--adapter",
        metavar="NAME",
        help="FILE holds what this platform delivered (x, facebook, instagram, whatsapp, discourse, email)",
    )

    evaluate = sub.add_parser("eval", help="score the decision pipeline on a labelled message file")
    evaluate.add_argument(
        "--kb", type=kb_folder, required=True, metavar="DIR", help="knowledge-base folder to answer from"
    )
    evaluate.add_argument(
        "--messages",
        type=existing_file,
        required=True,
        metavar="FILE",
        help="labelled messages, one JSON object per line with `expect`",
    )
    evaluate.add_argument("--json", action="store_true", help="print one JSON object (FORMATS.md)")
    evaluate.add_argument("--errors", action="store_true", help="include the misclassified messages")

    bench = sub.add_parser("bench", help="run the benchmarks the README quotes")
    bench.add_argument("--json", action="store_true", help="print one JSON object")
    bench.add_argument(
        "--messages",
        type=existing_file,
        metavar="FILE",
        help="traffic file (default: shared sample traffic if present)",
    )
    bench.add_argument("--only", metavar="NAMES", help="comma-separated benchmark names")

    kb = sub.add_parser("kb", help="knowledge base: build the index, search it")
    kb_sub = kb.add_subparsers(dest="kb_command", required=True, metavar="SUBCOMMAND")
    kb_build = kb_sub.add_parser("build", help="load and embed a folder into the cache, listing rejects")
    kb_build.add_argument("dir", type=existing_dir, help="knowledge-base folder of *.md articles")
    kb_search = kb_sub.add_parser("search", help="the articles nearest to a text")
    kb_search.add_argument("text", help="the question, in any supported language")
    kb_search.add_argument("--kb", type=existing_dir, metavar="DIR", help=kb_help)
    kb_search.add_argument("-k", type=positive_int, default=5, help="how many articles (default 5)")

    dead = sub.add_parser("dead-letters", help="messages that failed processing too often")
    dead_sub = dead.add_subparsers(dest="dead_command", required=True, metavar="SUBCOMMAND")
    dead_sub.add_parser("list", help="every dead letter: key, attempts, when, last error")
    requeue = dead_sub.add_parser("requeue", help="put a dead letter back in the queue")
    requeue.add_argument("key", type=message_key, help="message key, CHANNEL:ID")

    kill = sub.add_parser("kill-switch", help="pause or resume all automatic publishing")
    kill.add_argument(
        "state", choices=["on", "off", "status"], help="on: hold automatic replies; off: resume; status"
    )
    kill.add_argument("--reason", default="", help="why (audited, shown in the status)")
    kill.add_argument("--actor", default="cli", help="who is doing it (audited; default cli)")

    drafts = sub.add_parser("drafts", help="war-room drafts: list, approve (optionally edited), reject")
    drafts_sub = drafts.add_subparsers(dest="drafts_command", required=True, metavar="SUBCOMMAND")
    drafts_list = drafts_sub.add_parser("list", help="drafts, newest first")
    drafts_list.add_argument(
        "--status",
        choices=DRAFT_STATUSES,
        metavar="STATUS",
        help=f"only drafts in this status: {', '.join(DRAFT_STATUSES)}",
    )
    drafts_list.add_argument("--json", action="store_true", help="print a JSON list")
    approve = drafts_sub.add_parser("approve", help="publish as the official account")
    approve.add_argument("id", help="draft id (as `drafts list` shows it)")
    approve.add_argument("--text", help="publish this edited text instead of the draft")
    approve.add_argument("--actor", default="cli", help="who approves (audited; default cli)")
    reject = drafts_sub.add_parser("reject", help="publish nothing")
    reject.add_argument("id", help="draft id (as `drafts list` shows it)")
    reject.add_argument("--reason", required=True, help="why it is rejected (audited)")
    reject.add_argument("--actor", default="cli", help="who rejects (audited; default cli)")

    add_scheduler_parsers(sub)  # campaigns, outage (scheduler/cli_args.py)
    add_cases_parser(sub)
    add_customers_parser(sub, existing_file)

    openapi = sub.add_parser("openapi", help="print or write the OpenAPI 3.1 document of the HTTP API")
    openapi.add_argument("--output", type=Path, metavar="FILE", help="write here (default: print to stdout)")
    return parser


def main(argv: list[str] | None = None) -> int:
    limit_malloc_arenas()  # before any thread starts (bot/cli/malloc_arenas.py)
    JSON_ERRORS.set("--json" in (sys.argv[1:] if argv is None else argv))
    args = _parser().parse_args(argv)
    as_json = bool(getattr(args, "json", False))
    try:
        configure_logging(args.log_level, log_format_from_env())
    except ValueError as exc:
        return report_error(str(exc), "CENTINELA_LOG_FORMAT", as_json=as_json)
    try:
        settings = load_settings()
        return _dispatch(args, settings)
    except CliError as exc:
        return report_error(str(exc), exc.field, as_json=as_json)
    except (ConfigError, RulesError, StoreUnavailable) as exc:
        return report_error(str(exc), None, as_json=as_json)
    except OSError as exc:  # a file that vanished or cannot be read after the arguments were checked
        where = f"{exc.filename}: " if exc.filename else ""
        return report_error(f"{where}{exc.strerror or exc}", None, as_json=as_json)
    except KeyboardInterrupt:
        return 130


def _dispatch(args: argparse.Namespace, settings: Settings) -> int:
    from bot.cli import commands

    if args.command == "serve":
        return commands.serve(
            settings, host=args.host, port=args.port, demo=args.demo, kb_dir=args.kb, no_kb=args.no_kb
        )
    if args.command == "replay":
        return asyncio.run(
            commands.replay(
                settings,
                args.file,
                speed=args.speed,
                as_json=args.json,
                kb_dir=args.kb,
                keep=args.keep,
                adapter=args.adapter,
            )
        )
    if args.command == "eval":
        return asyncio.run(
            commands.evaluate(settings, args.kb, args.messages, as_json=args.json, errors=args.errors)
        )
    if args.command == "bench":
        return commands.bench(settings, args.messages, as_json=args.json, only=args.only)
    if args.command == "kb":
        return commands.kb(settings, args)
    if args.command == "dead-letters":
        return asyncio.run(commands.dead_letters(settings, args.dead_command, getattr(args, "key", None)))
    if args.command == "kill-switch":
        return asyncio.run(commands.kill_switch(settings, args.state, actor=args.actor, reason=args.reason))
    if args.command == "drafts":
        result: int = asyncio.run(commands.drafts(settings, args))
        return result
    if args.command == "customers":
        return run_customers(settings, args)
    if args.command == "cases":
        cases_result: int = asyncio.run(run_cases(settings, args))
        return cases_result
    if args.command == "openapi":
        return commands.openapi(args.output)
    if args.command in SCHEDULER_COMMANDS:
        from scheduler.cli import scheduler_command

        return scheduler_command(settings, args)
    raise AssertionError(args.command)


def print_json(data: Any) -> None:
    print(json.dumps(data, ensure_ascii=False, indent=None))


def sample_kb_dir() -> Path:
    return SAMPLES_DIR / "kb"


if __name__ == "__main__":
    raise SystemExit(main())
