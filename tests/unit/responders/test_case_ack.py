"""The case acknowledgement: opened, joined or reopened, in es/en/pt; in public it invites the
customer to go private, in private it does not."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.core.cases import Case, CaseOutcome
from bot.core.context import AuthorProfile, MessageContext
from bot.core.effects import OpenCase
from bot.core.models import Decision
from responders.case import CaseResponder, case_ack_text
from tests.conftest import make_message


async def _open(channel: str, handle: str, **ctx_fields: object) -> OpenCase:
    msg = make_message("c1", "Mi factura viene duplicada", channel=channel, handle=handle)
    ctx = MessageContext(message=msg, now=msg.created_at, language="es", **ctx_fields)  # type: ignore[arg-type]
    decision = Decision(message_key=msg.key, action="case", reason="billing", rule="case-billing")
    [effect] = await CaseResponder(local_rules=frozenset({"outage"})).respond(ctx, decision)
    assert isinstance(effect, OpenCase)
    return effect


@pytest.mark.parametrize(
    ("channel", "handle", "private_invite"),
    [("twitter", "@ana", True), ("facebook", "6100000000001", True), ("whatsapp", "34600111222", False)],
)
async def test_public_case_acknowledgement_moves_to_private(
    channel: str, handle: str, private_invite: bool
) -> None:
    effect = await _open(channel, handle)
    case = effect.case.model_copy(update={"id": "C-1042"})
    text = case_ack_text(case, "opened", handle=handle, public=effect.ack_public, language="es")
    assert ("mensaje privado" in text) is private_invite
    assert "Hemos abierto el caso C-1042" in text


@pytest.mark.parametrize(
    ("language", "outcome", "expected"),
    [
        ("es", "joined", "Seguimos con tu caso C-1042"),
        ("en", "joined", "We're still on your case C-1042"),
        ("pt", "joined", "Seguimos com o seu caso C-1042"),
        ("es", "reopened", "Hemos reabierto tu caso C-1042"),
        ("en", "reopened", "We reopened your case C-1042"),
        ("pt", "reopened", "Reabrimos o seu caso C-1042"),
        ("en", "opened", "We opened case C-1042"),
        ("pt", "opened", "Abrimos o caso C-1042"),
    ],
)
def test_the_acknowledgement_says_what_happened_in_the_language(
    language: str, outcome: CaseOutcome, expected: str
) -> None:
    case = Case(
        id="C-1042",
        message_key="twitter:1",
        channel="twitter",
        author="@ana",
        identity="twitter:ana",
        opened_at=datetime(2026, 5, 20, tzinfo=UTC),
    )
    text = case_ack_text(case, outcome, handle="@ana", public=True, language=language)
    assert expected in text and text.startswith("[")  # labelled as automatic


async def test_priority_comes_from_the_signals() -> None:
    calm = await _open("twitter", "@ana", sentiment="positive")
    angry_lawyer = await _open(
        "twitter",
        "@ana",
        sentiment="negative",
        risks=frozenset({"legal"}),
        author=AuthorProfile(influential=True),
    )
    assert calm.case.priority == "low" and angry_lawyer.case.priority == "urgent"
    assert calm.case.crm  # the rule that decided it does not say `crm: false`


async def test_a_rule_with_crm_false_keeps_the_case_local() -> None:
    msg = make_message("c2", "sin internet", channel="twitter")
    ctx = MessageContext(message=msg, now=msg.created_at, language="es", incident_id="spike:1")
    decision = Decision(message_key=msg.key, action="case", reason="outage", rule="outage")
    [effect] = await CaseResponder(local_rules=frozenset({"outage"})).respond(ctx, decision)
    assert isinstance(effect, OpenCase) and not effect.case.crm and effect.case.incident_id == "spike:1"
