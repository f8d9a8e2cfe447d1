"""`/dashboard` over HTTP: sign-in, the session cookie, the language, and what needs a session."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from aiohttp import ClientResponse, web
from aiohttp.test_utils import TestClient

from bot.web.app import create_app
from tests.conftest import API_TOKEN, settings_for

ClientFactory = Callable[[web.Application], Awaitable[TestClient[Any, Any]]]


@pytest.fixture
async def client(aiohttp_client: ClientFactory, tmp_path: Path) -> TestClient[Any, Any]:
    return await aiohttp_client(create_app(settings_for(tmp_path)))


async def _sign_in(client: TestClient[Any, Any], token: str) -> ClientResponse:
    response = await client.post("/dashboard/login", data={"token": token}, allow_redirects=False)
    assert response.status == 303
    return response


async def test_without_a_session_the_page_is_the_sign_in_form_in_the_browsers_language(
    client: TestClient[Any, Any],
) -> None:
    page = await client.get("/dashboard", headers={"Accept-Language": "es-ES,es;q=0.9"})
    text = await page.text()
    assert page.status == 200 and '<html lang="es">' in text and "Token de la API" in text
    assert 'id="view-now"' not in text
    english = await (await client.get("/dashboard?lang=en")).text()
    assert "API token" in english
    # ?lang= is remembered in a cookie.
    assert "API token" in await (await client.get("/dashboard", headers={"Accept-Language": "es"})).text()


async def test_a_wrong_token_gets_no_session(client: TestClient[Any, Any]) -> None:
    response = await _sign_in(client, "wrong")
    assert response.headers["Location"] == "/dashboard?login=failed"
    assert "centinela_session" not in response.cookies
    refused = await (await client.get("/dashboard?login=failed&lang=en")).text()
    assert 'role="alert"' in refused and "Wrong token" in refused
    assert (await client.get("/dashboard/stats/now")).status == 401
    assert (await client.get("/dashboard/events")).status == 401


async def test_the_right_token_opens_the_dashboard_and_its_data(client: TestClient[Any, Any]) -> None:
    response = await _sign_in(client, API_TOKEN)
    cookie = response.cookies["centinela_session"]
    assert cookie["httponly"] and cookie["samesite"] == "Strict" and cookie["path"] == "/dashboard"
    page = await client.get("/dashboard")
    text = await page.text()
    assert 'id="view-now"' in text and "script-src 'self'" in page.headers["Content-Security-Policy"]
    now = await client.get("/dashboard/stats/now")
    assert now.status == 200 and (await now.json())["kill_switch"] == {"on": False, "detail": None}
    bad = await client.get("/dashboard/stats/volume?span=year")
    assert bad.status == 400 and (await bad.json())["field"] == "span"


async def test_the_kill_switch_changes_only_from_the_dashboards_script(client: TestClient[Any, Any]) -> None:
    await _sign_in(client, API_TOKEN)
    plain = await client.put("/dashboard/kill-switch", json={"on": True})
    assert plain.status == 403
    headers = {"X-Centinela-Dashboard": "1"}
    bad = await client.put("/dashboard/kill-switch", json={"on": "yes"}, headers=headers)
    assert bad.status == 400 and (await bad.json())["field"] == "on"
    on = await client.put("/dashboard/kill-switch", json={"on": True, "reason": "test"}, headers=headers)
    body = await on.json()
    assert body["on"] is True and "dashboard" in body["detail"]
    audit = await client.get(
        "/api/v1/audit?kind=kill_switch", headers={"Authorization": f"Bearer {API_TOKEN}"}
    )
    assert (await audit.json())["items"][0]["actor"] == "dashboard"


async def test_sign_out_ends_the_session(client: TestClient[Any, Any]) -> None:
    await _sign_in(client, API_TOKEN)
    out = await client.post("/dashboard/logout", allow_redirects=False)
    assert out.status == 303
    assert (await client.get("/dashboard/stats/now")).status == 401


async def test_the_assets_ship_in_the_package(client: TestClient[Any, Any]) -> None:
    script = await client.get("/dashboard/static/dashboard.js")
    assert script.status == 200 and script.content_type == "application/javascript"
    assert "EventSource" in await script.text()
    assert (await client.get("/dashboard/static/dashboard.css")).content_type == "text/css"
