"""The `centinela` command: serve, replay, eval, bench, kb, dead-letters, kill-switch, drafts."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
from pathlib import Path
from typing import Any

from bot.config import SAMPLES_DIR, ConfigError, Settings, load_settings
from bot.pipeline.rules import RulesError
from bot.store.base import StoreUnavailable

log = logging.getLogger("centinela")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="centinela", description="Social media command center for customer care."
    )
    parser.add_argument("--log-level", default="INFO", help="DEBUG, INFO, WARNING (default INFO)")
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="run the HTTP service (webhooks, API, metrics, workers)")
    serve.add_argument("--host")
    serve.add_argument("--port", type=int)
    serve.add_argument(
        "--demo", action="store_true", help="replay the bundled sample traffic through the webhook"
    )
    serve.add_argument("--kb", type=Path, help="knowledge-base folder (default: bundled sample KB)")

    replay = sub.add_parser("replay", help="recorded traffic through the whole service path")
    replay.add_argument("file", type=Path)
    replay.add_argument("--speed", default="max", help="N times real time, or max (default)")
    replay.add_argument("--json", action="store_true", help="print one JSON object")
    replay.add_argument("--kb", type=Path, help="knowledge-base folder (default: bundled sample KB)")
    replay.add_argument("--keep", action="store_true", help="keep the replay's store for inspection")
    replay.add_argument(
        "--adapter", help="FILE holds recorded platform payloads for this adapter (discourse, email, ...)"
    )

    evaluate = sub.add_parser("eval", help="score the decision pipeline on a labelled message file")
    evaluate.add_argument("--kb", type=Path, required=True)
    evaluate.add_argument("--messages", type=Path, required=True)
    evaluate.add_argument("--json", action="store_true")
    evaluate.add_argument("--errors", action="store_true", help="include the misclassified messages")

    bench = sub.add_parser("bench", help="run the benchmarks the README quotes")
    bench.add_argument("--json", action="store_true")
    bench.add_argument(
        "--messages", type=Path, help="traffic file (default: shared sample traffic if present)"
    )
    bench.add_argument("--only", help="comma-separated benchmark names")

    kb = sub.add_parser("kb", help="knowledge base: build the index, search it")
    kb_sub = kb.add_subparsers(dest="kb_command", required=True)
    kb_build = kb_sub.add_parser("build")
    kb_build.add_argument("dir", type=Path)
    kb_search = kb_sub.add_parser("search")
    kb_search.add_argument("text")
    kb_search.add_argument("--kb", type=Path, help="knowledge-base folder (default: bundled sample KB)")
    kb_search.add_argument("-k", type=int, default=5)

    dead = sub.add_parser("dead-letters", help="messages that failed processing too often")
    dead_sub = dead.add_subparsers(dest="dead_command", required=True)
    dead_sub.add_parser("list")
    requeue = dead_sub.add_parser("requeue")
    requeue.add_argument("key", help="message key, channel:id")

    kill = sub.add_parser("kill-switch", help="pause or resume all automatic publishing")
    kill.add_argument("state", choices=["on", "off", "status"])
    kill.add_argument("--reason", default="")
    kill.add_argument("--actor", default="cli")

    drafts = sub.add_parser("drafts", help="war-room drafts: list, approve (optionally edited), reject")
    drafts_sub = drafts.add_subparsers(dest="drafts_command", required=True)
    drafts_list = drafts_sub.add_parser("list")
    drafts_list.add_argument("--status", help="pending, approved, rejected, published, failed, needs_review")
    drafts_list.add_argument("--json", action="store_true")
    approve = drafts_sub.add_parser("approve", help="publish as the official account")
    approve.add_argument("id", help="draft id (the message key, channel:id)")
    approve.add_argument("--text", help="publish this edited text instead of the draft")
    approve.add_argument("--actor", default="cli")
    reject = drafts_sub.add_parser("reject", help="publish nothing")
    reject.add_argument("id")
    reject.add_argument("--reason", required=True)
    reject.add_argument("--actor", default="cli")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(
        level=args.log_level.upper(),
        stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    try:
        settings = load_settings()
        return _dispatch(args, settings)
    except (ConfigError, RulesError, StoreUnavailable) as exc:
        print(f"centinela: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


def _dispatch(args: argparse.Namespace, settings: Settings) -> int:
    from bot.cli import commands

    if args.command == "serve":
        return commands.serve(settings, host=args.host, port=args.port, demo=args.demo, kb_dir=args.kb)
    if args.command == "replay":
        speed = None if args.speed == "max" else float(args.speed)
        return asyncio.run(
            commands.replay(
                settings,
                args.file,
                speed=speed,
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
        return asyncio.run(commands.drafts(settings, args))
    raise AssertionError(args.command)


def print_json(data: Any) -> None:
    print(json.dumps(data, ensure_ascii=False, indent=None))


def sample_kb_dir() -> Path:
    return SAMPLES_DIR / "kb"


if __name__ == "__main__":
    raise SystemExit(main())
