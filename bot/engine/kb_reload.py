"""Reload the knowledge base while the service runs: on request, and when the folder changes.

A reload builds a complete new snapshot in a worker thread and swaps it in one assignment
(`retrieval/service.py`), and the KB analyser keeps answering with the previous snapshot and
classifier until the new classifier is trained: no message waits and none is dropped. A failed
reload (folder deleted, unreadable files, embedder error) is reported and logged; the old KB
keeps serving. Individual bad article files are not failures: they are listed in `errors` and
the rest of the folder loads.

Wiring (in `bot/web/app.py`, with `analyser` the extensions' `kb`, the `KbAnalyser`)::

    api.router.add_post("/kb/reload", kb_reload_handler(analyser))   # -> POST /api/v1/kb/reload
    app.cleanup_ctx.append(kb_poll_ctx(analyser, interval_s=settings_value))
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import TYPE_CHECKING, Any, Protocol

from aiohttp import web

from bot.engine.periodic import run_every

if TYPE_CHECKING:  # numpy and the index stay unloaded in a service without the KB model
    from retrieval.knowledge_base import KnowledgeBase
    from retrieval.service import AsyncKnowledgeBase

log = logging.getLogger(__name__)

DEFAULT_POLL_INTERVAL_S = 30.0


class ReloadableKb(Protocol):
    """What reloading needs from the KB analyser (`retrieval.kb_decision.KbAnalyser`)."""

    async def knowledge_base(self) -> AsyncKnowledgeBase: ...

    async def wait_until_trained(self) -> None: ...


def kb_summary(kb: KnowledgeBase) -> dict[str, Any]:
    """Article counts and load errors of one snapshot, as the reload endpoint reports them."""
    languages = Counter(article.lang for article in kb.articles)
    return {
        "articles": len(kb),
        "topics": len({article.topic for article in kb.articles}),
        "by_language": dict(sorted(languages.items())),
        "chunks": len(kb.chunks),
        "rejected": len(kb.errors),
        "errors": [str(error) for error in kb.errors],
    }


async def reload_now(source: ReloadableKb) -> KnowledgeBase:
    """Rebuild from the folder, then wait until the analyser serves the new snapshot."""
    kb = await source.knowledge_base()
    snapshot = await kb.reload()
    await source.wait_until_trained()
    return snapshot


def kb_reload_handler(source: ReloadableKb) -> Callable[[web.Request], Awaitable[web.Response]]:
    """`POST .../kb/reload`: 200 with the new counts, or 500 with the error (old KB still serving)."""

    async def handler(_request: web.Request) -> web.Response:
        try:
            snapshot = await reload_now(source)
        except Exception as exc:
            log.exception("kb reload failed; the previous knowledge base keeps serving")
            current = (await source.knowledge_base()).kb
            body = {
                "status": "failed",
                "error": f"{type(exc).__name__}: {exc}",
                "serving": kb_summary(current),
            }
            return web.json_response(body, status=500)
        return web.json_response({"status": "reloaded", **kb_summary(snapshot)})

    return handler


async def poll_kb_changes(
    source: ReloadableKb, *, interval_s: float = DEFAULT_POLL_INTERVAL_S, stop: asyncio.Event | None = None
) -> None:
    """Every `interval_s`, reload if an article file was added, removed or edited; until `stop`.

    Errors are logged and the loop goes on: a folder deleted by mistake leaves the old KB serving
    and is picked up again when it comes back.
    """

    async def check() -> None:
        kb = await source.knowledge_base()
        if await kb.reload_if_changed():
            await source.wait_until_trained()
            log.info("kb folder changed: reloaded (%d articles, %d rejected)", len(kb.kb), len(kb.kb.errors))

    await run_every(
        interval_s,
        check,
        stop or asyncio.Event(),
        name="kb reload after a folder change (the previous knowledge base keeps serving)",
        first_tick_now=False,
    )


def kb_poll_ctx(
    source: ReloadableKb, *, interval_s: float = DEFAULT_POLL_INTERVAL_S
) -> Callable[[web.Application], AsyncIterator[None]]:
    """A `cleanup_ctx` entry running `poll_kb_changes` for the application's lifetime."""

    async def context(_app: web.Application) -> AsyncIterator[None]:
        stop = asyncio.Event()
        task = asyncio.create_task(poll_kb_changes(source, interval_s=interval_s, stop=stop), name="kb-poll")
        yield
        stop.set()
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    return context
