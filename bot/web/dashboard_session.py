"""The dashboard's login: the API token once in a form, then a signed session cookie.

Why a signed cookie and not a session table: replicas share no memory, and a cookie signed with
the API token itself needs no store: it says when it expires and carries an HMAC of that time
keyed by the token. Every replica can check it, and rotating the token (`new,old`, then `new`)
ends the sessions made with the old one, which is what a rotation is for. The cookie is
HttpOnly (no script reads it), SameSite=Strict (no other site's page can send it, so no
cross-site request can flip the kill switch) and Secure behind HTTPS.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Awaitable, Callable, Sequence

from aiohttp import web

COOKIE = "centinela_session"
COOKIE_PATH = "/dashboard"
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def _signature(token: str, expires: int) -> str:
    return hmac.new(token.encode(), f"dashboard-session:{expires}".encode(), hashlib.sha256).hexdigest()


def token_matches(offered: str, tokens: Sequence[str]) -> bool:
    """Any accepted token (two during a rotation); every one compared, so no timing hint."""
    matches = [hmac.compare_digest(offered.encode(), t.encode()) for t in tokens]
    return bool(offered) and any(matches)


def new_session(token: str, lifetime_s: float, *, now: float | None = None) -> str:
    expires = int((time.time() if now is None else now) + lifetime_s)
    return f"{expires}.{_signature(token, expires)}"


def session_valid(value: str | None, tokens: Sequence[str], *, now: float | None = None) -> bool:
    if not value:
        return False
    raw_expires, _, signature = value.partition(".")
    try:
        expires = int(raw_expires)
    except ValueError:
        return False
    if expires < (time.time() if now is None else now):
        return False
    matches = [hmac.compare_digest(signature, _signature(t, expires)) for t in tokens]
    return any(matches)


def set_session(response: web.StreamResponse, request: web.Request, value: str, lifetime_s: float) -> None:
    response.set_cookie(
        COOKIE, value, max_age=int(lifetime_s), path=COOKIE_PATH, httponly=True, samesite="Strict",
        secure=request.secure,
    )  # fmt: skip


def clear_session(response: web.StreamResponse) -> None:
    response.del_cookie(COOKIE, path=COOKIE_PATH)


def logged_in(request: web.Request, tokens: Sequence[str]) -> bool:
    return session_valid(request.cookies.get(COOKIE), tokens)


def require_session(tokens: Sequence[str], handler: Handler) -> Handler:
    """401 in the one error shape without a valid session; changes also need the page's own
    header (a plain form post from elsewhere cannot set it)."""

    async def guarded(request: web.Request) -> web.StreamResponse:
        if not logged_in(request, tokens):
            return web.json_response({"error": "sign in to the dashboard first", "field": None}, status=401)
        if request.method != "GET" and request.headers.get("X-Centinela-Dashboard") != "1":
            return web.json_response(
                {"error": "changes need the dashboard's X-Centinela-Dashboard header", "field": None},
                status=403,
            )
        return await handler(request)

    return guarded
