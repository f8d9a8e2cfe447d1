"""`POST /api/v1/decisions/{key}/correction`: a person marks a decision wrong, with the right action.

The correction is a record (`bot/engine/corrections.py`), audited with the actor; the Quality
view counts the automatic answers corrected this way.
"""

from __future__ import annotations

from typing import Final

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field

from bot.core.models import Action
from bot.engine.corrections import Correction, CorrectionOutcome, correct_decision
from bot.store.base import Store
from bot.web.api_cases import BadBody, parse_body

STORE_KEY: web.AppKey[Store] = web.AppKey("api_corrections_store", Store)
STATUS: Final[dict[CorrectionOutcome, int]] = {
    "corrected": 200,
    "unchanged": 200,
    "not_found": 404,
    "refused": 409,
}


class CorrectionBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    action: Action = Field(description="what the decision should have been (answer, case, crisis...)")
    reason: str = Field("", max_length=2000, description="why (kept on the correction and in the audit)")
    actor: str | None = Field(None, max_length=200, description="who (audited; default api)")


class CorrectionAnswer(BaseModel):
    outcome: CorrectionOutcome = Field(description="corrected, unchanged, not_found or refused (same action)")
    message: str
    correction: Correction | None = None


async def correct(request: web.Request) -> web.Response:
    try:
        body = await parse_body(request, CorrectionBody)
    except BadBody as bad:
        return bad.response
    key = request.match_info["key"]
    actor = f"api:{body.actor or 'api'}"
    result = await correct_decision(request.app[STORE_KEY], key, body.action, actor=actor, reason=body.reason)
    answer = CorrectionAnswer(outcome=result.outcome, message=result.message, correction=result.correction)
    return web.json_response(answer.model_dump(mode="json"), status=STATUS[result.outcome])


def add_correction_routes(app: web.Application, store: Store) -> None:
    app[STORE_KEY] = store
    app.router.add_post("/decisions/{key}/correction", correct)
