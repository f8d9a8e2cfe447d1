"""`centinela serve`: the aiohttp application that owns every long-lived resource.

The store and the pipeline's runtime are started in one `cleanup_ctx` and kept
under typed `AppKey`s; shutdown runs the same generator to the end: intake stops first (the
site closes), the war-room's loops stop, workers finish the batches in hand, the publisher
stops, the store closes. The parts themselves come from the composition root (`bot/compose.py`);
this module mounts their routes (the CRM's among them) and runs their lifetimes (the
scheduler's leader too), so the Slack handlers, the REST API and
the publisher share the one approval service built there.
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator, Sequence

from aiohttp import web

from adapters.base import Adapter
from bot.compose import compose
from bot.config import Settings
from bot.core.intake_limits import IntakeGate, IntakeSettings
from bot.core.models import InboundMessage
from bot.engine.kb_reload import kb_poll_ctx
from bot.engine.runtime import Extensions, Runtime
from bot.store.base import Store
from bot.warroom.wiring import WarRoom
from bot.web.admission import admitted, counted
from bot.web.api import api_app
from bot.web.crm_wiring import build_connector
from bot.web.dashboard import mount_dashboard
from bot.web.errors import json_errors
from bot.web.metrics import Metrics
from bot.web.openapi import mount_documentation
from bot.web.secrets import secrets_path
from retrieval.knowledge_base import KnowledgeBase
from scheduler.service import outage_desk

log = logging.getLogger(__name__)

SETTINGS: web.AppKey[Settings] = web.AppKey("settings", Settings)
STORE: web.AppKey[Store] = web.AppKey("store", Store)
RUNTIME: web.AppKey[Runtime] = web.AppKey("runtime", Runtime)
METRICS: web.AppKey[Metrics] = web.AppKey("metrics", Metrics)
WARROOM: web.AppKey[WarRoom] = web.AppKey("warroom", WarRoom)
EDGE: web.AppKey[list[Adapter]] = web.AppKey("edge_adapters", list)


async def healthz(_request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


async def readyz(request: web.Request) -> web.Response:
    """Ready when every backend answers and, while the workers run, the queue moves.

    Each backend (hot path, records) is reported, so an operator sees which is down. A queue
    whose oldest claimable message waited longer than `readyz_stall_s` means the workers are
    stuck (a poison message once did this with every backend healthy). Each adapter's state is
    reported beside it ("X: rate limited until 10:42Z"); a platform in trouble does not make
    the service unready.
    """
    store = request.app[STORE]
    adapters = {a.name: a.status() for a in request.app[EDGE]}
    health = await store.backends()
    backends = {name: "ok" if up else "unreachable" for name, up in health.items()}
    if not all(health.values()):
        return _not_ready("store unreachable", backends=backends, adapters=adapters)
    since = await store.oldest_waiting()
    if since is not None and RUNTIME in request.app and request.app[SETTINGS].workers > 0:
        waited = time.time() - since
        if waited > request.app[SETTINGS].readyz_stall_s:
            return _not_ready(
                "queue stalled", oldest_waiting_s=round(waited, 1), backends=backends, adapters=adapters
            )
    return web.json_response({"status": "ready", "backends": backends, "adapters": adapters})


def _not_ready(status: str, **detail: object) -> web.Response:
    """503 in the service's one error shape, with the status word kept for probes."""
    return web.json_response({"error": status, "field": None, "status": status, **detail}, status=503)


async def metrics(request: web.Request) -> web.Response:
    edge: list[Adapter] = request.app[EDGE]
    request.app[METRICS].adapters(edge)
    body = await request.app[METRICS].render(request.app[STORE])
    return web.Response(body=body, content_type="text/plain", charset="utf-8")


def warn_if_unusable(kb: KnowledgeBase) -> None:
    """Say it loudly when the KB folder gave nothing to answer from (every article rejected)."""
    for error in kb.errors:
        log.warning("kb article rejected: %s", error)
    if not len(kb):
        log.warning(
            "knowledge base: no article could be loaded (%d rejected): nothing will be answered "
            "automatically; fix the files and POST /api/v1/kb/reload",
            len(kb.errors),
        )


def create_app(
    settings: Settings, *, store: Store | None = None, extensions: Extensions | None = None
) -> web.Application:
    """The whole service; `store` may be injected (tests), else it is built from the settings."""
    app = web.Application(client_max_size=settings.webhook_max_bytes, middlewares=[json_errors()])
    app[SETTINGS] = settings
    service = compose(settings, store=store, extensions=extensions)
    app[METRICS] = service.metrics
    if settings.api_token is None or settings.webhook_secret is None:
        log.info(
            "API token / webhook secret not configured: using generated ones in %s", secrets_path(settings)
        )
    chosen_store, edge, warroom, kb = service.store, service.edge, service.warroom, service.kb
    api_token = service.api_tokens
    app[STORE] = chosen_store
    app[EDGE] = edge
    app[WARROOM] = warroom

    async def resources(app: web.Application) -> AsyncIterator[None]:
        await chosen_store.open()
        finder = build_connector(settings)  # the CRM's customer look-up (self-identification)
        runtime = service.build_runtime(on_decision=app[METRICS].decided, customer_finder=finder)
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
        if finder is not None:
            await finder.close()
        await chosen_store.close()

    async def warm_up(app: web.Application) -> AsyncIterator[None]:
        """Load the KB and its classifier before traffic: the first customer must not wait.

        The runtime then freezes what start-up built (`Runtime.start`).
        """
        loaded = await service.warm_up()
        if loaded is not None:
            warn_if_unusable(loaded)
        yield

    app.cleanup_ctx.append(warm_up)
    app.cleanup_ctx.append(resources)
    if kb is not None:
        app.cleanup_ctx.append(kb_poll_ctx(kb, interval_s=settings.kb_poll_s))
    if service.crm is not None:
        service.crm.mount(app)  # the CRM's status endpoints; its connector closes with the app
    app.cleanup_ctx.append(service.scheduler)  # the leader runs the timed jobs compose built

    async def ingest(messages: Sequence[InboundMessage]) -> list[bool]:
        fresh = await app[RUNTIME].ingest(messages)
        app[METRICS].intake(list(messages), fresh)
        return fresh

    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    app.router.add_get("/metrics", metrics)
    gate = IntakeGate(
        IntakeSettings(
            read_timeout_s=settings.webhook_read_timeout_s,
            max_concurrent=settings.max_concurrent_intake,
            max_queue_depth=settings.max_queue_depth,
            retry_after_s=settings.intake_retry_after_s,
        ),
        chosen_store.queue_depth,
    )
    intake = counted(ingest, gate)
    for adapter in edge:  # the platforms' webhooks and Slack's /slack/events alike
        for route in adapter.routes(intake):
            gated = route.method == "POST" and route.intake
            handler = admitted(route.handler, gate) if gated else route.handler
            app.router.add_route(route.method, route.path, handler)
    mount_documentation(app)
    mount_dashboard(app, chosen_store, api_token, settings.dashboard)  # /dashboard (issue 18)
    app.add_subapp(
        "/api/v1",
        api_app(
            chosen_store,
            api_token,
            approvals=warroom.approvals,
            kb=kb,
            languages=settings.languages,
            outages=outage_desk(settings, chosen_store),
            dashboard=settings.dashboard,
            sla=settings.cases.sla,
        ),
    )
    return app
