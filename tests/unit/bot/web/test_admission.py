"""The intake gate in front of every adapter POST route (`bot/web/admission.py`)."""

from __future__ import annotations

from aiohttp import web
from aiohttp.test_utils import make_mocked_request
from redis.exceptions import ConnectionError as RedisConnectionError

from bot.core.intake_limits import IntakeGate, IntakeSettings
from bot.web.admission import admitted


async def _refuse(_request: web.Request) -> web.StreamResponse:
    return web.json_response({"error": "bad signature", "field": None}, status=401)


async def _depth_unknown() -> int:
    raise RedisConnectionError("Error 111 connecting to 127.0.0.1:6390. Connection refused.")


async def _depth_full() -> int:
    return 10


async def test_a_store_that_is_down_does_not_hide_the_requests_own_4xx() -> None:
    gate = IntakeGate(IntakeSettings(), _depth_unknown)
    response = await admitted(_refuse, gate)(make_mocked_request("POST", "/webhooks/generic"))
    assert response.status == 401  # the handler ran: its enqueue would answer 503 if it got there


async def test_a_full_queue_is_refused_before_the_handler_runs() -> None:
    gate = IntakeGate(IntakeSettings(max_queue_depth=10), _depth_full)
    response = await admitted(_refuse, gate)(make_mocked_request("POST", "/webhooks/generic"))
    assert response.status == 503 and response.headers["Retry-After"] == "5"
