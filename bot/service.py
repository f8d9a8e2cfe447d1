"""`centinela serve`: the aiohttp application that owns every long-lived resource.

The store, the pipeline's runtime and the metrics are created in one `cleanup_ctx` and kept
under typed `AppKey`s; shutdown runs the same generator to the end: intake stops first (the
site closes), the war-room's loops stop, workers finish the batches in hand, the publisher
stops, the store closes. The war-room (drafts, approvals; Slack when configured) is built here
too, so the Slack handlers, the REST API and the publisher share one approval service.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import AsyncIterator, Sequence

from aiohttp import web

from bot.api import api_app
from bot.config import Settings
from bot.kb_reload import kb_analyser, kb_poll_ctx
from bot.metrics import Metrics
from bot.models import InboundMessage
from bot.runtime import Extensions, Runtime, build_pipeline, default_adapters
from bot.secrets import local_secrets, secrets_path
from bot.store.base import Store
from bot.store.factory import build_store
from bot.warroom.wiring import WarRoom
from bot.webhook import generic_webhook_handler

log = logging.getLogger(__name__)

SETTINGS: web.AppKey[Settings] = web.AppKey("settings", Settings)
STORE: web.AppKey[Store] = web.AppKey("store", Store)
RUNTIME: web.AppKey[Runtime] = web.AppKey("runtime", Runtime)
METRICS: web.AppKey[Metrics] = web.AppKey("metrics", Metrics)
WARROOM: web.AppKey[WarRoom] = web.AppKey("warroom", WarRoom)


async def healthz(_request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


async def readyz(request: web.Request) -> web.Response:
    """Ready when every backend answers; each is reported, so an operator sees which is down."""
    backends = await request.app[STORE].backends()
    body = {
        "status": "ready" if all(backends.values()) else "unavailable",
        "backends": {name: "ok" if up else "unreachable" for name, up in backends.items()},
    }
    return web.json_response(body, status=200 if all(backends.values()) else 503)


async def metrics(request: web.Request) -> web.Response:
    body = await request.app[METRICS].render(request.app[STORE])
    return web.Response(body=body, content_type="text/plain", charset="utf-8")


def create_app(
    settings: Settings, *, store: Store | None = None, extensions: Extensions | None = None
) -> web.Application:
    """The whole service; `store` may be injected (tests), else it is built from the settings."""
    app = web.Application(client_max_size=settings.webhook_max_bytes)
    app[SETTINGS] = settings
    app[METRICS] = Metrics()
    api_token, webhook_secret = local_secrets(settings)
    if settings.api_token is None or settings.webhook_secret is None:
        log.info(
            "API token / webhook secret not configured: using generated ones in %s", secrets_path(settings)
        )
    chosen_store = store or build_store(settings)
    app[STORE] = chosen_store

    def wake_publisher() -> None:
        if RUNTIME in app:
            app[RUNTIME].publisher.wake.set()

    warroom = WarRoom(settings, chosen_store, wake=wake_publisher)
    app[WARROOM] = warroom
    ext = extensions or Extensions()
    ext = dataclasses.replace(ext, watchers=[*ext.watchers, *warroom.watchers()])

    async def resources(app: web.Application) -> AsyncIterator[None]:
        await chosen_store.open()
        pipeline = build_pipeline(settings, chosen_store, extensions=ext)
        adapters = {**default_adapters(settings), **warroom.adapters()}
        runtime = Runtime(settings, chosen_store, pipeline, adapters, on_decision=app[METRICS].decided)
        app[RUNTIME] = runtime
        await runtime.start()
        await warroom.start()
        log.info(
            "centinela serving with %s store; Slack war-room %s",
            type(chosen_store).__name__,
            "on" if warroom.slack_enabled else "off (drafts through the API and CLI)",
        )
        yield
        await warroom.stop()
        await runtime.stop()
        await chosen_store.close()

    kb = kb_analyser(ext)

    async def warm_up(app: web.Application) -> AsyncIterator[None]:
        """Load the KB and its classifier before traffic: the first customer must not wait.

        The runtime then freezes what start-up built (`Runtime.start`).
        """
        if kb is not None:
            await kb.knowledge_base()
            await kb.wait_until_trained()
        yield

    app.cleanup_ctx.append(warm_up)
    app.cleanup_ctx.append(resources)
    if kb is not None:
        app.cleanup_ctx.append(kb_poll_ctx(kb, interval_s=settings.kb_poll_s))

    async def ingest(messages: Sequence[InboundMessage]) -> list[bool]:
        fresh = await app[RUNTIME].ingest(messages)
        app[METRICS].intake(list(messages), fresh)
        return fresh

    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    app.router.add_get("/metrics", metrics)
    app.router.add_post(
        "/webhooks/generic",
        generic_webhook_handler(
            webhook_secret,
            ingest,
            max_bytes=settings.webhook_max_bytes,
            max_skew_s=settings.webhook_max_skew_s,
        ),
    )
    warroom.mount(app)
    app.add_subapp("/api/v1", api_app(chosen_store, api_token, approvals=warroom.approvals, kb=kb))
    return app
