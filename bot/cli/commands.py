"""The bodies of the `centinela` sub-commands (argument parsing lives in `bot.cli.main`)."""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import socket
import sys
import tempfile
from pathlib import Path

from aiohttp import web

from bot.cli.traffic import BadLine, describe, read_messages
from bot.config import Settings
from bot.engine.extensions import build_extensions, default_kb_dir
from bot.pipeline.guards import KILL_SWITCH, set_kill_switch
from bot.store.base import DeadLetterUnloadable
from bot.store.factory import build_store
from bot.web.listen import listening_url


def _print_json(data: object) -> None:
    print(json.dumps(data, ensure_ascii=False))


def serve(
    settings: Settings,
    *,
    host: str | None,
    port: int | None,
    demo: bool,
    kb_dir: Path | None,
    no_kb: bool = False,
) -> int:
    """Serve until SIGINT/SIGTERM; with `--demo`, first push the bundled traffic through the webhook.

    The port is taken before anything slow happens: a busy port must be reported at once, not
    after the models have loaded for ten seconds.
    """
    from bot.web.app import create_app
    from bot.web.listen import bind_listening_socket

    sock = bind_listening_socket(host or settings.host, port if port is not None else settings.port)
    try:
        extensions = build_extensions(settings, None if no_kb else (kb_dir or default_kb_dir()))
        app = create_app(settings, extensions=extensions)
        return asyncio.run(_serve(app, settings, sock, demo))
    finally:
        sock.close()


async def _serve(app: web.Application, settings: Settings, sock: socket.socket, demo: bool) -> int:
    runner = web.AppRunner(app, handle_signals=False)
    await runner.setup()
    site = web.SockSite(runner, sock)
    await site.start()
    base_url = listening_url(sock)
    print(
        f"centinela listening on {base_url} "
        f"(API token and webhook secret in {settings.data_dir / 'secrets.json'}; "
        f"API documentation at {base_url}/api/v1/docs, dashboard at {base_url}/dashboard)",
        file=sys.stderr,
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        if demo:
            from bot.cli.demo import run_demo

            await run_demo(settings, base_url)
        await stop.wait()
    finally:
        print("centinela: shutting down (finishing in-flight messages)", file=sys.stderr)
        await runner.cleanup()
    return 0


async def replay(
    settings: Settings,
    path: Path,
    *,
    speed: float | None,
    as_json: bool,
    kb_dir: Path | None,
    keep: bool,
    adapter: str | None = None,
) -> int:
    from bot.cli.replay import run_replay

    skipped: dict[str, int] | None = None
    if adapter is not None:
        from bot.cli.replay_adapter import adapter_for_replay, read_lines, translate_lines

        lines = await asyncio.to_thread(read_lines, path)
        platform = adapter_for_replay(settings, adapter)
        translated, counted = translate_lines(platform, lines)
        await platform.close()
        messages, skipped = sorted(translated, key=lambda m: m.created_at), dict(counted)
        bad: list[BadLine] = []
    else:
        items, bad = read_messages(path)
        for line in bad:
            print(f"centinela: skipped invalid message at {describe(path, line)}", file=sys.stderr)
        messages = sorted((item.message for item in items), key=lambda m: m.created_at)
    extensions = build_extensions(settings, kb_dir or default_kb_dir())
    report = await run_replay(settings, messages, speed=speed, extensions=extensions, keep=keep)
    report["invalid_lines"] = len(bad)
    if skipped is not None:
        report["skipped"] = dict(sorted(skipped.items()))
    if as_json:
        _print_json(report)
    else:
        for key, value in report.items():
            print(f"{key:>20}: {value}")
    return 0


async def evaluate(
    settings: Settings, kb_dir: Path, messages_path: Path, *, as_json: bool, errors: bool
) -> int:
    from bot.cli.evaluate import decide_all, score
    from bot.compose import compose
    from bot.pipeline.pipeline import event_clock
    from bot.store.sqlite import SqliteStore

    items, bad = read_messages(messages_path)
    for line in bad:
        print(f"centinela: skipped invalid message at {describe(messages_path, line)}", file=sys.stderr)
    extensions = build_extensions(settings, kb_dir)
    with tempfile.TemporaryDirectory(prefix="centinela-eval-") as scratch:
        store = SqliteStore(Path(scratch) / "eval.sqlite3")
        await store.open()
        try:
            service = compose(settings, store=store, extensions=extensions, edge=[], clock=event_clock)
            pipeline = service.pipeline()
            result = score(items, await decide_all(pipeline, items))
        finally:
            await store.close()
    found = result.pop("errors")
    if errors:
        result["errors"] = found
    if as_json:
        _print_json(result)
    else:
        from bot.cli.eval_report import print_errors, print_sentiment

        _print_eval_table(result)
        print_sentiment(result["sentiment_by_lang"])
        if errors:
            print_errors(found)
    return 0


def _print_eval_table(result: dict[str, object]) -> None:
    print(f"messages          {result['messages']}")
    print(f"action accuracy   {result['action_accuracy']}")
    print(f"answer            {result['answer']}")
    print(f"unsafe replies    {result['unsafe_auto_replies']}")
    print(f"language accuracy {result['lang_accuracy']}")
    print(f"sentiment acc.    {result['sentiment_accuracy']}")
    print(f"latency ms        {result['latency_ms']}")
    print("\nper action        precision  recall  support")
    per_action = result["per_action"]
    assert isinstance(per_action, dict)
    for action, row in per_action.items():
        print(f"  {action:<15} {row['precision']:>9} {row['recall']:>7} {row['support']:>8}")
    print("\nconfusion (rows expected, columns decided)")
    confusion = result["confusion"]
    assert isinstance(confusion, dict)
    for want, row in confusion.items():
        print(f"  {want:<8} " + "  ".join(f"{got}={n}" for got, n in row.items()))


def bench(settings: Settings, messages: Path | None, *, as_json: bool, only: str | None) -> int:
    """Benchmarks live in the repository's `bench/`, not in the installed package or the image.

    So the command runs from a checkout: the current folder's `bench/` is put on the path.
    """
    if (Path.cwd() / "bench" / "run.py").is_file() and str(Path.cwd()) not in sys.path:
        sys.path.insert(0, str(Path.cwd()))
    try:
        from bench.run import run_benchmarks
    except ModuleNotFoundError:
        print("centinela: `bench` runs from the root of a checkout of the repository", file=sys.stderr)
        return 2

    results = run_benchmarks(settings, messages, only=set(only.split(",")) if only else None)
    if as_json:
        _print_json(results)
    else:
        for key, value in results.items():
            print(f"{key:>28}: {value}")
    return 0


def kb(settings: Settings, args: argparse.Namespace) -> int:
    from retrieval.cli import kb_build, kb_search

    cache = settings.kb_cache
    if args.kb_command == "build":
        return kb_build(args.dir, cache)
    return kb_search(args.kb or default_kb_dir(), cache, args.text, args.k)


async def dead_letters(settings: Settings, command: str, key: str | None) -> int:
    store = build_store(settings)
    await store.open()
    try:
        if command == "list":
            shown, cursor = 0, None
            while True:  # every page: a long list is printed whole, never cut at a limit
                page = await store.dead_letter_page(cursor=cursor, limit=500)
                for letter in page.items:
                    when = letter.failed_at.isoformat()
                    print(f"{letter.key}\tattempts={letter.attempts}\t{when}\t{letter.error}")
                shown += len(page.items)
                if page.next is None:
                    break
                cursor = page.next
            print(f"{shown} dead letter(s)", file=sys.stderr)
            return 0
        assert key is not None
        try:
            requeued = await store.requeue_dead_letter(key)
        except DeadLetterUnloadable as exc:
            print(f"centinela: {exc}; not re-queued (it would only fail again)", file=sys.stderr)
            return 1
        if requeued:
            print(f"re-queued {key}")
            return 0
        print(f"centinela: no dead letter {key}", file=sys.stderr)
        return 1
    finally:
        await store.close()


async def kill_switch(settings: Settings, state: str, *, actor: str, reason: str) -> int:
    store = build_store(settings)
    await store.open()
    try:
        if state != "status":
            await set_kill_switch(store, on=state == "on", actor=actor, reason=reason)
        value = await store.get_flag(KILL_SWITCH)
        print(f"kill switch: {'ON (' + value + ')' if value else 'off'}")
        return 0
    finally:
        await store.close()


async def drafts(settings: Settings, args: argparse.Namespace) -> int:
    """`centinela drafts list|approve|reject`: the war-room without Slack, on the configured store.

    Approving queues the official reply in the shared outbox; the running service publishes it.
    """
    from bot.warroom.approval import ApprovalService

    store = build_store(settings)
    await store.open()
    try:
        service = ApprovalService(store)
        if args.drafts_command == "list":
            listed = await service.list(status=args.status, limit=1000)
            if args.json:
                _print_json([d.model_dump(mode="json") for d in listed])
            else:
                for draft in listed:
                    text = (draft.final_text or draft.text).replace("\n", " ")
                    print(f"{draft.id}\t{draft.status}\t{draft.language}\t{text[:100]}")
                print(f"{len(listed)} draft(s)", file=sys.stderr)
            return 0
        actor = f"cli:{args.actor}"
        if args.drafts_command == "approve":
            result = await service.approve(args.id, actor=actor, via="cli", text=args.text)
        else:
            result = await service.reject(args.id, actor=actor, via="cli", reason=args.reason)
        print(result.message, file=sys.stdout if result.ok else sys.stderr)
        return 0 if result.ok else 1
    finally:
        await store.close()


def openapi(output: Path | None) -> int:
    """Print or write the OpenAPI document (`docs/openapi.json` is this command's output)."""
    from bot.web.openapi import openapi_json

    text = openapi_json()
    if output is None:
        sys.stdout.write(text)
    else:
        output.write_text(text, encoding="utf-8")
        print(f"wrote {output}", file=sys.stderr)
    return 0
