"""The OpenAPI 3.1 document of the HTTP API, built from the route table and pydantic's schemas.

Nothing in the document is written by hand: paths, parameters and answers come from
`bot/api_routes.py`, bodies from the models' own `model_json_schema`. It is served at
`/api/v1/openapi.json` (with a page at `/api/v1/docs` whose HTML and script ship in the
package: no CDN), and committed as `docs/openapi.json`, which a test regenerates and compares
(`centinela openapi --output docs/openapi.json` rewrites it).
"""

from __future__ import annotations

import functools
import json
import re
from importlib import resources
from typing import Any

from aiohttp import web
from pydantic import BaseModel
from pydantic.json_schema import JsonSchemaMode, models_json_schema

from bot.web.api_models import ErrorBody
from bot.web.api_routes import ROUTES, Answer, Route

TITLE = "Centinela HTTP API"
VERSION = "1"
REF = "#/components/schemas/{model}"
Refs = dict[tuple[type[BaseModel], JsonSchemaMode], Any]
MEDIA = {
    "text": "text/plain",
    "html": "text/html",
    "json": "application/json",
    "events": "text/event-stream",
    "css": "text/css",
    "js": "application/javascript",
}


def _models() -> list[tuple[type[BaseModel], JsonSchemaMode]]:
    wanted: dict[tuple[type[BaseModel], JsonSchemaMode], None] = {}
    for route in ROUTES:
        for model in route.body:
            wanted[(model, "validation")] = None
        for answer in route.responses.values():
            if isinstance(answer, type):
                wanted[(answer, "serialization")] = None
    return list(wanted)


def _parameters(route: Route) -> list[dict[str, Any]]:
    return [
        {
            "name": p.name,
            "in": p.where,
            "required": p.required or p.where == "path",
            "description": p.description,
            "schema": dict(p.schema),
        }
        for p in route.params
    ]


def _answer(answer: Answer, refs: Refs) -> dict[str, Any]:
    if answer is None:
        return {}
    if isinstance(answer, str):
        schema: dict[str, Any] = {"type": "object"} if answer == "json" else {"type": "string"}
        return {"content": {MEDIA[answer]: {"schema": schema}}}
    return {"content": {"application/json": {"schema": refs[(answer, "serialization")]}}}


def _operation(route: Route, refs: Refs) -> dict[str, Any]:
    responses: dict[str, Any] = {}
    for status, answer in sorted(route.responses.items()):
        description = (
            answer.__doc__.strip().splitlines()[0] if isinstance(answer, type) and answer.__doc__ else ""
        )
        responses[str(status)] = {"description": description or f"HTTP {status}", **_answer(answer, refs)}
    if route.auth == "bearer":
        responses.setdefault(
            "401", {"description": "missing or wrong bearer token"} | _answer(ErrorBody, refs)
        )
    responses["4XX"] = {"description": "any other client error, in the one error shape"} | _answer(
        ErrorBody, refs
    )
    operation: dict[str, Any] = {
        "operationId": _operation_id(route),
        "summary": route.summary,
        "tags": [route.tag],
        "responses": responses,
    }
    if route.description:
        operation["description"] = route.description
    if route.params:
        operation["parameters"] = _parameters(route)
    if route.body:
        schemas = [refs[(model, "validation")] for model in route.body]
        schema = schemas[0] if len(schemas) == 1 else {"oneOf": schemas}
        operation["requestBody"] = {
            "required": route.body_required,
            "content": {"application/json": {"schema": schema}},
        }
    operation["security"] = {"bearer": [{"bearer": []}], "session": [{"session": []}]}.get(route.auth, [])
    return operation


def _operation_id(route: Route) -> str:
    """`get_api_v1_drafts_id_approve`: unique, stable, and a valid identifier for generators."""
    words = re.findall(r"[A-Za-z0-9]+", route.path)
    return "_".join([route.method, *words])


@functools.cache
def openapi_document() -> dict[str, Any]:
    """The whole document (built once per process: the routes and models do not change)."""
    generated, top = models_json_schema(_models(), ref_template=REF)
    refs: Refs = {
        (model, mode): schema
        for (model, mode), schema in generated.items()
        if isinstance(model, type) and issubclass(model, BaseModel)
    }
    paths: dict[str, dict[str, Any]] = {}
    for route in ROUTES:
        paths.setdefault(route.path, {})[route.method] = _operation(route, refs)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": TITLE,
            "version": VERSION,
            "description": "Webhooks in, decisions, records and the war-room out. Every error is "
            '{"error": ..., "field": ...}; every list is {"items": [...], "next": cursor}.',
            "license": {"name": "Apache-2.0", "identifier": "Apache-2.0"},
        },
        "servers": [{"url": "/"}],
        "paths": paths,
        "components": {
            "schemas": top.get("$defs", {}),
            "securitySchemes": {
                "bearer": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "CENTINELA_API_TOKEN (generated into var/secrets.json when unset)",
                },
                "session": {
                    "type": "apiKey",
                    "in": "cookie",
                    "name": "centinela_session",
                    "description": "the dashboard's session, set by POST /dashboard/login with the API token",
                },
            },
        },
    }


def openapi_json() -> str:
    """The document as committed in `docs/openapi.json`: stable key order, a final newline."""
    return json.dumps(openapi_document(), ensure_ascii=False, indent=2) + "\n"


def mount_documentation(app: web.Application) -> None:
    """Serve the document and its page on the root app (no token: it holds no secrets).

    Both are built once, when the app is made: a handler that read the page file on every
    request blocked the event loop.
    """
    document = openapi_json()
    page = resources.files("bot.web").joinpath("static/api-docs.html").read_text(encoding="utf-8")

    async def openapi_handler(_request: web.Request) -> web.Response:
        return web.Response(text=document, content_type="application/json")

    async def docs_handler(_request: web.Request) -> web.Response:
        return web.Response(text=page, content_type="text/html")

    app.router.add_get("/api/v1/openapi.json", openapi_handler)
    app.router.add_get("/api/v1/docs", docs_handler)
