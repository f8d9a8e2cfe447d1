"""The case acknowledgement: in public it invites the customer to go private; in private it does not."""

from __future__ import annotations

import pytest

from bot.core.context import MessageContext
from bot.core.effects import Reply
from bot.core.models import Decision
from responders.case import CaseResponder
from tests.conftest import make_message


@pytest.mark.parametrize(
    ("channel", "handle", "private_invite"),
    [("twitter", "@ana", True), ("facebook", "6100000000001", True), ("whatsapp", "34600111222", False)],
)
async def test_public_case_acknowledgement_moves_to_private(
    channel: str, handle: str, private_invite: bool
) -> None:
    msg = make_message("c1", "Mi factura viene duplicada", channel=channel, handle=handle)
    ctx = MessageContext(message=msg, now=msg.created_at, language="es")
    decision = Decision(message_key=msg.key, action="case", reason="billing", rule="case-billing")
    effects = await CaseResponder().respond(ctx, decision)
    [reply] = [e for e in effects if isinstance(e, Reply)]
    assert ("mensaje privado" in reply.text) is private_invite
    assert "Hemos abierto el caso C-" in reply.text
