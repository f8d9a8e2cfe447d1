"""Drafted replies to possible crises: what the official account would say, once a person agrees.

A draft is a versioned record (`kind="draft"`, id = the message key) so that approving is a
compare-and-set: of two approvers clicking together, one write wins and one reply is queued.
"""

from __future__ import annotations

from bot.core.context import MessageContext
from bot.core.drafts import Draft
from responders.templates import mention, render


def draft_for(ctx: MessageContext, alert_id: str) -> Draft:
    """The reply a person will review: KB help only where it cannot sound tone-deaf.

    A safety hazard gets the safety text; any other risk (legal, press, breach, boycott,
    discrimination) gets a holding reply that moves the talk to private messages, because a
    help-centre link answering a lawyer or a journalist reads as mockery. An influential but
    otherwise ordinary complaint gets the KB article only when the KB step was confident
    (`kb_answer`): mere candidates are shown to staff beside the draft instead, since the nearest
    article to an angry post can be a promotion (replaying the influencer burst showed exactly that).
    """
    msg = ctx.message
    handle = mention(msg.author.handle, msg.channel)
    lang = ctx.language
    article = ctx.kb_answer if ctx.kb_answer is not None and ctx.kb_answer.url else None
    if "safety" in ctx.risks:
        text, source = render("crisis_safety", lang, automatic=False, handle=handle), "template:crisis_safety"
    elif not ctx.risks and article is not None:
        text = render("crisis_kb", lang, automatic=False, handle=handle, title=article.title, url=article.url)
        source = f"kb:{article.article_id}"
    else:
        text = render("crisis_holding", lang, automatic=False, handle=handle)
        source = "template:crisis_holding"
    return Draft(
        id=msg.key,
        alert_id=alert_id,
        message_key=msg.key,
        message_id=msg.id,
        channel=msg.channel,
        author=msg.author.handle,
        language=lang,
        text=text,
        source=source,
        created_at=ctx.now.isoformat(),
    )


def related_articles(ctx: MessageContext, limit: int = 3) -> list[dict[str, str]]:
    """KB articles retrieval found, for staff to consider while editing (never sent as is)."""
    return [{"id": c.article_id, "title": c.title, "url": c.url} for c in ctx.kb_candidates[:limit] if c.url]
