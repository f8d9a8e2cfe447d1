"""The OpenAPI document: generated from the code, committed, and the same routes as the router."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

from aiohttp import web
from openapi_spec_validator import validate

from bot.web.api_routes import RECORD_KINDS, ROUTES
from bot.web.app import create_app
from bot.web.openapi import openapi_document, openapi_json
from tests.conftest import settings_for
from tests.paths import ROOT

COMMITTED = ROOT / "docs" / "openapi.json"


def test_committed_document_is_current() -> None:
    assert COMMITTED.read_text(encoding="utf-8") == openapi_json(), (
        "docs/openapi.json is stale: run `centinela openapi --output docs/openapi.json`"
    )


def test_document_is_valid_openapi_3_1() -> None:
    document = openapi_document()
    assert document["openapi"] == "3.1.0"
    validate(json.loads(openapi_json()))


def test_every_reference_resolves() -> None:
    text = openapi_json()
    schemas = openapi_document()["components"]["schemas"]
    names = {part.split('"')[0] for part in text.split('"#/components/schemas/')[1:]}
    assert names and names <= set(schemas)


def _routes(app: web.Application) -> Iterator[tuple[str, str]]:
    for resource in app.router.resources():
        sub = getattr(resource, "_app", None)
        if isinstance(sub, web.Application):
            yield from _routes(sub)
            continue
        for route in resource:
            if route.method != "HEAD":
                yield route.method.lower(), resource.canonical


def test_the_route_table_and_the_router_agree(tmp_path: Path) -> None:
    served = set(_routes(create_app(settings_for(tmp_path))))
    assert ("get", "/api/v1/{kind}") in served  # one aiohttp route for the five record lists
    served = (served - {("get", "/api/v1/{kind}")}) | {("get", f"/api/v1/{k}") for k in RECORD_KINDS}
    documented = {(r.method, r.path) for r in ROUTES}
    only_with_a_kb = {("post", "/api/v1/kb/reload")}  # mounted when the service has a KB
    assert served == documented - only_with_a_kb


def test_lists_and_errors_share_one_shape() -> None:
    document = openapi_document()
    schemas = document["components"]["schemas"]
    assert set(schemas["ErrorBody"]["required"]) == {"error", "field"}
    for path, methods in document["paths"].items():
        for method, operation in methods.items():
            error = operation["responses"]["4XX"]["content"]["application/json"]["schema"]
            assert error == {"$ref": "#/components/schemas/ErrorBody"}, (method, path)
    for name, schema in schemas.items():
        if name.startswith("Page_") or name == "OutboxPage":
            assert {"items", "next"} <= set(schema["properties"]), name
