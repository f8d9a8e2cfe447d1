"""Customers in the REST API: create or update, link and unlink identities, merge, erase.

The same services as the CSV import (`bot/engine/customers.py`) and the erasure
(`bot/engine/erasure.py`); every change is in the audit log, the erasure without personal data.
"""

from __future__ import annotations

from aiohttp import web

from bot.core.customers import Customer, Identity
from bot.engine.customers import CustomerBook, CustomerChange, load_customer
from bot.engine.erasure import CustomerEraser
from bot.store.base import Store
from bot.web.api_case_models import CustomerChangeAnswer, EraseBody, IdentityBody, MergeBody
from bot.web.api_cases import BadBody, parse_body
from bot.web.errors import error_response

STORE_KEY: web.AppKey[Store] = web.AppKey("api_customers_store", Store)
STATUS = {"changed": 200, "unchanged": 200, "not_found": 404, "refused": 409}


def _answer(change: CustomerChange) -> web.Response:
    body = CustomerChangeAnswer(outcome=change.outcome, message=change.message, customer=change.customer)
    return web.json_response(body.model_dump(mode="json"), status=STATUS[change.outcome])


def _book(request: web.Request) -> CustomerBook:
    return CustomerBook(request.app[STORE_KEY].records)


async def get_customer(request: web.Request) -> web.Response:
    customer = await load_customer(request.app[STORE_KEY].records, request.match_info["id"])
    if customer is None:
        return error_response(404, f"no customer {request.match_info['id']}", "id")
    return web.json_response({"customer": customer.model_dump(mode="json")})


async def put_customer(request: web.Request) -> web.Response:
    try:
        raw = await parse_body(request, Customer, extra={"id": request.match_info["id"]})
    except BadBody as bad:
        return bad.response
    return _answer(await _book(request).upsert(raw))


async def _identity_change(request: web.Request, *, link: bool) -> web.Response:
    try:
        body = await parse_body(request, IdentityBody)
    except BadBody as bad:
        return bad.response
    identity = Identity(channel=body.channel, handle=body.handle)
    book, customer_id = _book(request), request.match_info["id"]
    change = await (book.link(customer_id, identity) if link else book.unlink(customer_id, identity))
    return _answer(change)


async def link_identity(request: web.Request) -> web.Response:
    return await _identity_change(request, link=True)


async def unlink_identity(request: web.Request) -> web.Response:
    return await _identity_change(request, link=False)


async def merge_customer(request: web.Request) -> web.Response:
    try:
        body = await parse_body(request, MergeBody)
    except BadBody as bad:
        return bad.response
    return _answer(await _book(request).merge(request.match_info["id"], body.into))


async def erase_customer(request: web.Request) -> web.Response:
    try:
        body = await parse_body(request, EraseBody)
    except BadBody as bad:
        return bad.response
    customer_id = request.match_info["id"]
    store = request.app[STORE_KEY]
    erasure = await CustomerEraser(store.records, store.hot).erase(
        customer_id, actor=f"api:{body.actor or 'api'}"
    )
    if not erasure.found:
        return error_response(404, f"no customer {customer_id}", "id")
    return web.json_response(
        {
            "erased": customer_id,
            "cases": erasure.cases,
            "identities": erasure.identities,
            "outbox_items": erasure.outbox_items,
            "hot_messages": erasure.hot_messages,
            "crm_tickets": erasure.crm_tickets,
        }
    )


def add_customer_routes(app: web.Application, store: Store) -> None:
    app[STORE_KEY] = store
    app.router.add_get("/customers/{id}", get_customer)
    app.router.add_put("/customers/{id}", put_customer)
    app.router.add_post("/customers/{id}/identities", link_identity)
    app.router.add_post("/customers/{id}/identities/unlink", unlink_identity)
    app.router.add_post("/customers/{id}/merge", merge_customer)
    app.router.add_post("/customers/{id}/erase", erase_customer)
