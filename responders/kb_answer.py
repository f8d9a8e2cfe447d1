"""`answer`: a confident knowledge-base answer, from the robot account, in the customer's language."""

from __future__ import annotations

from bot.context import MessageContext
from bot.models import Action, Decision
from responders.base import Effect, Reply
from responders.templates import language_name, mention, render


class KbAnswerResponder:
    """Replies with the article the KB step chose (`ctx.kb_answer`); without one it does nothing.

    The router only picks `answer` when the KB step was sure, so an empty `kb_answer` here means
    a rules file that routes to `answer` on other grounds: replying with nothing is the safe side.
    """

    action: Action = "answer"

    async def respond(self, ctx: MessageContext, decision: Decision) -> list[Effect]:
        article = ctx.kb_answer
        if article is None:
            return []
        handle = mention(ctx.message.author.handle, ctx.message.channel)
        if article.lang and article.lang != ctx.language:
            text = render(
                "answer_other_language",
                ctx.language,
                handle=handle,
                summary="",
                title=article.title,
                url=article.url,
                article_language=language_name(article.lang, ctx.language),
            )
        else:
            text = render(
                "answer", ctx.language, handle=handle, summary="", title=article.title, url=article.url
            )
        return [Reply(account="robot", text=text, purpose="answer")]
