"""`/dashboard`: the command center's screen, served by the service itself.

Plain HTML rendered here in the reader's language, one small script and one style sheet that
ship in the package (`bot/web/static/dashboard.*`: no CDN, works offline), charts drawn as SVG
by that script. The page reads the same figures as `/api/v1/stats/...` (`bot/web/stats_data.py`)
under `/dashboard/stats/...` with the session cookie, and a server-sent event stream
(`/dashboard/events`) pushes the Now view every `live_interval_s` and each new alert the moment
the stream sees it. Every asset is read once when the app is built: a handler that read files
on each request would block the event loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import html
import json
import logging
from collections.abc import Awaitable, Callable
from importlib import resources
from string import Template
from urllib.parse import urlencode

from aiohttp import web

from bot.config import DashboardSettings
from bot.core.models import CHANNELS
from bot.pipeline.guards import KILL_SWITCH, set_kill_switch
from bot.store.base import Store
from bot.web import dashboard_session as session
from bot.web import stats_data
from bot.web.dashboard_texts import LANGUAGES, TEXTS, pick_language
from bot.web.stats_api import add_stats_routes, stat_query

log = logging.getLogger(__name__)

LANG_COOKIE = "centinela_lang"
ASSETS = {
    "dashboard.js": "application/javascript",
    "dashboard.css": "text/css",
}
# Only our own assets run on the page; nothing is loaded from anywhere else.
CSP = "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'"
STREAM_STOP: web.AppKey[asyncio.Event] = web.AppKey("dashboard_stream_stop", asyncio.Event)


def _static(name: str) -> str:
    return resources.files("bot.web").joinpath(f"static/{name}").read_text(encoding="utf-8")


def _script_json(value: object) -> str:
    """JSON safe inside a <script> element (no `</script>` can close it early)."""
    return json.dumps(value, ensure_ascii=False).replace("<", "\\u003c")


class DashboardPages:
    """The two pages (sign-in, dashboard), rendered from templates read once."""

    def __init__(self) -> None:
        self._login = Template(_static("dashboard-login.html"))
        self._page = Template(_static("dashboard.html"))

    @staticmethod
    def language(request: web.Request) -> str:
        return pick_language(
            request.query.get("lang"),
            request.cookies.get(LANG_COOKIE),
            request.headers.get("Accept-Language", ""),
        )

    @staticmethod
    def _switcher(lang: str) -> str:
        links = []
        for code in LANGUAGES:
            name = html.escape(TEXTS[code]["language_name"])
            current = ' aria-current="true"' if code == lang else ""
            links.append(
                f'<a href="/dashboard?{urlencode({"lang": code})}" lang="{code}"{current}>{name}</a>'
            )
        return " · ".join(links)

    def login(self, lang: str, *, failed: bool) -> str:
        t = TEXTS[lang]
        error = f'<p class="error" role="alert">{html.escape(t["login_failed"])}</p>' if failed else ""
        return self._login.substitute(
            lang=lang, title=html.escape(t["title"]), heading=html.escape(t["login_title"]),
            label=html.escape(t["login_token"]), submit=html.escape(t["login_submit"]), error=error,
            languages=self._switcher(lang),
        )  # fmt: skip

    def page(self, lang: str, settings: DashboardSettings) -> str:
        t = TEXTS[lang]
        config = {
            "lang": lang,
            "channels": list(CHANNELS),
            "languages": list(LANGUAGES),
            "tz": settings.timezone,
        }
        return self._page.substitute(
            lang=lang, title=html.escape(t["title"]), languages=self._switcher(lang),
            texts=_script_json(t), config=_script_json(config),
            **{f"t_{k}": html.escape(v) for k, v in t.items()},
        )  # fmt: skip


def _html(text: str, request: web.Request, lang: str) -> web.Response:
    response = web.Response(text=text, content_type="text/html", charset="utf-8")
    response.headers["Cache-Control"] = "no-store"
    response.headers["Content-Security-Policy"] = CSP
    if request.query.get("lang") in LANGUAGES:
        response.set_cookie(
            LANG_COOKIE, lang, max_age=365 * 86400, path=session.COOKIE_PATH, samesite="Strict"
        )
    return response


def mount_dashboard(
    app: web.Application, store: Store, tokens: list[str], settings: DashboardSettings
) -> None:
    """Add `/dashboard` and its routes to the service's app."""
    pages = DashboardPages()
    assets = {name: (_static(name), kind) for name, kind in ASSETS.items()}
    app[STREAM_STOP] = asyncio.Event()

    async def stop_streams(app: web.Application) -> None:
        app[STREAM_STOP].set()  # open event streams end, so shutdown does not wait for them

    app.on_shutdown.append(stop_streams)

    async def page(request: web.Request) -> web.Response:
        lang = pages.language(request)
        if not session.logged_in(request, tokens):
            return _html(pages.login(lang, failed=request.query.get("login") == "failed"), request, lang)
        return _html(pages.page(lang, settings), request, lang)

    async def login(request: web.Request) -> web.StreamResponse:
        form = await request.post() if request.can_read_body else {}
        offered = form.get("token", "")
        offered = offered if isinstance(offered, str) else ""
        if not session.token_matches(offered.strip(), tokens):
            log.info("dashboard sign-in refused (wrong token) from %s", request.remote)
            raise web.HTTPSeeOther("/dashboard?login=failed")
        response = web.HTTPSeeOther("/dashboard")
        lifetime = settings.session_hours * 3600
        session.set_session(response, request, session.new_session(offered.strip(), lifetime), lifetime)
        raise response

    async def logout(_request: web.Request) -> web.StreamResponse:
        response = web.HTTPSeeOther("/dashboard")
        session.clear_session(response)
        raise response

    def asset(name: str) -> Callable[[web.Request], Awaitable[web.Response]]:
        text, kind = assets[name]

        async def handler(_request: web.Request) -> web.Response:
            return web.Response(
                text=text, content_type=kind, charset="utf-8", headers={"Cache-Control": "no-cache"}
            )

        return handler

    async def kill_switch(request: web.Request) -> web.Response:
        if request.method == "PUT":
            try:
                body = await request.json()
            except ValueError:
                body = None
            if not isinstance(body, dict) or not isinstance(body.get("on"), bool):
                return web.json_response({"error": "'on' must be true or false", "field": "on"}, status=400)
            reason = str(body.get("reason") or "")[:500]
            await set_kill_switch(store, on=body["on"], actor="dashboard", reason=reason)
        flag = await store.get_flag(KILL_SWITCH)
        return web.json_response({"on": flag is not None, "detail": flag})

    async def events(request: web.Request) -> web.StreamResponse:
        return await stream_now(request, store, settings, app[STREAM_STOP])

    guard = session.require_session
    app.router.add_get("/dashboard", page)
    app.router.add_post("/dashboard/login", login)
    app.router.add_post("/dashboard/logout", logout)
    for name in ASSETS:
        app.router.add_get(f"/dashboard/static/{name}", asset(name))
    app.router.add_get("/dashboard/events", guard(tokens, events))
    app.router.add_get("/dashboard/kill-switch", guard(tokens, kill_switch))
    app.router.add_put("/dashboard/kill-switch", guard(tokens, kill_switch))
    add_stats_routes(app, store, settings, prefix="/dashboard/stats", wrap=lambda h: guard(tokens, h))


async def stream_now(
    request: web.Request, store: Store, settings: DashboardSettings, stop: asyncio.Event
) -> web.StreamResponse:
    """Server-sent events: `now` (the Now view) every tick, `alert` once per new open alert."""
    await stat_query(request, settings, span="hour")  # a bad filter is a 400 before the stream opens
    response = web.StreamResponse(
        headers={"Content-Type": "text/event-stream", "Cache-Control": "no-store", "X-Accel-Buffering": "no"}
    )
    await response.prepare(request)
    seen: set[str] | None = None
    try:
        while not stop.is_set():
            query = await stat_query(request, settings, span="hour")
            now = await stats_data.now_view(store, query, sla_minutes=settings.sla_minutes)
            ids = {a.id for a in now.alerts}
            if seen is not None:
                for alert in now.alerts:
                    if alert.id not in seen:
                        await response.write(f"event: alert\ndata: {alert.model_dump_json()}\n\n".encode())
            seen = ids
            await response.write(f"event: now\ndata: {now.model_dump_json()}\n\n".encode())
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), settings.live_interval_s)
    except ConnectionResetError:
        return response  # the browser left
    return response
