"""`answer`: a confident knowledge-base answer, from the robot account, in the customer's language."""

from __future__ import annotations

from bot.core.context import MessageContext
from bot.core.effects import Effect, Reply
from bot.core.models import Action, Decision
from responders.kb_reply import compose_answer


class KbAnswerResponder:
    """Replies with the article the KB step chose (`ctx.kb_answer`); without one it does nothing.

    The router only picks `answer` when the KB step was sure, so an empty `kb_answer` here means
    a rules file that routes to `answer` on other grounds: replying with nothing is the safe side.
    The reply (label, handle, short summary, title, link, channel limit) is composed by
    `responders.kb_reply`; the outbox keys it by message, so a redelivery never answers twice.
    """

    action: Action = "answer"

    async def respond(self, ctx: MessageContext, decision: Decision) -> list[Effect]:
        article = ctx.kb_answer
        if article is None:
            return []
        text = compose_answer(
            article,
            language=ctx.language,
            channel=ctx.message.channel,
            handle=ctx.message.author.handle,
        )
        return [Reply(account="robot", text=text, purpose="answer")]
