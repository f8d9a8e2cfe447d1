"""The dashboard in a real browser: Debian's chromium driven by Playwright.

The service runs on a real port (spike detection on, as `centinela serve` runs it), the Madrid
burst goes in through the signed webhook, and the browser signs in, finds the spike at the
burst's quarter hour, sees a crisis alert arrive live, flips the kill switch through its
confirmation, and is refused with a wrong token. Each page is screenshotted into
`var/artifacts/dashboard/` (or `CENTINELA_ARTIFACTS`), and axe-core (shipped inside the
`axe-playwright-python` package) must report no serious or critical violation.
`scripts/ensure-chromium.sh` (run by `make test`) installs chromium or fails: never a skip.
"""

from __future__ import annotations

import json
import os
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import requests
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, Page, expect, sync_playwright

from adapters.webhook.signing import signed_headers
from bot.core.models import utc_now
from bot.engine.extensions import build_extensions
from tests.conftest import API_TOKEN, WEBHOOK_SECRET, settings_for
from tests.paths import ROOT
from tests.scenario.burst_feed import ShiftedBurst, shifted_burst
from tests.scenario.service_thread import ServiceThread

CHROMIUM = os.environ.get("CENTINELA_CHROMIUM", "/usr/bin/chromium")
ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip
ARTIFACTS = Path(os.environ.get("CENTINELA_ARTIFACTS", ROOT / "var" / "artifacts" / "dashboard"))
AUTH = {"Authorization": f"Bearer {API_TOKEN}"}
DEADLINE_S = 30.0
CRISIS = {
    "id": "live-crisis-1",
    "channel": "twitter",
    "author": {"handle": "@valeriatech", "name": "Valeria Ortiz", "followers": 2100000, "verified": True},
    "text": "Tres semanas pagando la fibra de @Ondanet y no me ha funcionado ni un día completo. "
    "7 reportes, 2 visitas canceladas y hoy me dicen que 'no hay técnicos disponibles'. "
    "Así tratan a sus clientes. Voy a denunciarlos 😤",
}


@dataclass(frozen=True, slots=True)
class Service:
    url: str
    burst: ShiftedBurst


def _post(url: str, payload: dict[str, Any]) -> None:
    body = json.dumps(payload, ensure_ascii=False).encode()
    answer = requests.post(
        f"{url}/webhooks/generic", data=body, headers=signed_headers(WEBHOOK_SECRET, body), timeout=30
    )
    assert answer.status_code in (200, 202), answer.text


def _until(check: Callable[[], bool], what: str) -> None:
    """Poll the service with a deadline (no fixed sleep): its workers decide in the background."""
    deadline = time.monotonic() + DEADLINE_S
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def _decided(url: str) -> int:
    found = requests.get(f"{url}/api/v1/decisions?limit=1000", headers=AUTH, timeout=30).json()
    return len(found["items"])


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    # One worker: the burst arrives in one request, and the spike detector works on the
    # messages' own clock in order (see tests/scenario/test_stats_api.py).
    settings = settings_for(
        tmp_path_factory.mktemp("dashboard"), workers=1, dashboard={"live_interval_s": 0.3}
    )
    with ServiceThread(settings, build_extensions(settings, None)) as url:
        burst = shifted_burst(utc_now())
        _post(url, {"messages": burst.messages})
        _until(lambda: _decided(url) == len(burst.messages), "the burst to be decided")
        yield Service(url, burst)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    assert Path(CHROMIUM).exists(), f"{CHROMIUM} is missing: run scripts/ensure-chromium.sh"
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(
        locale="es-ES", viewport={"width": 1440, "height": 1000}, accept_downloads=True
    )
    opened = context.new_page()
    yield opened
    context.close()


def _shot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def _no_serious_violations(page: Page) -> None:
    results = Axe().run(page)
    serious = [
        (v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3])
        for v in results.response["violations"]
        if v["impact"] in ("serious", "critical")
    ]
    assert serious == []


def _sign_in(page: Page, url: str, token: str) -> None:
    page.goto(f"{url}/dashboard")
    page.get_by_label("Token de la API").fill(token)
    page.get_by_role("button", name="Entrar").click()


def test_a_wrong_token_is_refused(page: Page, service: Service) -> None:
    _sign_in(page, service.url, "not-the-token")
    expect(page.get_by_role("alert")).to_have_text("Token incorrecto: acceso denegado.")
    expect(page.locator("#view-now")).to_have_count(0)
    assert not [c for c in page.context.cookies() if c["name"] == "centinela_session"]
    _shot(page, "login-refused")
    _no_serious_violations(page)
    assert requests.get(f"{service.url}/dashboard/stats/now", timeout=30).status_code == 401


def test_the_trends_show_the_spike_at_the_burst(page: Page, service: Service) -> None:
    _sign_in(page, service.url, API_TOKEN)
    expect(page.locator("#live")).to_contain_text("En directo")
    page.get_by_role("link", name="Tendencias").click()
    spikes = page.locator('#c-volume g[data-spike="true"]')
    expect(spikes).to_have_count(1)
    assert datetime.fromisoformat(str(spikes.get_attribute("data-start"))) == service.burst.peak
    expect(page.locator("#c-volume")).to_contain_text("pico")
    page.select_option("#trend-by", "topic")
    expect(page.locator("#c-volume .legend")).to_contain_text("no-internet")
    expect(page.locator("#t-top")).to_contain_text("no-internet")
    _shot(page, "trends")
    _no_serious_violations(page)
    # The same chart as a table, and as CSV.
    page.locator("#c-volume").get_by_role("button", name="Tabla").click()
    row = page.locator("#c-volume tr.spike")
    expect(row).to_have_count(1)
    assert datetime.fromisoformat(str(row.get_attribute("data-start"))) == service.burst.peak
    with page.expect_download() as download:
        page.locator("#c-volume").get_by_role("button", name="Exportar CSV").click()
    csv = Path(download.value.path()).read_text(encoding="utf-8").splitlines()
    assert csv[0].startswith("Hora,") and csv[0].endswith(",Total") and len(csv) == 1 + 96


def test_a_new_crisis_appears_live_and_the_kill_switch_asks_first(page: Page, service: Service) -> None:
    _sign_in(page, service.url, API_TOKEN)
    expect(page.locator("#live")).to_contain_text("En directo")
    expect(page.locator("#t-alerts")).to_contain_text("spike")
    _post(service.url, {**CRISIS, "created_at": utc_now().isoformat()})
    expect(page.locator("#alert-feed")).to_contain_text("crisis", timeout=DEADLINE_S * 1000)
    expect(page.locator("#t-alerts")).to_contain_text("crisis")
    _shot(page, "now")
    _no_serious_violations(page)

    toggle = page.locator("#kill-toggle")
    expect(toggle).to_have_text("Pausar la publicación automática")
    toggle.click()
    dialog = page.locator("#confirm")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("¿Pausar todas las respuestas automáticas")
    _shot(page, "kill-switch-confirm")
    page.locator("#confirm-cancel").click()
    expect(dialog).to_be_hidden()
    assert requests.get(f"{service.url}/api/v1/kill-switch", headers=AUTH, timeout=30).json()["on"] is False

    toggle.click()
    page.locator("#confirm-reason").fill("prueba del panel")
    page.locator("#confirm-ok").click()
    expect(page.locator("#kill-state")).to_have_attribute("data-on", "true")
    state = requests.get(f"{service.url}/api/v1/kill-switch", headers=AUTH, timeout=30).json()
    assert state["on"] is True and "prueba del panel" in state["detail"]
    toggle.click()
    page.locator("#confirm-ok").click()
    expect(page.locator("#kill-state")).to_have_attribute("data-on", "false")
    assert requests.get(f"{service.url}/api/v1/kill-switch", headers=AUTH, timeout=30).json()["on"] is False


def test_quality_people_and_the_language_switch(page: Page, service: Service) -> None:
    _sign_in(page, service.url, API_TOKEN)
    page.get_by_role("link", name="Calidad").click()
    expect(page.locator("#k-decided")).not_to_have_text("–")
    times = page.locator("#t-case-times table")
    expect(times).to_be_visible()  # the burst's complaints opened cases
    expect(times.locator("thead")).to_contain_text("Primera respuesta p90")
    expect(times.locator("tbody tr").first).to_contain_text("twitter")
    expect(page.locator("#k-corrected")).to_have_text(re.compile(r"^\d+ \(\d+(\.\d)? %\)$"))
    _shot(page, "quality")
    _no_serious_violations(page)
    page.get_by_role("link", name="Personas").click()
    expect(page.locator("#t-authors table")).to_be_visible()
    _shot(page, "people")
    _no_serious_violations(page)
    page.get_by_role("link", name="English").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Centinela command center")
    expect(page.get_by_role("link", name="Trends")).to_be_visible()
