"""Cases in the REST API: one case, its status changes and staff notes.

The list (`GET /api/v1/cases`, filtered by status, customer, channel, since) is one of the
record lists in `bot/web/api_lists.py`; this module adds what changes a case, through the same
lifecycle service as the CLI, so a solved case tells its customer once whoever solved it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import TypeVar

from aiohttp import web
from pydantic import BaseModel, ValidationError

from bot.core.input_safety import BadInput, loads_bounded
from bot.core.sla import SlaSettings
from bot.engine.case_lifecycle import CaseChange, CaseLifecycle
from bot.engine.cases import load_case
from bot.engine.sla import SlaWatch
from bot.store.base import Store
from bot.web.api_case_models import CaseChangeAnswer, CaseNoteBody, CaseStatusBody, SlaAnswer
from bot.web.errors import error_response

LIFECYCLE_KEY: web.AppKey[CaseLifecycle] = web.AppKey("api_case_lifecycle", CaseLifecycle)
STORE_KEY: web.AppKey[Store] = web.AppKey("api_cases_store", Store)
SLA_KEY: web.AppKey[SlaSettings] = web.AppKey("api_sla_settings", SlaSettings)
CHANGE_STATUS = {"changed": 200, "unchanged": 200, "not_found": 404, "refused": 409}
B = TypeVar("B", bound=BaseModel)


class BadBody(Exception):
    def __init__(self, response: web.Response) -> None:
        self.response = response


async def parse_body(request: web.Request, model: type[B], *, extra: dict[str, str] | None = None) -> B:
    """The JSON body as `model` (with `extra` fields from the path); a 400 naming the first field
    at fault otherwise. An empty body reads as `{}`."""
    try:
        raw = loads_bounded(await request.read()) if request.can_read_body else {}
    except BadInput as exc:
        raise BadBody(error_response(400, f"body must be JSON: {exc.message}", exc.field)) from None
    if not isinstance(raw, dict):
        raise BadBody(error_response(400, "body must be a JSON object", None))
    try:
        return model.model_validate({**raw, **(extra or {})})
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(part) for part in first["loc"]) or None
        raise BadBody(error_response(400, first["msg"], field)) from None


def _answer(change: CaseChange) -> web.Response:
    body = CaseChangeAnswer(outcome=change.outcome, message=change.message, case=change.case)
    return web.json_response(body.model_dump(mode="json"), status=CHANGE_STATUS[change.outcome])


async def get_case(request: web.Request) -> web.Response:
    case = await load_case(request.app[STORE_KEY].records, request.match_info["id"])
    if case is None:
        return error_response(404, f"no case {request.match_info['id']}", "id")
    return web.json_response({"case": case.model_dump(mode="json")})


Change = Callable[[CaseLifecycle, str, B, str], Awaitable[CaseChange]]


async def _change(request: web.Request, model: type[B], change: Change[B]) -> web.Response:
    """Parse the body as `model`, then apply `change` to the case in the path as the actor."""
    try:
        body = await parse_body(request, model)
    except BadBody as bad:
        return bad.response
    actor = f"api:{getattr(body, 'actor', None) or 'api'}"
    return _answer(await change(request.app[LIFECYCLE_KEY], request.match_info["id"], body, actor))


async def set_case_status(request: web.Request) -> web.Response:
    async def change(cases: CaseLifecycle, case_id: str, body: CaseStatusBody, actor: str) -> CaseChange:
        return await cases.set_status(case_id, body.status, actor=actor, note=body.note)

    return await _change(request, CaseStatusBody, change)


async def add_case_note(request: web.Request) -> web.Response:
    async def change(cases: CaseLifecycle, case_id: str, body: CaseNoteBody, actor: str) -> CaseChange:
        return await cases.add_note(case_id, body.text, actor=actor)

    return await _change(request, CaseNoteBody, change)


async def sla_report(request: web.Request) -> web.Response:
    since = request.query.get("since")
    try:
        start = datetime.fromisoformat(since.replace("Z", "+00:00")) if since else None
    except ValueError:
        return error_response(400, "since must be an ISO 8601 time", "since")
    if start is not None and start.tzinfo is None:
        start = start.replace(tzinfo=UTC)
    report = await SlaWatch(request.app[STORE_KEY].records, request.app[SLA_KEY]).report(since=start)
    body = SlaAnswer(
        cases=report.cases,
        breached=report.breached,
        first_response_s=report.first_response_s,
        resolution_s=report.resolution_s,
    )
    return web.json_response(body.model_dump(mode="json"))


def add_case_routes(app: web.Application, store: Store, sla: SlaSettings) -> None:
    app[STORE_KEY] = store
    app[SLA_KEY] = sla
    app.router.add_get("/sla", sla_report)
    app[LIFECYCLE_KEY] = CaseLifecycle(store.records)
    app.router.add_get("/cases/{id}", get_case)
    app.router.add_post("/cases/{id}/status", set_case_status)
    app.router.add_post("/cases/{id}/notes", add_case_note)
