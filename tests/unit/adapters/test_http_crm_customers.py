"""The generic connector's customer look-up and requester erasure, against a receiver that
checks each request's signature: signed events in, the CRM's customer out, a bad one refused."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from pydantic import SecretStr

from adapters.base import PermanentFailure
from adapters.crm.http_connector import HttpCrm, HttpCrmConfig
from tests.fakes.crm_receiver import signed_event

ServerFactory = Callable[[web.Application], Awaitable[TestServer]]
SECRET = "crm-secret"
BEA = {"id": "K-77", "name": "Bea", "email": "bea@example.com", "contract_number": "CT445566", "extra": 1}


async def test_customer_find_and_erase_are_signed_events(aiohttp_server: ServerFactory) -> None:
    events: list[dict[str, Any]] = []

    async def receiver(request: web.Request) -> web.Response:
        event = await signed_event(request, SECRET)
        events.append(event)
        if event["event"] == "customer.find":
            known = event.get("contract_number") == "CT445566" or event.get("external_id") == "K-77"
            bad = event.get("email") == "bad@example.com"
            return web.json_response(
                {"customer": {"id": "no spaces allowed"} if bad else BEA if known else None}
            )
        return web.json_response({"ok": True})

    app = web.Application()
    app.router.add_post("/crm", receiver)
    server = await aiohttp_server(app)
    crm = HttpCrm(HttpCrmConfig(url=str(server.make_url("/crm")), secret=SecretStr(SECRET)))
    try:
        found = await crm.find_customer(contract_number="CT445566")
        assert found is not None and found.id == "K-77" and found.email == "bea@example.com"
        assert await crm.find_customer(external_id="K-77") is not None
        assert await crm.find_customer(email="nadie@example.com") is None
        with pytest.raises(PermanentFailure):
            await crm.find_customer(email="bad@example.com")
        await crm.erase_requester("T-9")
    finally:
        await crm.close()
    assert events[0] == {"event": "customer.find", "contract_number": "CT445566"}
    assert events[-1] == {"event": "customer.erase", "ticket_id": "T-9"}
